// Exports of the few-shot area: Omniglot from its zip archives (cached decode, bundled 28×28 copy), alphabet splits,
// seeded N-way K-shot episodes and fixed episodes read from folders.
export type { FewShotClass, FewShotDataset } from './fewshot/few-shot-dataset';
export { className, imageCount, selectClasses } from './fewshot/few-shot-dataset';
export { areaResize, axisWeights } from './fewshot/area-resize';
export type { AxisWeights } from './fewshot/area-resize';
export { listOmniglotZip, OMNIGLOT_DEFAULT_MAX_ENTRIES, OMNIGLOT_DEFAULT_MAX_ENTRY_BYTES } from './fewshot/omniglot-zip';
export type { OmniglotDrawing, OmniglotZipLimits } from './fewshot/omniglot-zip';
export { describeFewShot, OMNIGLOT_DEFAULT_SIZE, OMNIGLOT_MAX_SIZE, parseOmniglot } from './fewshot/parse-omniglot';
export type { ParseOmniglotOptions } from './fewshot/parse-omniglot';
export { defaultCacheDir } from './fewshot/few-shot-cache';
export { loadOmniglot } from './fewshot/load-omniglot';
export type { LoadOmniglotOptions, OmniglotCacheReport, OmniglotDataset } from './fewshot/load-omniglot';
export { BUNDLED_OMNIGLOT_FILES, bundledOmniglot, bundledOmniglotDir, readFewShotBundle } from './fewshot/bundled-omniglot';
export type { FewShotBundleMeta } from './fewshot/bundled-omniglot';
export { splitByAlphabet } from './fewshot/split-by-alphabet';
export type { AlphabetSplit, SplitByAlphabetOptions } from './fewshot/split-by-alphabet';
export type { Episode, EpisodeSet } from './fewshot/episode';
export { cloneEpisode } from './fewshot/episode';
export { rotateSquare } from './fewshot/rotate-square';
export { EpisodeSampler } from './fewshot/episode-sampler';
export type { EpisodeSamplerOptions, EpisodeSamplerState } from './fewshot/episode-sampler';
export { loadEpisodeFolders } from './fewshot/episode-folders';
export type { EpisodeFoldersOptions } from './fewshot/episode-folders';
