// Test worker for tests/store/workers-kv.test.mjs and broker.test.mjs,
// bundled by wrangler with the "workerd" export condition of edge-auth and
// run by miniflare with a Workers KV namespace bound as TOKENS, or the
// TokenBroker Durable Object namespace as TOKEN_BROKER (the class is
// exported here, as a user's worker exports it). Every client is created
// lazily by a request (nothing at global scope) and passes `env.TOKENS` as
// its store or `env.TOKEN_BROKER` as its broker, as a user would.
import { AuthClient, AuthError } from "edge-auth";

export { TokenBroker } from "edge-auth";
import { SAMPLE_CREDENTIALS } from "../emulator/credentials.mjs";

// One client per isolate and configuration (/token), like a user's
// module-level client.
const clients = new Map();
// What onStoreError received, per client key.
const storeErrors = new Map();

const unhandled = [];
addEventListener("unhandledrejection", (event) => unhandled.push(String(event.reason?.stack ?? event.reason)));

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function required(url, name) {
  const v = url.searchParams.get(name);
  if (!v) throw new Error(`missing query parameter ${name}`);
  return v;
}

function describe(e) {
  if (e instanceof AuthError) return `AuthError ${e.code} ${e.status ?? ""}: ${e.message}`;
  return String(e?.stack ?? e);
}

/** A store that records every call, around a real one. */
function recording(store, log) {
  return {
    async get(key) {
      const value = await store.get(key);
      log.push({ op: "get", key, found: value !== null });
      return value;
    },
    async put(key, value, options) {
      log.push({ op: "put", key, value, options: options === undefined ? null : { ...options } });
      return store.put(key, value, options);
    },
  };
}

/** A Durable Object namespace whose objects throw (unreachable) or never answer. */
function faultyNamespace(namespace, fault) {
  return {
    idFromName: (name) => namespace.idFromName(name),
    get: () => ({
      fetch: () => (fault === "hangs" ? new Promise(() => {}) : Promise.reject(new Error("Durable Object unreachable (test)"))),
    }),
  };
}

const routes = {
  // A token from this isolate's client for (emu, ns, provider, leeway,
  // store): store=0 makes a client without the store, for comparison.
  "/token": async (url, env) => {
    const emu = required(url, "emu");
    const ns = required(url, "ns");
    const provider = url.searchParams.get("provider") ?? "younium";
    const leeway = url.searchParams.get("leeway");
    const useStore = url.searchParams.get("store") !== "0";
    // broker=1: the TokenBroker; "unreachable" / "hangs": a namespace whose
    // objects throw, or never answer.
    const broker = url.searchParams.get("broker");
    const timeoutMs = url.searchParams.get("timeoutMs");
    const key = `${emu}|${ns}|${provider}|${leeway}|${useStore}|${broker}|${timeoutMs}`;
    let entry = clients.get(key);
    if (!entry) {
      const errors = [];
      storeErrors.set(key, errors);
      const options = {
        provider,
        baseUrl: `${emu}/t/${ns}`,
        ...SAMPLE_CREDENTIALS[provider],
      };
      if (timeoutMs !== null) options.timeoutMs = Number(timeoutMs);
      if (broker) {
        options.broker = broker === "1" ? env.TOKEN_BROKER : faultyNamespace(env.TOKEN_BROKER, broker);
        options.onStoreError = (e) => errors.push(e?.message ?? String(e));
      } else if (useStore) {
        options.store = env.TOKENS;
        options.onStoreError = (e) =>
          errors.push(e instanceof Error ? `${e.message}${e.cause ? ` (cause: ${String(e.cause?.message ?? e.cause)})` : ""}` : `not an Error: ${String(e)}`);
      }
      if (leeway !== null) options.refreshLeewaySeconds = Number(leeway);
      entry = { client: new AuthClient(options), errors };
      clients.set(key, entry);
    }
    const asked = Date.now();
    const token = await entry.client.getToken();
    const at = Date.now();
    const info = await entry.client.tokenInfo();
    return json({ token, at, waited: at - asked, expiresAt: info.accessToken === token ? info.expiresAt : null, storeErrors: entry.errors });
  },

  // Takes the broker's lease for the key of (emu, ns, younium) and never
  // puts a token: a holder that dies. The key is the client's: read from a
  // recording store of a client that is never asked to send a request.
  "/take-lease": async (url, env) => {
    const key = required(url, "key");
    const stub = env.TOKEN_BROKER.get(env.TOKEN_BROKER.idFromName(key));
    const res = await stub.fetch(`https://token-broker/lease?ttl=${required(url, "ttl")}`, { method: "POST", body: key });
    return json({ answer: await res.text() });
  },

  // Every dialect once, through a recording wrapper around env.TOKENS: what
  // was put, each client's tokenInfo(), and an API call with the token.
  "/dialects": async (url, env) => {
    const emu = required(url, "emu");
    const ns = required(url, "ns");
    const out = [];
    for (const provider of ["younium", "younium-v1", "union", "papaya", "oauth2"]) {
      const log = [];
      const errors = [];
      const options = {
        provider,
        baseUrl: `${emu}/t/${ns}`,
        ...SAMPLE_CREDENTIALS[provider],
        store: recording(env.TOKENS, log),
        onStoreError: (e) => errors.push(e?.message ?? String(e)),
      };
      if (provider === "oauth2") options.scope = "read write";
      const client = new AuthClient(options);
      const token = await client.getToken();
      const info = await client.tokenInfo();
      const res = await client.fetch("/ping");
      await res.arrayBuffer();
      out.push({ provider, token, info, apiStatus: res.status, log, errors });
    }
    return json({ results: out });
  },

  "/unhandled": async () => json({ unhandled }),
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const route = routes[url.pathname];
    if (!route) return json({ error: `no route ${url.pathname}` }, 404);
    try {
      return await route(url, env);
    } catch (e) {
      return json({ error: describe(e) }, 500);
    }
  },
};
