// Bun entry ("bun" condition): the .wasm is a file import, which `bun run`
// reads in place and `bun build` (to a directory, or --compile into one
// executable) carries along; the path it gives is read synchronously.
// `bun build` gives a path relative to the bundle, not to the working
// directory, hence the resolve against import.meta.dir.
import wasmPath from "./edge_auth_bg.wasm" with { type: "file" };
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { start } from "./load.js";

start(
  "bun",
  () => readFileSync(resolve(import.meta.dir, wasmPath)),
  "the .wasm that `bun build` wrote beside the bundle must travel with it (or build with --compile, which embeds it)",
);

export { AuthClient, denoKvStore } from "./api.js";
export { redisStore } from "./redis.js";
export { AuthError } from "./auth_error.js";
