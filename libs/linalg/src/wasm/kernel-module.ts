// One way to load a WebAssembly kernel module and give it a fixed-size memory, for every kernel file of the project
// (the project's type libraries do not declare the WebAssembly JavaScript API: the slice used is typed here once).

/** The slice of the WebAssembly JavaScript API used here. */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Bytes in a WebAssembly memory page. */
const PAGE = 65536;

/**
 * A compiler of one kernel module (given as base64 bytes): the returned function compiles it at its first call,
 * synchronously, and returns the same module afterwards, or null where the runtime lacks WebAssembly or rejects the
 * module (no SIMD).
 */
export function kernelModuleLoader(base64: string): () => object | null {
  let compiled: object | null | undefined;
  return () => {
    if (compiled === undefined) {
      const bytes = Buffer.from(base64, 'base64');
      compiled = wasmApi !== undefined && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
    }
    return compiled;
  };
}

/** An instance of a kernel module over its own memory, which never grows (growing would detach every view). */
export interface KernelInstance<E> {
  /** The module's exported functions. */
  readonly exports: E;
  /** The memory's bytes: `capacity` of them, at least those asked for. */
  readonly buffer: ArrayBuffer;
  /** The memory's size in bytes (whole pages). */
  readonly capacity: number;
}

/** Instantiates a module from {@link kernelModuleLoader} with a fixed memory of at least `bytes` bytes (imported as `env.memory`). */
export function instantiateKernels<E>(module: object, bytes: number): KernelInstance<E> {
  if (wasmApi === undefined) throw new Error('instantiateKernels: this runtime has no WebAssembly');
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  const memory = new wasmApi.Memory({ initial: pages, maximum: pages });
  const instance = new wasmApi.Instance(module, { env: { memory } });
  return { exports: instance.exports as E, buffer: memory.buffer, capacity: pages * PAGE };
}
