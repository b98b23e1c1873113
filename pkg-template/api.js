// The public AuthClient: a thin JavaScript face on the wasm class. It exists
// for two things the generated class cannot do:
// - after free(), every call must reject with AuthError("invalid_config")
//   rather than touch freed memory;
// - the hot path: `client.fetch` with a fresh cached token and a plain call
//   (a URL string or URL, no caller headers, no body or a string body) is
//   made here, without crossing into the wasm. The wasm publishes the token,
//   until when it is fresh and the headers it goes with whenever they change;
//   every other case, and the retry after a 401, is the wasm's.

import { WasmAuthClient } from "./edge_auth.js";
import { AuthError, apiFailure } from "./auth_error.js";

const freed = () =>
  Promise.reject(new AuthError("invalid_config", "this AuthClient has been freed; create a new one"));

// As the wasm's rules (src/core/url.rs): axios's absolute-URL test, and the
// loopback hosts that may get a token over http:.
const ABSOLUTE = /^[a-z][a-z\d+\-.]*:\/\//i;
const LOOPBACK = /^(localhost\.?|\[::1\]|127(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})$/i;

// Mirrors the wasm's check that a fetch result is a Response.
const isResponse = (r) => r !== null && typeof r === "object" && typeof r.status === "number" && r.headers !== null && typeof r.headers === "object";

export class AuthClient {
  #wasm;
  // What the wasm published: { token, until, headers, json }.
  #slot;
  #fetchOption;
  #base;
  // The last URL #target let through: a loop over one endpoint parses it once.
  #allowed;

  constructor(options) {
    // The hook holds the slot only (never `this`), so the wasm keeps no
    // reference to this object and a dropped client can be collected.
    const slot = { token: undefined, until: 0, headers: undefined, json: undefined };
    this.#wasm = new WasmAuthClient(options, (token, until, headers) => {
      slot.token = token;
      slot.until = until;
      slot.headers = headers;
      slot.json = headers && { ...headers, "content-type": "application/json" };
    });
    this.#slot = slot;
    this.#fetchOption = this.#wasm.configuredFetch;
    this.#base = this.#wasm.apiBase;
    // So that `client.fetch` can be handed to code that expects a fetch function.
    this.fetch = this.fetch.bind(this);
  }

  // `call` is optional: `{ waitUntil }`, for Workers (see the README).
  getToken(call) {
    return this.#wasm ? this.#wasm.getToken(call) : freed();
  }

  async tokenInfo(call) {
    for (;;) {
      const token = await this.getToken(call);
      // An invalidate() between the two may have dropped it: go round.
      const info = this.#wasm?.infoFor(token);
      if (info !== undefined) return info;
    }
  }

  fetch(input, init, call) {
    const wasm = this.#wasm;
    if (!wasm) return freed();
    return this.#direct(input, init, call) ?? wasm.fetch(input, init, call, undefined);
  }

  // The hot path, or undefined when the call is not a plain one or the token
  // is not fresh: the wasm then handles it (and says what is wrong, if anything).
  #direct(input, init, call) {
    const slot = this.#slot;
    if (slot.token === undefined || !(Date.now() < slot.until)) return;
    let headers = slot.headers;
    if (init !== undefined) {
      if (init === null || typeof init !== "object" || init.headers !== undefined || init.signal?.aborted) return;
      const body = init.body;
      if (typeof body === "string") headers = slot.json;
      else if (body !== undefined && body !== null) return;
    }
    const url = this.#target(input);
    const fetch = this.#fetchOption ?? globalThis.fetch;
    if (url === undefined || typeof fetch !== "function") return;
    return this.#send(fetch, url, init === undefined ? { headers } : { ...init, headers }, slot.token, input, init, call);
  }

  // The URL fetch gets: a string or URL as is, a relative string joined to
  // baseUrl; only https:, or http: to loopback, as the runtime parses it.
  #target(input) {
    const text = typeof input === "string" ? input : input instanceof URL ? input.href : undefined;
    if (text === undefined || text.startsWith("//")) return;
    let url = text;
    if (!ABSOLUTE.test(text)) {
      if (this.#base === undefined) return;
      url = text === "" ? this.#base : `${this.#base.replace(/\/+$/, "")}/${text.replace(/^\/+/, "")}`;
    }
    if (url === this.#allowed) return url;
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      return;
    }
    const { protocol } = parsed;
    if (protocol === "https:" || (protocol === "http:" && LOOPBACK.test(parsed.hostname))) return (this.#allowed = url);
  }

  async #send(fetch, url, init, token, input, callerInit, call) {
    let response;
    try {
      response = await fetch.call(globalThis, url, init);
    } catch (error) {
      throw apiFailure(error);
    }
    if (!isResponse(response)) throw apiFailure(new TypeError("fetch resolved to something that is not a Response"));
    if (response.status !== 401) return response;
    // The token was refused: the wasm drops it and makes the one retry.
    try {
      if (response.body && !response.body.locked) response.body.cancel().catch(() => {});
    } catch {
      // A body that cannot be cancelled is left to the garbage collector.
    }
    const wasm = this.#wasm;
    return wasm ? wasm.fetch(input, callerInit, call, token) : freed();
  }

  async authHeaders(call) {
    const token = await this.getToken(call);
    return this.#wasm ? this.#wasm.headersFor(token) : freed();
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
