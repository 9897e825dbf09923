import * as tf from '@tensorflow/tfjs';

/** A backend the engine can pick: native TensorFlow via tfjs-node, WebAssembly, or plain JavaScript. */
export type EngineChoice = 'node' | 'wasm' | 'cpu';

/** Options of {@link initEngine}. */
export interface EngineOptions {
  /**
   * Which backend to try first. `auto` (default) tries `node`, then `wasm`, then `cpu`; any other value puts that
   * backend first and keeps the rest of the `auto` order as fallbacks (so `cpu` always ends the list and always
   * works).
   */
  readonly prefer?: 'auto' | EngineChoice;
}

/** One attempt of {@link initEngine}: the backend tried, whether it became active, and why not. */
export interface EngineAttempt {
  readonly name: EngineChoice;
  readonly ok: boolean;
  /** The failure, in one line (for example the module-not-found message of tfjs-node). */
  readonly error?: string;
}

/** What {@link initEngine} chose and why: data for the caller to log or report (the engine never logs). */
export interface EngineInfo {
  /** The active tfjs backend name, as `tf.getBackend()` reports it: `tensorflow` (tfjs-node), `wasm` or `cpu`. */
  readonly backend: string;
  /** Every attempt, in order, up to and including the one that succeeded. */
  readonly tried: readonly EngineAttempt[];
}

const AUTO_ORDER: readonly EngineChoice[] = ['node', 'wasm', 'cpu'];
const PREFER_VALUES: readonly string[] = ['auto', ...AUTO_ORDER];

/**
 * tfjs-node's module specifier, built at run time so that TypeScript neither resolves the (optional, usually absent)
 * package nor needs its types, and bundlers do not try to include it.
 */
const TFJS_NODE_SPECIFIER = ['@tensorflow', 'tfjs-node'].join('/');

let initialized: Promise<EngineInfo> | undefined;

/** One line of an error of any kind. */
function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].slice(0, 300);
}

/** Activates one backend; resolves to the tfjs backend name on success, rejects with the reason otherwise. */
async function activate(choice: EngineChoice): Promise<string> {
  switch (choice) {
    case 'node': {
      // Registers the `tensorflow` backend as a side effect.
      await import(/* @vite-ignore */ TFJS_NODE_SPECIFIER);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
      return 'tensorflow';
    }
    case 'wasm': {
      // Registers the `wasm` backend as a side effect; in Node it loads its .wasm binary from its own dist folder.
      await import('@tensorflow/tfjs-backend-wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false (the WebAssembly module failed to initialize)');
      return 'wasm';
    }
    case 'cpu': {
      if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") returned false');
      return 'cpu';
    }
  }
}

/**
 * Chooses and activates the tfjs backend the autodiff oracles run on: `@tensorflow/tfjs-node` (native TensorFlow)
 * when it is installed, else `@tensorflow/tfjs-backend-wasm`, else the plain-JavaScript `cpu` backend. A failed
 * attempt is recorded in `tried` and the next one is made; nothing is logged.
 *
 * Idempotent: the backend is process-wide state in tfjs, so the first call decides and every later call (whatever
 * its options) resolves to the same {@link EngineInfo} object. Call it before creating tensors.
 *
 * All backends compute in float32; second derivatives of some ops are wrong on every backend (tfjs issue #3252),
 * which is why `auditOracles` (`@bilevel/autodiff`) exists.
 *
 * @example
 *   const engine = await initEngine();
 *   logger.info({ backend: engine.backend, tried: engine.tried }, 'tfjs backend');
 */
export function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const prefer = options.prefer ?? 'auto';
  if (!PREFER_VALUES.includes(prefer)) {
    return Promise.reject(
      new RangeError(`initEngine: options.prefer must be one of ${PREFER_VALUES.map((p) => `"${p}"`).join(', ')}, received ${JSON.stringify(prefer)}`),
    );
  }
  initialized ??= choose(prefer).catch((err: unknown) => {
    initialized = undefined; // nothing was activated: let a later call try again
    throw err;
  });
  return initialized;
}

async function choose(prefer: 'auto' | EngineChoice): Promise<EngineInfo> {
  const order = prefer === 'auto' ? AUTO_ORDER : [prefer, ...AUTO_ORDER.filter((c) => c !== prefer)];
  const tried: EngineAttempt[] = [];
  for (const choice of order) {
    try {
      const backend = await activate(choice);
      tried.push({ name: choice, ok: true });
      return { backend, tried };
    } catch (err) {
      tried.push({ name: choice, ok: false, error: oneLine(err) });
    }
  }
  const reasons = tried.map((t) => `${t.name}: ${t.error ?? 'unknown'}`).join('; ');
  throw new Error(`initEngine: no tfjs backend could be activated (${reasons})`);
}

/**
 * The tfjs backend the oracles run on right now (`tf.getBackend()`): the one {@link initEngine} chose, or tfjs's own
 * default (`cpu` in Node) if it was never called.
 */
export function currentBackend(): string {
  return tf.getBackend();
}
