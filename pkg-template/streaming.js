// "edge-auth/streaming": the browser entry for those who want the .wasm as
// its own file, cached on its own and compiled while it downloads. It waits
// for the wasm with top-level await and finds it with
// new URL("./edge_auth_bg.wasm", import.meta.url), which an import map,
// webpack 5 and Vite 8 handle as they are; older Vite, Rollup and esbuild
// need configuration for one or the other. require() of this subpath gets
// browser.cjs (a CommonJS module cannot wait for the wasm).
import { startStreaming } from "./load.js";

await startStreaming(
  "streaming",
  new URL("./edge_auth_bg.wasm", import.meta.url),
  "serve edge_auth_bg.wasm beside streaming.js (as application/wasm) or configure the bundler to emit it as an asset; " +
    'or import "edge-auth" instead, whose browser entry carries the wasm inline',
);

export { AuthClient, denoKvStore } from "./api.js";
export { AuthError } from "./auth_error.js";
