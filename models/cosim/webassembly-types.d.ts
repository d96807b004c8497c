/**
 * The slice of the WebAssembly JS API cosim uses: Node has it at run time, but the project's
 * TypeScript libs (ES2022, no DOM) do not declare it.
 */
declare global {
  namespace WebAssembly {
    class Module {
      constructor(bytes: Uint8Array);
    }
    class Instance {
      constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
      readonly exports: Record<string, unknown>;
    }
    class Memory {
      readonly buffer: ArrayBuffer;
      grow(pages: number): number;
    }
    class Global {
      value: unknown;
    }
    class RuntimeError extends Error {}
    function compile(bytes: Uint8Array): Promise<Module>;
  }
}

export {};
