// Node entry ("node" condition, ESM): the .wasm is read from beside this
// file, synchronously, at import.
import { readFileSync } from "node:fs";
import { start } from "./load.js";

start(
  "node",
  () => readFileSync(new URL("./edge_auth_bg.wasm", import.meta.url)),
  "edge_auth_bg.wasm must sit beside node.js; if a bundler moved this entry into a bundle, keep edge-auth external " +
    '(esbuild --external:edge-auth, webpack externals), copy the .wasm beside the bundle, or bundle with the "browser" condition, ' +
    "whose entry carries the wasm inline",
);

export { AuthClient, denoKvStore } from "./api.js";
export { redisStore } from "./redis.js";
export { AuthError } from "./auth_error.js";
