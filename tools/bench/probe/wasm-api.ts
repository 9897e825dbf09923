/**
 * The slice of the WebAssembly JavaScript API the probes use (the project's type libraries, ES2023 + @types/node 20,
 * do not declare the `WebAssembly` global), and a synchronous compile-and-instantiate of a small module.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

/** Compiles and instantiates `bytes` (no imports) synchronously; throws when the runtime has no WebAssembly. */
export function instantiateSync(bytes: Uint8Array): Record<string, unknown> {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('instantiateSync: this runtime has no WebAssembly');
  return new api.Instance(new api.Module(bytes), {}).exports;
}
