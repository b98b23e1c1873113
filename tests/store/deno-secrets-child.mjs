// Run by tests/store/deno.test.mjs as
//
//   deno run --no-prompt --allow-net=127.0.0.1 --unstable-kv \
//     --allow-read=<kv dir> --allow-write=<kv dir> tests/store/deno-secrets-child.mjs <base> <kv file>
//
// Every dialect once with `store` = a recording wrapper around
// denoKvStore(Deno.openKv(file)), then a second client per dialect that must
// take the token from Deno KV. Prints `RESULT=<json>`: per dialect the
// recorded calls, tokenInfo, API status and store errors, plus every entry
// the KV file holds afterwards (read back with kv.list).
import { AuthClient, AuthError, denoKvStore } from "edge-auth";
import { SAMPLE_CREDENTIALS } from "../emulator/credentials.mjs";

const [base, kvPath] = Deno.args;
const kv = await Deno.openKv(kvPath);
const unhandled = [];
globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  unhandled.push(String(e.reason?.message ?? e.reason));
});

function recording(store, log) {
  return {
    async get(key) {
      const value = await store.get(key);
      log.push({ op: "get", key, found: value !== null });
      return value;
    },
    async put(key, value, options) {
      log.push({ op: "put", key, value, options: options === undefined ? null : { ...options }, at: Date.now() });
      return store.put(key, value, options);
    },
  };
}

const results = [];
for (const provider of ["younium", "younium-v1", "union", "papaya", "oauth2"]) {
  const log = [];
  const errors = [];
  const make = () => {
    const options = {
      provider,
      baseUrl: base,
      ...SAMPLE_CREDENTIALS[provider],
      store: recording(denoKvStore(kv), log),
      onStoreError: (e) => errors.push(e?.message ?? String(e)),
      autoRefresh: false,
    };
    if (provider === "oauth2") options.audience = "https://api.example";
    return new AuthClient(options);
  };
  const first = make();
  const token = await first.getToken();
  const info = await first.tokenInfo();
  const res = await first.fetch("/ping");
  await res.body?.cancel();
  first.free();
  const second = make();
  const again = await second.getToken();
  second.free();
  results.push({ provider, token, again, info, apiStatus: res.status, log, errors });
}

// denoKvStore refuses what is not a Deno.Kv.
const refusals = [];
for (const bad of [undefined, {}, "kv"]) {
  try {
    denoKvStore(bad);
    refusals.push("accepted");
  } catch (e) {
    refusals.push(e instanceof AuthError ? e.code : `not an AuthError: ${e}`);
  }
}

const entries = [];
for await (const e of kv.list({ prefix: [] })) entries.push({ key: e.key, value: e.value });
kv.close();
console.log("RESULT=" + JSON.stringify({ results, entries, refusals, unhandled }));
