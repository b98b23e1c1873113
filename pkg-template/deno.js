// Deno entry: the .wasm arrives as a compiled module through a source-phase
// import, so loading the package needs no --allow-read.
import source wasmModule from "./edge_auth_bg.wasm";
import { initSync } from "./edge_auth.js";

initSync({ module: wasmModule });

export { AuthClient, denoKvStore } from "./api.js";
export { AuthError } from "./auth_error.js";
