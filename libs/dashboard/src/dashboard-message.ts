/** What the page draws: a solver run, a certified-control training, a sweep's grid of runs. */
export type DashboardKind = 'run' | 'train' | 'sweep';

/** Plain numbers of one point of a series (`null`: not measured at this point, drawn as a gap). */
export type DashboardPoint = Readonly<Record<string, number | null>>;

/** A plain JSON value, as the messages carry it (no typed arrays, no functions, no NaN: `null` instead). */
export type DashboardJson = string | number | boolean | null | readonly DashboardJson[] | { readonly [key: string]: DashboardJson };

/** The page's heading and the facts listed under it. */
export interface DashboardMeta {
  readonly kind: DashboardKind;
  readonly title: string;
  /** Facts shown as a list under the title (problem, solver, seed, schedule, output folder…). */
  readonly fields: Readonly<Record<string, string | number>>;
  /** Whether the page offers pause and stop (a replay has neither). */
  readonly controls: { readonly stop: boolean; readonly pause: boolean };
}

/**
 * What a run tells the dashboard: its description, points of named series (decimated by the hub), items of named
 * lists (findings, verdicts; the latest kept), a shallow patch of its current state (status, iteration, the versions
 * each stream read, the phase picture's data…), and for a sweep the rows of its table and each run's curve. All
 * plain JSON, so that a worker thread can post them (see safe-control's runInWorker).
 */
export type DashboardMessage =
  | { readonly type: 'meta'; readonly meta: DashboardMeta }
  | { readonly type: 'point'; readonly series: string; readonly point: DashboardPoint }
  | { readonly type: 'item'; readonly list: string; readonly item: { readonly [key: string]: DashboardJson } }
  | { readonly type: 'state'; readonly patch: { readonly [key: string]: DashboardJson } }
  | { readonly type: 'row'; readonly key: string; readonly row: { readonly [key: string]: DashboardJson } }
  | { readonly type: 'curve'; readonly key: string; readonly points: readonly DashboardPoint[] };

/** Where a run sends its messages: the hub in this thread, or a port to the thread that serves the page. */
export type DashboardSink = (message: DashboardMessage) => void;

/** A finite number, or null (JSON has no NaN or ±Infinity). */
export function finiteOrNull(value: number | undefined | null): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
