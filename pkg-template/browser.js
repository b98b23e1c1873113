// Browser (and bundler) entry: the .wasm is fetched from beside this file
// with top-level await, so importers need no init call.
import init from "./edge_auth.js";

await init({ module_or_path: new URL("./edge_auth_bg.wasm", import.meta.url) });

export { AuthClient, denoKvStore } from "./api.js";
export { AuthError } from "./auth_error.js";
