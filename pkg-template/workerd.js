// Cloudflare Workers entry: wrangler bundles the .wasm as a compiled module.
// Instantiating it is the only thing done at global scope: nothing random,
// timed or fetched.
import wasmModule from "./edge_auth_bg.wasm";
import { initSync } from "./edge_auth.js";

initSync({ module: wasmModule });

export { AuthClient, denoKvStore } from "./api.js";
export { AuthError } from "./auth_error.js";
