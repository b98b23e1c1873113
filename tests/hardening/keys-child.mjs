// The child of tests/hardening/keys.test.mjs: signing clients (private_key_jwt
// with RS256, PS256 and ES256 keys as PEM and JWK, client_secret_jwt, a
// Google service account) driven through the emulator's faults, a wrong key,
// a server that echoes the whole request back, and malformed keys; every
// rendering of every outcome is printed (errors in every form, tokenInfo,
// onToken, store keys and values, console output). The parent greps all of
// it for the private keys, which it gave in KEYS_JSON.
import { inspect } from "node:util";
import { AuthClient } from "edge-auth";

const [emu, ns] = [process.env.EMU, process.env.NS];
const keys = JSON.parse(process.env.KEYS_JSON);
const base = `${emu}/t/${ns}`;
const post = (path, body) => fetch(`${base}/__emulator/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.text());
const show = (label, value) => {
  console.log(label, inspect(value, { showHidden: true, depth: 6 }));
  if (value instanceof Error) console.log(label, String(value), JSON.stringify(value), value.stack, JSON.stringify(value.messages));
  else console.log(label, JSON.stringify(value));
};
const FAULTS = [{ kind: "status", status: 500 }, { kind: "html" }, { kind: "badjson" }, { kind: "drop" }, { kind: "redirect" }, { kind: "status", status: 401 }, { kind: "echo-secret" }];

const store = new Map();
const shared = { get: async (k) => store.get(k) ?? null, put: async (k, v) => void store.set(k, v) };
const common = { store: shared, onToken: (i) => show("onToken", i), onStoreError: (e) => show("onStoreError", e), deadlineMs: 4000, timeoutMs: 1500, autoRefresh: false };

async function drive(label, options) {
  let client;
  try {
    client = new AuthClient({ ...common, ...options });
  } catch (e) {
    return show(`${label} constructor`, e);
  }
  // A custom fetch never reaches the emulator: no faults for it.
  for (const fault of [null, ...(options.fetch ? [] : FAULTS)]) {
    if (fault) await post("fault", { target: "token", ...fault });
    client.invalidate();
    try {
      show(`${label} token`, await client.getToken());
      show(`${label} tokenInfo`, await client.tokenInfo());
    } catch (e) {
      show(`${label} ${fault?.kind ?? "ok"}`, e);
    }
  }
  show(`${label} client`, client);
  client.free();
}

const tokenUrl = `${base}/api/v2/oauth2/token`;
const oauth2 = { provider: "oauth2", tokenUrl, baseUrl: base, clientId: process.env.CLIENT_ID };
for (const k of keys.pairs) {
  await post("client-key", { alg: k.alg, kid: k.kid, jwk: k.pub });
  await drive(`${k.alg} pem`, { ...oauth2, privateKey: k.pem, keyId: k.kid, ...(k.alg === "PS256" ? { algorithm: "PS256" } : {}) });
  await drive(`${k.alg} jwk`, { ...oauth2, privateKey: k.jwk, keyId: k.kid, ...(k.alg === "PS256" ? { algorithm: "PS256" } : {}) });
  // Not registered under this kid: the server refuses the assertion.
  await drive(`${k.alg} unknown`, { ...oauth2, privateKey: k.pem, keyId: "not-registered" });
  // Malformed: every way the constructor refuses a key.
  for (const bad of [k.pem.replaceAll("PRIVATE KEY", "RSA PRIVATE KEY"), k.pem.replace(/\n[A-Za-z0-9+/]{64}\n/, "\n#\n"), k.pem.slice(0, 200) + "\n-----END PRIVATE KEY-----", { ...k.jwk, d: undefined }, { ...k.jwk, kty: "OKP" }]) {
    await drive(`${k.alg} malformed`, { ...oauth2, privateKey: bad });
  }
  await drive(`${k.alg} wrong algorithm`, { ...oauth2, privateKey: k.pem, algorithm: k.alg === "ES256" ? "RS256" : "ES256" });
  // A server that answers 400 with the whole request echoed: the assertion is redacted.
  const echo = async (input, init) => new Response(JSON.stringify({ error: "invalid_client", error_description: `you sent ${init.body}` }), { status: 400, headers: { "content-type": "application/json" } });
  await drive(`${k.alg} echo`, { ...oauth2, privateKey: k.pem, keyId: k.kid, fetch: echo });
}
await drive("HS256", { ...oauth2, clientSecret: process.env.CLIENT_SECRET, clientAuth: "client_secret_jwt" });
const account = JSON.parse(await (await fetch(`${base}/__emulator/google-service-account`)).text());
await drive("google", { provider: "google", serviceAccount: account, scope: "https://www.googleapis.com/auth/cloud-platform", baseUrl: base });
await drive("google text", { provider: "google", serviceAccount: JSON.stringify(account), scope: "s", baseUrl: base, subject: "someone@elsewhere.test" });
await drive("google wrong key", { provider: "google", serviceAccount: { ...account, private_key: keys.pairs[0].pem }, scope: "s", baseUrl: base });
await drive("google malformed", { provider: "google", serviceAccount: { ...account, private_key: account.private_key.slice(0, 300) }, scope: "s" });
console.log("ACCOUNT_KEY", JSON.stringify(account.private_key.split("\n").slice(1, -2).join("")).length);
for (const [k, v] of store) console.log("store", k, v);
console.log("DONE");
