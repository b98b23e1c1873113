// Node entry: the .wasm is read from beside this file, synchronously, at import.
import { readFileSync } from "node:fs";
import { initSync } from "./edge_auth.js";

initSync({ module: readFileSync(new URL("./edge_auth_bg.wasm", import.meta.url)) });

export { AuthClient, denoKvStore } from "./api.js";
export { AuthError } from "./auth_error.js";
