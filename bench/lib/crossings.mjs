// Counts the calls across the wasm boundary of one client's life in Node:
// every call from JavaScript into a wasm export (JS→wasm) and every call
// from the wasm into one of its imports (wasm→JS: a Web API, a wasm-bindgen
// helper, or one of the package's own JS functions), per phase:
//   construct  new AuthClient(options)
//   cold fetch the first client.fetch(url): a token request, then the API call
//   warm fetch a second client.fetch(url) with the token fresh
// It wraps WebAssembly.Instance before the package instantiates its module,
// so it counts what the package really does (import and export names are
// shown as wasm-bindgen made them, before make pkg shortened them). `fetch` is an in-process stub
// (a token response for the token endpoint, 200 {"ok":true} otherwise): no
// network, nothing timed.
//
//   node bench/lib/crossings.mjs [--json]       (after make pkg)
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs, importEdgeAuth, ROOT } from "./common.mjs";

const args = parseArgs(process.argv.slice(2));
// make pkg shortens the wasm's import and export names; this file maps them back.
const NAMES = path.join(ROOT, "target/edge_auth.names.json");
const original = existsSync(NAMES) ? JSON.parse(readFileSync(NAMES, "utf8")) : {};
const shown = (name) => (original[name] ?? name).replace(/_[0-9a-f]{16}$/, "");
const counts = new Map();
let phase = "load";
const bump = (direction, name) => {
  const key = `${phase}\u0000${direction}\u0000${name}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
};

const RealInstance = WebAssembly.Instance;
WebAssembly.Instance = function Instance(module, imports) {
  const wrapped = {};
  for (const [ns, members] of Object.entries(imports ?? {})) {
    wrapped[ns] = {};
    for (const [name, value] of Object.entries(members)) {
      wrapped[ns][name] =
        typeof value === "function"
          ? function (...a) {
              bump("wasm→JS", shown(name));
              return value.apply(this, a);
            }
          : value;
    }
  }
  const instance = new RealInstance(module, wrapped);
  const exports = {};
  for (const [name, value] of Object.entries(instance.exports)) {
    exports[name] =
      typeof value === "function"
        ? function (...a) {
            bump("JS→wasm", shown(name));
            return value.apply(this, a);
          }
        : value;
  }
  return { exports };
};

const { AuthClient } = await importEdgeAuth();

const TOKEN_URL = "https://auth.example.test/oauth/token";
const API_URL = "https://api.example.test/v1/items";
const tokenBody = JSON.stringify({ token_type: "Bearer", access_token: "crossings-access-token-0123456789", expires_in: 3600 });
// With a Content-Length, as an HTTP server sends a body it has whole.
const json = (body) => new Response(body, { status: 200, headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) } });
const stubFetch = async (input) => json((typeof input === "string" ? input : input.url) === TOKEN_URL ? tokenBody : '{"ok":true}');
globalThis.fetch = stubFetch;

phase = "construct";
const client = new AuthClient({
  provider: "oauth2",
  baseUrl: "https://api.example.test",
  tokenUrl: TOKEN_URL,
  clientId: "crossings-client",
  clientSecret: "crossings-secret",
  autoRefresh: false,
});
phase = "cold fetch";
await (await client.fetch(API_URL)).text();
phase = "warm fetch";
await (await client.fetch(API_URL)).text();
phase = "free";
client.free();

const table = {};
for (const [key, n] of counts) {
  const [p, direction, name] = key.split("\u0000");
  const t = (table[p] ??= { "JS→wasm": 0, "wasm→JS": 0, calls: {} });
  t[direction] += n;
  t.calls[`${direction} ${name}`] = n;
}
if (args.json) {
  console.log(JSON.stringify(table, null, 2));
} else {
  for (const [p, t] of Object.entries(table)) {
    console.log(`${p}: ${t["JS→wasm"] + t["wasm→JS"]} crossings (${t["JS→wasm"]} JS→wasm, ${t["wasm→JS"]} wasm→JS)`);
    for (const [name, n] of Object.entries(t.calls).sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(4)}  ${name}`);
  }
}
