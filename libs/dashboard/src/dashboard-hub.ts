import type { DashboardJson, DashboardMessage, DashboardMeta, DashboardPoint } from './dashboard-message';
import { DecimatedSeries } from './decimated-series';

type JsonObject = { readonly [key: string]: DashboardJson };

/** Options of {@link DashboardHub}, with their defaults. */
export interface DashboardHubOptions {
  /** Most updates pushed to the pages per second, whatever the rate of the messages. Default 4. */
  readonly maxUpdatesPerSecond?: number;
  /** Points kept per series ({@link DecimatedSeries}: the whole span, evenly thinned). Default 2000. */
  readonly seriesCapacity?: number;
  /** Latest items kept per list (findings, verdicts); the total is counted. Default 500. */
  readonly listCapacity?: number;
  /** Clock in ms and one-shot timer (tests). Default performance.now and an unref'd setTimeout. */
  readonly now?: () => number;
  readonly schedule?: (fn: () => void, ms: number) => () => void;
}

/** The whole state, sent to a page when it connects. */
export interface DashboardInit {
  readonly kind: 'init';
  readonly meta: DashboardMeta | null;
  readonly series: Record<string, DashboardPoint[]>;
  readonly lists: Record<string, { items: JsonObject[]; total: number }>;
  readonly state: Record<string, DashboardJson>;
  readonly rows: Record<string, JsonObject>;
  /** Keys of the curves that can be fetched (`/curve?key=`). */
  readonly curves: string[];
}

/** What changed since the last push. */
export interface DashboardUpdate {
  readonly kind: 'update';
  readonly meta?: DashboardMeta;
  readonly points: Record<string, DashboardPoint[]>;
  readonly items: Record<string, JsonObject[]>;
  readonly totals: Record<string, number>;
  readonly state: Record<string, DashboardJson>;
  readonly rows: Record<string, JsonObject>;
  readonly curves: string[];
}

/** A message to a page: the whole state when it connects, then what changed. */
export type DashboardEvent = DashboardInit | DashboardUpdate;

/** Points of a series held for the next push (thinned like the history when a push is late). */
const PENDING_CAPACITY = 256;

/**
 * The dashboard's memory of a run, fed by {@link DashboardMessage}s and read by the pages: the latest description,
 * each series as a {@link DecimatedSeries}, the latest items of each list, the current state, a sweep's rows and
 * curves. A page that connects gets the whole state at once ({@link DashboardInit}); then the changes are pushed
 * to every page at most `maxUpdatesPerSecond` times a second ({@link DashboardUpdate}), on a timer, so that a
 * fast run sending thousands of messages costs the pages a few small updates and itself only the recording (O(1)
 * per message, no serialization). Nothing is pushed while no page is connected.
 */
export class DashboardHub {
  readonly #maxRate: number;
  readonly #capacity: number;
  readonly #listCapacity: number;
  readonly #now: () => number;
  readonly #schedule: (fn: () => void, ms: number) => () => void;
  #meta: DashboardMeta | null = null;
  readonly #series = new Map<string, DecimatedSeries<DashboardPoint>>();
  readonly #lists = new Map<string, { items: JsonObject[]; total: number }>();
  #state: Record<string, DashboardJson> = {};
  readonly #rows = new Map<string, JsonObject>();
  readonly #curves = new Map<string, readonly DashboardPoint[]>();
  readonly #clients = new Set<(event: DashboardEvent) => void>();
  #pending = DashboardHub.#emptyPending();
  #dirty = false;
  #lastPush = -Infinity;
  #cancelTimer: (() => void) | undefined;
  /** Messages recorded and updates pushed (overhead accounting, tests). */
  messages = 0;
  pushes = 0;

  constructor(options: DashboardHubOptions = {}) {
    this.#maxRate = options.maxUpdatesPerSecond ?? 4;
    if (!(this.#maxRate > 0 && this.#maxRate <= 1000)) throw new RangeError(`DashboardHub: maxUpdatesPerSecond must be in (0, 1000], received ${this.#maxRate}`);
    this.#capacity = options.seriesCapacity ?? 2000;
    this.#listCapacity = options.listCapacity ?? 500;
    if (!Number.isInteger(this.#listCapacity) || this.#listCapacity < 1) throw new RangeError(`DashboardHub: listCapacity must be a positive integer, received ${this.#listCapacity}`);
    this.#now = options.now ?? (() => performance.now());
    this.#schedule =
      options.schedule ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return () => clearTimeout(t);
      });
  }

  static #emptyPending() {
    return {
      meta: undefined as DashboardMeta | undefined,
      points: new Map<string, DecimatedSeries<DashboardPoint>>(),
      items: new Map<string, JsonObject[]>(),
      state: {} as Record<string, DashboardJson>,
      rows: new Map<string, JsonObject>(),
      curves: new Set<string>(),
    };
  }

  /** Pages connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** The current state (as a page gets it when it connects). */
  get state(): Readonly<Record<string, DashboardJson>> {
    return this.#state;
  }

  /** Records a message; the change reaches the pages with the next push. */
  apply(message: DashboardMessage): void {
    this.messages++;
    const p = this.#pending;
    switch (message.type) {
      case 'meta':
        this.#meta = message.meta;
        p.meta = message.meta;
        break;
      case 'point': {
        let s = this.#series.get(message.series);
        if (!s) this.#series.set(message.series, (s = new DecimatedSeries(this.#capacity)));
        s.push(message.point);
        let q = p.points.get(message.series);
        if (!q) p.points.set(message.series, (q = new DecimatedSeries(PENDING_CAPACITY)));
        q.push(message.point);
        break;
      }
      case 'item': {
        let l = this.#lists.get(message.list);
        if (!l) this.#lists.set(message.list, (l = { items: [], total: 0 }));
        l.items.push(message.item);
        l.total++;
        if (l.items.length > this.#listCapacity) l.items.splice(0, l.items.length - this.#listCapacity);
        let q = p.items.get(message.list);
        if (!q) p.items.set(message.list, (q = []));
        q.push(message.item);
        if (q.length > this.#listCapacity) q.splice(0, q.length - this.#listCapacity);
        break;
      }
      case 'state':
        this.#state = { ...this.#state, ...message.patch };
        Object.assign(p.state, message.patch);
        break;
      case 'row':
        this.#rows.set(message.key, message.row);
        p.rows.set(message.key, message.row);
        break;
      case 'curve':
        this.#curves.set(message.key, message.points);
        p.curves.add(message.key);
        break;
      default:
        throw new TypeError(`DashboardHub.apply: unknown message type ${JSON.stringify((message as { type?: unknown }).type)}`);
    }
    this.#dirty = true;
    this.#arm();
  }

  /** The stored curve of a sweep's run, if there is one. */
  curve(key: string): readonly DashboardPoint[] | undefined {
    return this.#curves.get(key);
  }

  /** Everything, as a page gets it when it connects. */
  init(): DashboardInit {
    return {
      kind: 'init',
      meta: this.#meta,
      series: Object.fromEntries([...this.#series].map(([k, s]) => [k, s.points()])),
      lists: Object.fromEntries([...this.#lists].map(([k, l]) => [k, { items: [...l.items], total: l.total }])),
      state: { ...this.#state },
      rows: Object.fromEntries(this.#rows),
      curves: [...this.#curves.keys()],
    };
  }

  /**
   * Adds a page: it gets {@link init} at once (after the pending changes went to the others, so it sees nothing
   * twice), then every update. Returns the function that removes it.
   */
  subscribe(client: (event: DashboardEvent) => void): () => void {
    if (this.#dirty) this.#push();
    this.#clients.add(client);
    client(this.init());
    return () => this.#clients.delete(client);
  }

  /** Pushes the pending changes now (the end of a run: its last state must not wait for the timer). */
  flush(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    if (this.#dirty) this.#push();
  }

  #arm(): void {
    if (this.#cancelTimer || this.#clients.size === 0) return;
    const wait = Math.max(0, this.#lastPush + 1000 / this.#maxRate - this.#now());
    this.#cancelTimer = this.#schedule(() => {
      this.#cancelTimer = undefined;
      if (this.#dirty) this.#push();
    }, wait);
  }

  #push(): void {
    const p = this.#pending;
    this.#pending = DashboardHub.#emptyPending();
    this.#dirty = false;
    this.#lastPush = this.#now();
    if (this.#clients.size === 0) return;
    const update: DashboardUpdate = {
      kind: 'update',
      ...(p.meta ? { meta: p.meta } : {}),
      points: Object.fromEntries([...p.points].map(([k, s]) => [k, s.points()])),
      items: Object.fromEntries(p.items),
      totals: Object.fromEntries([...p.items.keys()].map((k) => [k, this.#lists.get(k)?.total ?? 0])),
      state: p.state,
      rows: Object.fromEntries(p.rows),
      curves: [...p.curves],
    };
    this.pushes++;
    for (const c of this.#clients) c(update);
  }
}
