// The public AuthClient: a thin JavaScript face on the wasm class.
// - After free(), every call rejects with AuthError("invalid_config") rather
//   than touch freed memory.
// - `client.fetch` is in api_fetch.js: it is the hot path, and with a fresh
//   cached token it makes no wasm call. The wasm publishes that token, until
//   when it is fresh and its headers into a slot each time they change.

import { WasmAuthClient } from "./edge_auth.js";
import { AuthError } from "./auth_error.js";
import { apiFetch, apiOrigins, askToken, freedError, headerObject, ownSignal, slotHeaders } from "./api_fetch.js";

const freed = () => Promise.reject(freedError());

export class AuthClient {
  // { wasm, slot: { token, until, list, headers, json, used }, fetch, base, origins, checked, accepted }
  #core;

  constructor(options) {
    // The hooks hold the slot only (never `this`), so the wasm keeps no
    // reference to this object and a dropped client can be collected.
    const slot = { token: undefined, until: 0, list: undefined, headers: undefined, json: undefined, used: false };
    const publish = (token, until, list) => {
      slot.token = token;
      slot.until = until;
      slot.list = list;
      Object.assign(slot, list ? slotHeaders(list) : { headers: undefined, json: undefined });
    };
    // Whether client.fetch used the published token since the refresh timer last asked.
    const used = () => {
      const was = slot.used;
      slot.used = false;
      return was;
    };
    const wasm = new WasmAuthClient(ownOptions(options), publish, used);
    const [fetch, base, allowed] = wasm.faceOptions();
    let origins;
    try {
      origins = apiOrigins(base, allowed);
    } catch (error) {
      wasm.dispose();
      wasm.free();
      throw error;
    }
    this.#core = { wasm, slot, fetch, base, origins, checked: undefined, accepted: undefined };
    // So that `client.fetch` can be handed to code that expects a fetch function.
    this.fetch = this.fetch.bind(this);
  }

  // `call` is optional: `{ waitUntil, signal }` (see the README).
  getToken(call) {
    const wasm = this.#core.wasm;
    return wasm ? askToken(this.#core, call, ownSignal(call)) : freed();
  }

  async tokenInfo(call) {
    for (;;) {
      const token = await this.getToken(call);
      // An invalidate() between the two may have dropped it: go round.
      const info = this.#core.wasm?.infoFor(token);
      if (info !== undefined) return info;
    }
  }

  fetch(input, init, call) {
    return this.#core.wasm ? apiFetch(this.#core, input, init, call) : freed();
  }

  async authHeaders(call) {
    return headerObject(this.#core, await this.getToken(call));
  }

  invalidate() {
    this.#core.wasm?.invalidate();
  }

  free() {
    const wasm = this.#core.wasm;
    if (wasm) {
      this.#core.wasm = undefined;
      wasm.dispose();
      wasm.free();
    }
  }
}

/**
 * The options' own properties (docs/API.md §2: an inherited
 * `Object.prototype.tokenUrl` is not an option), on an object without a
 * prototype, for the wasm's typed getters; a property whose getter throws
 * reads as absent. Anything but an object is passed on for the wasm to refuse.
 */
function ownOptions(options) {
  if (options === null || typeof options !== "object") return options;
  const own = Object.create(null);
  let names = [];
  try {
    names = Object.getOwnPropertyNames(options);
  } catch {
    // A proxy whose trap throws: no options.
  }
  for (const name of names) {
    try {
      own[name] = options[name];
    } catch {
      // A throwing getter: absent.
    }
  }
  // `broker` is a store with a lease, kept by a Durable Object (docs/API.md
  // §7.1); its client side comes with the workerd entry (broker.js).
  if (own.broker != null) {
    if (!hooks.brokerStore) throw new AuthError("invalid_config", "broker is for Cloudflare Workers: it needs the package's workerd entry (elsewhere use store)");
    if (own.store != null) throw new AuthError("invalid_config", "broker and store are exclusive: the broker is the shared store (give one of them)");
    own.store = hooks.brokerStore(own.broker);
  }
  delete own.broker;
  return own;
}

/** Set by entries that bring more: broker.js sets `brokerStore` (workerd only). */
export const hooks = {};

if (typeof Symbol.dispose === "symbol") {
  AuthClient.prototype[Symbol.dispose] = AuthClient.prototype.free;
}

/**
 * Adapts a `Deno.Kv` to the store shape (`get`, `put` with `expirationTtl`,
 * `lease`). Entries live under `[...prefix, key]` and expire with the
 * token; the lease under `[...prefix, key, "lease"]`, taken with an atomic
 * check of its versionstamp and holding its own expiry (Deno KV's
 * `expireIn` deletes lazily, so an entry may outlive it). A `put` ends the
 * lease: the token it was for is in.
 */
export function denoKvStore(kv, options) {
  if (!kv || typeof kv.get !== "function" || typeof kv.set !== "function") {
    throw new AuthError("invalid_config", "denoKvStore(kv) needs a Deno.Kv (from Deno.openKv())");
  }
  // An own property only, as every option is.
  const prefix = options !== null && typeof options === "object" && Object.hasOwn(options, "prefix") && options.prefix !== undefined ? options.prefix : ["edge-auth"];
  const store = {
    async get(key) {
      const entry = await kv.get([...prefix, key]);
      return typeof entry.value === "string" ? entry.value : null;
    },
    async put(key, value, { expirationTtl } = {}) {
      const expireIn = Number.isFinite(expirationTtl) ? expirationTtl * 1000 : undefined;
      const options = expireIn ? { expireIn } : undefined;
      await (typeof kv.atomic === "function"
        ? unlocked(() => kv.atomic().set([...prefix, key], value, options).delete([...prefix, key, "lease"]).commit())
        : kv.set([...prefix, key], value, options));
    },
  };
  // Without atomic operations (not a real Deno.Kv), no lease.
  if (typeof kv.atomic !== "function") return store;
  return {
    ...store,
    lease: (key, ttlMs) =>
      unlocked(async () => {
        const at = [...prefix, key, "lease"];
        const held = await kv.get(at);
        const now = Date.now();
        if (typeof held.value?.until === "number" && held.value.until > now) return false;
        // Whoever commits first over this versionstamp holds it.
        const taken = await kv.atomic().check({ key: at, versionstamp: held.versionstamp }).set(at, { until: now + ttlMs }, { expireIn: ttlMs }).commit();
        return taken.ok === true;
      }),
  };
}

/**
 * Runs `step` again, a few times, while a local Deno KV file is locked by
 * another process's commit (SQLite's "database is locked"): the next try
 * sees what that commit did.
 */
async function unlocked(step) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= 8 || !/database is locked/.test(String(error?.message))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
}
