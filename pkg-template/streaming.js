// "edge-auth/streaming": the browser entry for those who want the .wasm as
// its own file, cached on its own and compiled while it downloads. It waits
// for the wasm with top-level await and finds it with
// new URL("./edge_auth_bg.wasm", import.meta.url), which an import map,
// Vite 7 and later, and webpack 5 handle; Vite 6 and earlier, Rollup and
// esbuild need configuration for one or the other (the README says which).
import { startStreaming } from "./load.js";

await startStreaming(
  "streaming",
  new URL("./edge_auth_bg.wasm", import.meta.url),
  "serve edge_auth_bg.wasm beside streaming.js (as application/wasm) or configure the bundler to emit it as an asset; " +
    'or import "edge-auth" instead, whose browser entry carries the wasm inline',
);

export { AuthClient, denoKvStore } from "./api.js";
export { AuthError } from "./auth_error.js";
