/**
 * Loads TF.js core with gradients and one backend, offline:
 * - tfjs-core's Node bundle registers no gradients; its per-file ES build does
 *   (`dist/register_all_gradients.js`), but imports without extensions, so a small resolve hook
 *   (tfjs-resolve-hook.mjs) adds them. tfjs keeps its engine and registries on globalThis, so the
 *   gradients land in the same engine the bundle uses.
 * - The wasm backend reads its .wasm files from node_modules (a file-path prefix; nothing is
 *   downloaded) and runs on one thread (Node has no wasm threads in tfjs 4.x anyway).
 */
import { createRequire, register } from "node:module";
import { dirname } from "node:path";

export type Tf = typeof import("@tensorflow/tfjs-core");

let hookRegistered = false;

export async function loadTfjs(backend: "wasm" | "cpu"): Promise<{ tf: Tf; info: string[] }> {
  if (!hookRegistered) {
    register("./tfjs-resolve-hook.mjs", import.meta.url);
    hookRegistered = true;
  }
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  tf.env().set("PROD", true); // silences the "install tfjs-node" banner; no effect on kernels
  const info: string[] = [`tfjs-core ${tf.version_core}`];
  if (backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const dir = dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm"));
    wasm.setWasmPaths(`${dir}/`);
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend("wasm"))) throw new Error("TF.js: the wasm backend failed to initialise");
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    info.push(`wasm backend: SIMD ${simd ? "on" : "off"}, ${wasm.getThreadsCount()} thread(s)`);
  } else {
    await import("@tensorflow/tfjs-backend-cpu");
    if (!(await tf.setBackend("cpu"))) throw new Error("TF.js: the cpu backend failed to initialise");
    info.push("cpu backend (plain JS kernels)");
  }
  await tf.ready();
  return { tf, info };
}
