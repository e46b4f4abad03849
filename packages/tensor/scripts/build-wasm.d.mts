/** Types for build-wasm.mjs (imported by test/wasm-build.test.ts). */
export declare const WASM_DIR: string;
export declare const GENERATED: string;
export declare function assembleKernels(): Promise<Record<string, Uint8Array>>;
export declare function assembleRowKernels(): Promise<Record<string, Uint8Array>>;
export declare function assembleNormOptimKernels(): Promise<Record<string, Uint8Array>>;
export declare function assembleUnaryKernels(): Promise<Record<string, Uint8Array>>;
export declare function assembleBinaryKernels(): Promise<Record<string, Uint8Array>>;
export declare function assembleAll(): Promise<Record<string, Uint8Array>>;
export declare function generatedSource(kernels: Record<string, Uint8Array>): string;
