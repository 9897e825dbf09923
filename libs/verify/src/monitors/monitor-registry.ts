import type { Monitor } from '@bilevel/streams';
import { accuracyMonitor } from './accuracy-monitor';
import { budgetMonitor } from './budget-monitor';
import { finitenessMonitor } from './finiteness-monitor';
import { progressMonitor } from './progress-monitor';
import { theoremMonitor } from './theorem-monitor';

/** A monitor available by name (CLI `--monitor NAME`): its factory and a one-line description. */
export interface MonitorEntry {
  readonly name: string;
  readonly description: string;
  /** Builds the monitor; options are those of its factory, validated there. */
  readonly create: (options?: Record<string, unknown>) => Monitor;
  /** Cheap enough to watch every run (part of {@link DEFAULT_MONITORS}). */
  readonly cheap: boolean;
}

function entry(create: (options?: Record<string, unknown>) => Monitor, cheap: boolean): MonitorEntry {
  const sample = create();
  return { name: sample.name, description: sample.description, create, cheap };
}

/** Every shipped monitor by name. */
export const MONITORS: Readonly<Record<'finiteness' | 'theorem' | 'accuracy' | 'progress' | 'budget', MonitorEntry>> = {
  finiteness: entry((o) => finitenessMonitor(o as never), true),
  theorem: entry((o) => theoremMonitor(o), true),
  accuracy: entry((o) => accuracyMonitor(o), false),
  progress: entry((o) => progressMonitor(o), false),
  budget: entry((o) => budgetMonitor(o), true),
};

/** The cheap monitors with their defaults: finiteness, theorem conditions (≤ 2% of solver time), budget (no limits). */
export const DEFAULT_MONITORS: readonly Monitor[] = [MONITORS.finiteness.create(), MONITORS.theorem.create(), MONITORS.budget.create()];

/**
 * The monitors named in a comma-separated list (`finiteness,theorem`; `default` stands for {@link DEFAULT_MONITORS}),
 * each with its defaults, without repeats. An unknown name throws a RangeError listing the known ones.
 *
 * @example monitorsByName('default,progress')
 */
export function monitorsByName(list: string): Monitor[] {
  const names = list.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw new RangeError(`monitorsByName: expected a comma-separated list of monitors, received "${list}"`);
  const out: Monitor[] = [];
  for (const name of names) {
    const picked = name === 'default' ? DEFAULT_MONITORS : [MONITORS[name as keyof typeof MONITORS]?.create()];
    if (picked[0] === undefined) {
      throw new RangeError(`monitorsByName: unknown monitor "${name}"; expected one of ${Object.keys(MONITORS).join(', ')}, default`);
    }
    for (const m of picked) if (!out.some((o) => o.name === m.name)) out.push(m);
  }
  return out;
}
