// Exports of the meta-learning data area: numbered task sources (support and query sets).
export { checkTaskId, classMajorLabels, taskSeed } from './meta/meta-task';
export type { MetaTask, TaskSet, TaskSource } from './meta/meta-task';
export { sinusoidTasks } from './meta/sinusoid-tasks';
export type { SinusoidTasksOptions } from './meta/sinusoid-tasks';
export { episodeTasks, fewshotTasks } from './meta/fewshot-tasks';
export type { FewshotTasksOptions } from './meta/fewshot-tasks';
