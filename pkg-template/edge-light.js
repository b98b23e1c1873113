// Vercel / Next.js edge entry ("edge-light" condition): their bundlers
// (webpack and Turbopack) turn a `.wasm?module` import into a compiled
// WebAssembly.Module, the only way to bring wasm into an edge function (it
// may not compile bytes at run time). The module may come from another
// realm than this code: load.js checks it without instanceof.
import wasmModule from "./edge_auth_bg.wasm?module";
import { start } from "./load.js";

start(
  "edge-light",
  () => wasmModule,
  'this entry is for Vercel and Next.js edge functions, whose bundler turns `import m from "./edge_auth_bg.wasm?module"` into a WebAssembly.Module; ' +
    'with another bundler, resolve "edge-auth" without the "edge-light" condition (its "browser" entry carries the wasm inline)',
);

export { AuthClient, denoKvStore } from "./api.js";
export { AuthError } from "./auth_error.js";
