// Keys instead of secrets (docs/API.md §2): `clientAuth: "private_key_jwt"`
// (RS256, PS256, ES256; a PKCS#8 PEM or a private JWK), `"client_secret_jwt"`
// (HS256) and `provider: "google"` (service accounts, the JWT-bearer grant),
// against the emulator, which verifies each assertion's signature with
// WebCrypto and its claims (a replayed jti is refused). The keys are made
// here, with the runtime's own crypto.subtle: no key is in the repository.
// Every output (errors, tokenInfo, onToken, store keys and values) is
// searched for any part of the private keys.

import { scenario } from "./cases.mjs";

const subtle = () => globalThis.crypto.subtle;
const b64 = (buf) => {
  let s = "";
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s);
};
const pem = (der) => `-----BEGIN PRIVATE KEY-----\n${b64(der).replace(/.{64}/g, "$&\n").trimEnd()}\n-----END PRIVATE KEY-----\n`;

const PARAMS = {
  RS256: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  PS256: { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  ES256: { name: "ECDSA", namedCurve: "P-256" },
};

/** A fresh key pair: its PKCS#8 PEM, private JWK, public JWK, and every private part as text. */
async function keyPair(alg) {
  const pair = await subtle().generateKey(PARAMS[alg], true, ["sign", "verify"]);
  const der = await subtle().exportKey("pkcs8", pair.privateKey);
  const jwk = await subtle().exportKey("jwk", pair.privateKey);
  const pub = await subtle().exportKey("jwk", pair.publicKey);
  const body = b64(der);
  const parts = [body, body.slice(100, 164), ...["d", "p", "q", "dp", "dq", "qi"].map((k) => jwk[k]).filter(Boolean)];
  return { pem: pem(der), jwk, pub: { kty: pub.kty, crv: pub.crv, n: pub.n, e: pub.e, x: pub.x, y: pub.y }, parts };
}

async function control(ctx, method, path, body) {
  const res = await fetch(`${ctx.base}/__emulator/${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`emulator ${path}: ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

const register = (ctx, alg, kid, pub) => control(ctx, "POST", "client-key", { alg, kid, jwk: pub });

/** A store that keeps everything it is given, for the secret grep. */
function memoryStore() {
  const map = new Map();
  return { map, get: async (k) => map.get(k) ?? null, put: async (k, v) => void map.set(k, v) };
}

/** No private key part appears in any of `texts`. */
function noKey(assert, parts, texts, what) {
  for (const text of texts) {
    for (const p of parts) if (typeof p === "string" && p.length >= 16) assert.ok(!String(text).includes(p), `${what} contains private key material`);
    assert.ok(!/PRIVATE KEY-----\s*[A-Za-z0-9+/]/.test(String(text)), `${what} contains a PEM`);
  }
}

const tokenUrl = (ctx) => `${ctx.base}${ctx.TOKEN_PATHS.oauth2}`;

for (const alg of ["RS256", "PS256", "ES256"]) {
  for (const form of ["pem", "jwk"]) {
    scenario(`private_key_jwt ${alg} with a ${form === "pem" ? "PKCS#8 PEM" : "private JWK"}: tokens, a fresh assertion each, no key in any output`, ["signing"], async (ctx, assert) => {
      const key = await keyPair(alg);
      const kid = `kid-${alg}-${form}`;
      await register(ctx, alg, kid, key.pub);
      const store = memoryStore();
      const infos = [];
      const c = ctx.client({
        provider: "oauth2",
        tokenUrl: tokenUrl(ctx),
        baseUrl: ctx.base,
        clientId: ctx.creds.oauth2.clientId,
        clientAuth: "private_key_jwt",
        privateKey: form === "pem" ? key.pem : key.jwk,
        keyId: kid,
        // The key says ES256 or RSA; PS256 must be asked for.
        ...(alg === "PS256" ? { algorithm: "PS256" } : {}),
        store,
        onToken: (info) => infos.push(info),
      });
      const token = ctx.track(await c.getToken());
      assert.equal(await ctx.apiStatus(token), 200, "the token works");
      c.invalidate();
      ctx.track(await c.getToken());
      const st = await ctx.control.stats();
      assert.equal(st.assertions.length, 2, "two assertions accepted");
      assert.ok(st.assertions.every((a) => a.alg === alg && a.kid === kid), `signed ${alg}, kid ${kid}: ${JSON.stringify(st.assertions)}`);
      assert.notEqual(st.assertions[0].jti, st.assertions[1].jti, "a fresh jti per request");
      assert.ok(st.assertions.every((a) => a.exp - a.iat <= 300), "at most five minutes");
      assert.ok(st.tokenLog.every((e) => String(e.contentType).startsWith("application/x-www-form-urlencoded")), "a form post");
      const info = await c.tokenInfo();
      noKey(assert, key.parts, [JSON.stringify(info), JSON.stringify(infos), ...store.map.keys(), ...store.map.values()], "tokenInfo, onToken or the store");
    });
  }
}

scenario("client_secret_jwt (HS256): a token; a wrong secret is invalid_credentials", ["signing"], async (ctx, assert) => {
  const opts = { provider: "oauth2", tokenUrl: tokenUrl(ctx), clientId: ctx.creds.oauth2.clientId, clientAuth: "client_secret_jwt" };
  const c = ctx.client({ ...opts, clientSecret: ctx.creds.oauth2.clientSecret });
  const token = ctx.track(await c.getToken());
  assert.equal(await ctx.apiStatus(token), 200);
  assert.equal((await ctx.control.stats()).assertions[0].alg, "HS256");
  const bad = ctx.client({ ...opts, clientSecret: ctx.WRONG.clientSecret });
  const err = await ctx.expectAuthError(bad.getToken(), { code: "invalid_credentials", status: 401 });
  assert.includes(err.message, "clientSecret", "the hint names the option");
});

scenario("private_key_jwt: a key the server does not know is invalid_credentials, naming privateKey, echoing no key", ["signing"], async (ctx, assert) => {
  const registered = await keyPair("ES256");
  const other = await keyPair("ES256");
  await register(ctx, "ES256", "k1", registered.pub);
  const c = ctx.client({ provider: "oauth2", tokenUrl: tokenUrl(ctx), clientId: ctx.creds.oauth2.clientId, privateKey: other.pem, keyId: "k1" });
  const err = await ctx.expectAuthError(c.getToken(), { code: "invalid_credentials", status: 401 });
  assert.includes(err.message, "privateKey");
  noKey(assert, other.parts, [err.message, JSON.stringify(err.messages), String(err.stack)], "the error");
  assert.equal((await ctx.control.stats()).tokenLog.length, 1, "refused once, not retried");
});

async function serviceAccount(ctx) {
  const res = await fetch(`${ctx.base}/__emulator/google-service-account`);
  return res.json();
}

scenario("google: a service account key file (object or JSON text) gets a token for its scopes; the API takes it", ["signing", "google"], async (ctx, assert) => {
  const account = await serviceAccount(ctx);
  const parts = [account.private_key.split("\n").slice(2, 4).join("")];
  const scope = ["https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/devstorage.read_only"];
  const store = memoryStore();
  const c = ctx.client({ provider: "google", serviceAccount: account, scope, baseUrl: ctx.base, store });
  const token = ctx.track(await c.getToken());
  assert.ok(token.startsWith("ya29."), "a Google-style token");
  assert.equal(await ctx.apiStatus(token), 200);
  const st = await ctx.control.stats();
  assert.equal(st.googleTokenRequests, 1);
  assert.equal(st.tokenLog[0].scope, scope.join(" "));
  assert.equal(st.tokenLog[0].sub, null, "no subject unless delegating");
  noKey(assert, parts, [JSON.stringify(await c.tokenInfo()), ...store.map.keys(), ...store.map.values()], "tokenInfo or the store");
  // A secret binding holds the file as text.
  const text = ctx.client({ provider: "google", serviceAccount: JSON.stringify(account), scope: scope[0], baseUrl: ctx.base, subject: "admin@example.com" });
  ctx.track(await text.getToken());
  assert.equal((await ctx.control.stats()).tokenLog[1].sub, "admin@example.com", "domain-wide delegation");
});

scenario("google: a wrong private_key is Google's Invalid JWT Signature (invalid_credentials); a subject not delegated is refused", ["signing", "google"], async (ctx, assert) => {
  const account = await serviceAccount(ctx);
  const other = await keyPair("RS256");
  const c = ctx.client({ provider: "google", serviceAccount: { ...account, private_key: other.pem }, scope: "https://www.googleapis.com/auth/cloud-platform" });
  const err = await ctx.expectAuthError(c.getToken(), { code: "invalid_credentials", status: 400 });
  assert.includes(err.message, "Invalid JWT Signature.");
  assert.includes(err.message, "serviceAccount");
  noKey(assert, other.parts, [err.message, String(err.stack)], "the error");
  const d = ctx.client({ provider: "google", serviceAccount: account, scope: "https://www.googleapis.com/auth/cloud-platform", subject: "someone@elsewhere.test" });
  await ctx.expectAuthError(d.getToken(), { code: "invalid_request", status: 401 });
});

scenario("malformed keys: invalid_config naming the option, from the constructor, echoing none of the key", ["signing", "config"], async (ctx, assert) => {
  const rsa = await keyPair("RS256");
  const ec = await keyPair("ES256");
  const base = { provider: "oauth2", tokenUrl: tokenUrl(ctx), clientId: "c" };
  const body = rsa.pem.split("\n").slice(1, -2).join("\n");
  const cases = [
    [{ ...base, privateKey: rsa.pem.replaceAll("PRIVATE KEY", "RSA PRIVATE KEY") }, "privateKey"],
    [{ ...base, privateKey: body }, "privateKey"],
    [{ ...base, privateKey: rsa.pem.replace(/\n[A-Za-z0-9+/]{64}\n/, "\n!!\n") }, "privateKey"],
    [{ ...base, privateKey: { ...rsa.jwk, d: undefined } }, "privateKey"],
    [{ ...base, privateKey: ec.pem, algorithm: "RS256" }, "algorithm"],
    [{ ...base, privateKey: rsa.pem, algorithm: "HS256" }, "algorithm"],
    [{ ...base, privateKey: 42 }, "privateKey"],
    [{ provider: "google", scope: "s" }, "serviceAccount"],
    [{ provider: "google", scope: "s", serviceAccount: { client_email: "a@b", private_key: body } }, "serviceAccount.private_key"],
    [{ provider: "google", scope: "s", serviceAccount: { client_email: "a@b", private_key: ec.pem } }, "serviceAccount.private_key"],
    [{ provider: "google", serviceAccount: { client_email: "a@b", private_key: rsa.pem } }, "scope"],
  ];
  for (const [options, option] of cases) {
    const err = ctx.expectConfigError(() => ctx.client(options), `\`${option}\``);
    noKey(assert, [...rsa.parts, ...ec.parts, body.slice(0, 40)], [err.message, String(err.stack)], `the error for ${option}`);
  }
});
