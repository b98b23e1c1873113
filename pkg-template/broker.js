// TokenBroker: a Durable Object class for Workers (docs/API.md §7). With
// `broker: env.TOKEN_BROKER`, every isolate's AuthClient uses one object
// per credential identity (named by the store key's hash) as its shared
// store with a lease: the object grants the lease to one caller, which
// asks the vendor and puts the token; the others wait (the object holds a
// lease request open until the token is in, or a short bound) and then
// read it. The token is kept in the object's memory only, never in its
// storage, and never logged; an evicted object simply starts empty.
//
// No promise is shared between requests: each request waits on timers of
// its own, reading the object's memory (a request in workerd that awaits
// another request's I/O may be cancelled).

import { AuthError } from "./auth_error.js";
import { hooks } from "./api.js";

// A lease request held by another is kept open for its token at most this
// long (the client asks for less: 70% of its call's bound).
const HOLD_MS = 800;
const TICK_MS = 5;

export class TokenBroker {
  #entries = new Map(); // key -> { value, expiresAt }
  #leases = new Map(); // key -> until (ms)

  constructor(state, env) {
    // Nothing is read from or written to state.storage.
    void state;
    void env;
  }

  async fetch(request) {
    const url = new URL(request.url);
    const op = url.pathname.slice(1);
    const now = Date.now();
    if (op === "get") {
      const value = this.#fresh(await request.text(), now);
      return value === undefined ? new Response(null, { status: 204 }) : new Response(value);
    }
    if (op === "put") {
      const key = url.searchParams.get("key") ?? "";
      const ttl = Number(url.searchParams.get("ttl")) || 0;
      this.#entries.set(key, { value: await request.text(), expiresAt: ttl > 0 ? now + ttl * 1000 : Infinity });
      // The token is in: whoever waits reads it now.
      this.#leases.delete(key);
      return new Response(null, { status: 204 });
    }
    if (op === "lease") {
      const key = await request.text();
      const ttl = Math.max(1, Number(url.searchParams.get("ttl")) || 0);
      if (!((this.#leases.get(key) ?? 0) > now)) {
        this.#leases.set(key, now + ttl);
        return new Response("granted");
      }
      // Held: answer once the holder's token is in (or its lease ends, or
      // the hold bound), so that the caller's next read finds it.
      const before = this.#entries.get(key);
      const end = now + Math.min(HOLD_MS, Math.max(0, Number(url.searchParams.get("hold")) || 0));
      while (Date.now() < end && (this.#leases.get(key) ?? 0) > Date.now() && this.#entries.get(key) === before) {
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
      return new Response("held");
    }
    return new Response(null, { status: 404 });
  }

  #fresh(key, now) {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > now) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }
}

/**
 * The client's side of the `TokenBroker` Durable Object (broker.js): the
 * store shape with a lease, one object per store key (idFromName). Each
 * call is a fetch of the caller's own request (workerd cancels a request
 * that awaits another's I/O).
 */
function brokerStore(namespace) {
  if (typeof namespace?.idFromName !== "function" || typeof namespace.get !== "function") {
    throw new AuthError("invalid_config", "broker must be a Durable Object namespace binding of the TokenBroker class (env.TOKEN_BROKER; see the README)");
  }
  const call = async (key, op, body, query = "") => {
    const response = await namespace.get(namespace.idFromName(key)).fetch(`https://token-broker/${op}${query}`, { method: "POST", body });
    if (!response.ok) throw new Error(`the token broker answered ${op} with HTTP ${response.status}`);
    return response.status === 204 ? null : response.text();
  };
  return {
    get: (key) => call(key, "get", key),
    put: (key, value, { expirationTtl } = {}) => call(key, "put", value, `?key=${encodeURIComponent(key)}&ttl=${Number(expirationTtl) || 0}`).then(() => {}),
    // Held by another, the object answers once its token is in: within the
    // call's bound, with room for the read that follows.
    lease: async (key, ttlMs, boundMs = 1000) => (await call(key, "lease", key, `?ttl=${ttlMs}&hold=${Math.floor(boundMs * 0.7)}`)) === "granted",
  };
}

hooks.brokerStore = brokerStore;
