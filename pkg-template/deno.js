// Deno entry ("deno" condition): the .wasm arrives as a compiled module
// through a source-phase import, so loading the package needs no
// --allow-read.
import source wasmModule from "./edge_auth_bg.wasm";
import { start } from "./load.js";

start("deno", () => wasmModule, "use Deno 2.1 or later, which imports .wasm files as modules");

export { AuthClient, denoKvStore } from "./api.js";
export { redisStore } from "./redis.js";
export { AuthError } from "./auth_error.js";
