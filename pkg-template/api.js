// The public AuthClient: a thin JavaScript face on the wasm class. It exists
// for one thing the generated class cannot do: after free(), every call must
// reject with AuthError("invalid_config") rather than touch freed memory.

import { WasmAuthClient } from "./edge_auth.js";
import { AuthError } from "./auth_error.js";

const freed = () =>
  Promise.reject(new AuthError("invalid_config", "this AuthClient has been freed; create a new one"));

export class AuthClient {
  #wasm;

  constructor(options) {
    this.#wasm = new WasmAuthClient(options);
    // So that `client.fetch` can be handed to code that expects a fetch function.
    this.fetch = this.fetch.bind(this);
  }

  // `call` is optional: `{ waitUntil }`, for Workers (see the README).
  getToken(call) {
    return this.#wasm ? this.#wasm.getToken(call) : freed();
  }

  tokenInfo(call) {
    return this.#wasm ? this.#wasm.tokenInfo(call) : freed();
  }

  fetch(input, init, call) {
    return this.#wasm ? this.#wasm.fetch(input, init, call) : freed();
  }

  authHeaders(call) {
    return this.#wasm ? this.#wasm.authHeaders(call) : freed();
  }

  invalidate() {
    this.#wasm?.invalidate();
  }

  free() {
    const wasm = this.#wasm;
    if (wasm) {
      this.#wasm = undefined;
      wasm.dispose();
      wasm.free();
    }
  }
}

if (typeof Symbol.dispose === "symbol") {
  AuthClient.prototype[Symbol.dispose] = AuthClient.prototype.free;
}

/**
 * Adapts a `Deno.Kv` to the store shape (`get`, `put` with `expirationTtl`).
 * Entries live under `[...prefix, key]` and expire with the token.
 */
export function denoKvStore(kv, { prefix = ["edge-auth"] } = {}) {
  if (!kv || typeof kv.get !== "function" || typeof kv.set !== "function") {
    throw new AuthError("invalid_config", "denoKvStore(kv) needs a Deno.Kv (from Deno.openKv())");
  }
  return {
    async get(key) {
      const entry = await kv.get([...prefix, key]);
      return typeof entry.value === "string" ? entry.value : null;
    },
    async put(key, value, { expirationTtl } = {}) {
      const expireIn = Number.isFinite(expirationTtl) ? expirationTtl * 1000 : undefined;
      await kv.set([...prefix, key], value, expireIn ? { expireIn } : undefined);
    },
  };
}
