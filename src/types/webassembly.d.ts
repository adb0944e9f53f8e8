/**
 * The part of the WebAssembly JavaScript API that modelgate calls (lib.dom declares it; this project's lib is
 * ES2022 alone, and @types/node does not).
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
  }
  class Module {}
  class Instance {
    readonly exports: Record<string, unknown>;
  }
  function compile(bytes: ArrayBuffer | ArrayBufferView): Promise<Module>;
  function instantiate(module: Module, imports: Record<string, Record<string, unknown>>): Promise<Instance>;
}
