// Browser and bundler entry ("browser" and "default" conditions): the wasm
// travels inline, as text in edge_auth_wasm.js (see wasm_text.js), so every
// bundler (Vite, webpack, Rollup, esbuild, Parcel) and an import map take it
// with no configuration, no top-level await and no asset, and it starts
// synchronously. "edge-auth/streaming" fetches the .wasm file instead.
import { wasmText, wasmLength } from "./edge_auth_wasm.js";
import { decodeWasmText } from "./wasm_text.js";
import { start } from "./load.js";

start("browser", () => decodeWasmText(wasmText, wasmLength), "reinstall edge-auth: its inline wasm is damaged");

export { AuthClient, denoKvStore } from "./api.js";
export { AuthError } from "./auth_error.js";
