// Node ESM resolve hook for tfjs-core's per-file ES module build (dist/*.js), which uses
// extensionless relative imports ("./gradients/Abs_grad"). Only that build ships the gradient
// registrations (dist/register_all_gradients.js); the Node bundle (dist/tf-core.node.js) has none.
// Registry, engine and Tensor identity are global in tfjs, so the two copies share one engine.
const CORE_DIST = "/@tensorflow/tfjs-core/dist/";

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL ?? "";
  if (parent.includes(CORE_DIST) && specifier.startsWith(".") && !/\.[cm]?js$|\.json$/.test(specifier)) {
    try {
      const r = await nextResolve(`${specifier}.js`, context);
      return { ...r, format: "module" };
    } catch {
      // fall through: a directory or an already complete specifier
    }
  }
  const r = await nextResolve(specifier, context);
  if (r.url.includes(CORE_DIST) && !/\/tf-core[^/]*\.js$/.test(r.url) && r.url.endsWith(".js")) {
    return { ...r, format: "module" };
  }
  return r;
}
