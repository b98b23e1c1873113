// The oauth2 dialect against real authorization servers (tests/servers/servers.mjs:
// oidc-provider and @node-oauth/oauth2-server from npm, on loopback), in Node,
// with the built package imported as a user would.
//
//   node --test tests/servers/node.test.mjs          (after make pkg)
//
// Every case checks what the servers saw (their own count and shape of token
// requests), that the token works at a resource server that verifies it
// (JWT signature against the server's keys, or RFC 7662 introspection), and
// that no error carries a secret or a token. A table of server × variant →
// result is printed as a diagnostic.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { AuthClient, AuthError } from "edge-auth";
import { startServers, CLIENTS, KEY_CLIENT_IDS, HS256_SECRET, RESOURCE, OTHER_RESOURCE, REFUSED_SCOPE, SECRETS, TOKEN_TTL_SECONDS } from "./servers.mjs";

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";
const mediaType = (h) => String(h ?? "").split(";")[0].trim().toLowerCase();

let servers;
const table = [];
const seenTokens = new Set();

before(async () => {
  servers = await startServers();
});
after(async () => {
  await servers?.close();
  console.log(`\nreal authorization servers × variant:\n${table.map((r) => `  ${r.server.padEnd(26)} ${r.variant.padEnd(46)} ${r.result}`).join("\n")}`);
});

/** The token requests a server saw since `from`: [media type, "basic" or "body", status]. */
const sent = (s, from = 0) => s.tokenLog.slice(from).map((e) => [mediaType(e.contentType), e.authScheme ? e.authScheme.toLowerCase() : "body", e.status]);

function client(s, c, extra = {}) {
  const options = { provider: "oauth2", baseUrl: s.apiUrl, tokenUrl: s.tokenUrl, clientId: c.clientId, clientSecret: c.clientSecret, autoRefresh: false, ...extra };
  const made = new AuthClient(options);
  clients.push(made);
  return made;
}
const clients = [];
after(() => clients.forEach((c) => c.free()));

function noSecrets(err, what) {
  assert.ok(err instanceof AuthError, `${what}: an AuthError, got ${err}`);
  const texts = [err.message, String(err), JSON.stringify(err), JSON.stringify(err.messages), String(err.stack)];
  for (const secret of [...SECRETS, ...seenTokens]) {
    for (const text of texts) assert.ok(!text.includes(secret), `${what}: a secret or token in ${text.slice(0, 200)}`);
  }
  return err;
}

async function rejects(promise, what) {
  try {
    await promise;
  } catch (e) {
    return noSecrets(e, what);
  }
  assert.fail(`${what}: resolved`);
}

/** client.fetch("/whoami") at the server's resource server: the parsed answer. */
async function whoami(c, what) {
  const res = await c.fetch("/whoami");
  const body = await res.json();
  assert.equal(res.status, 200, `${what}: the resource server accepts the token (${JSON.stringify(body)})`);
  return body;
}

function record(s, variant, result) {
  table.push({ server: s.name, variant, result });
}

for (const key of ["oidc", "node"]) {
  describe(`real server: ${key === "oidc" ? "oidc-provider 9.13.3" : "@node-oauth/oauth2-server 5.3.0"}`, () => {
    const S = () => servers[key];

    for (const [label, c, pins, auth] of [
      ["client_secret_basic (pinned: form, HTTP Basic)", CLIENTS.basic, { bodyEncoding: "form", clientAuth: "basic" }, "basic"],
      ["client_secret_post (pinned: form, body)", CLIENTS.post, { bodyEncoding: "form", clientAuth: "body" }, "body"],
    ]) {
      it(label, async () => {
        const s = S();
        const from = s.tokenLog.length;
        const a = client(s, c, pins);
        const token = await a.getToken();
        seenTokens.add(token);
        const who = await whoami(a, label);
        assert.equal(who.client, c.clientId, "the token is the client's");
        assert.deepEqual(sent(s, from), [[FORM, auth, 200]], "one request, as pinned");
        const info = await a.tokenInfo();
        assert.equal(info.tokenType, "Bearer");
        assert.ok(Math.abs(info.expiresAt - (Date.now() + TOKEN_TTL_SECONDS * 1000)) < 5000, "expiresAt from expires_in");
        record(s, label, `token, 1 request, API 200 (${who.jwt ? "JWT" : "introspected"})`);
      });
    }

    for (const [label, c] of [
      ["zero configuration, client_secret_basic client", CLIENTS.basic],
      ["zero configuration, client_secret_post client", CLIENTS.post],
    ]) {
      it(label, async () => {
        const s = S();
        const from = s.tokenLog.length;
        const a = client(s, c, { scope: "read" });
        seenTokens.add(await a.getToken());
        const who = await whoami(a, label);
        assert.equal(who.scope, "read", "the scope asked for");
        assert.equal((await a.tokenInfo()).scope ?? "read", "read");
        const first = sent(s, from);
        assert.deepEqual(first.map(([t]) => t), [JSON_TYPE, FORM], `JSON refused, then a form: ${JSON.stringify(first)}`);
        assert.equal(first[0][2], 400, "the server refused JSON");
        for (let i = 0; i < 20; i++) await a.getToken();
        a.invalidate();
        seenTokens.add(await a.getToken());
        const later = sent(s, from + first.length);
        assert.deepEqual(later, [[FORM, first[1][1], 200]], "steady state: one request per token, the detected format");
        record(s, label, `token; first call ${first.length} requests (${first.map(([t, au, st]) => `${t.split("/")[1]}/${au} ${st}`).join(", ")}), then 1 per token`);
      });
    }

    it("wrong secret (zero configuration)", async () => {
      const s = S();
      const from = s.tokenLog.length;
      const a = client(s, { ...CLIENTS.basic, clientSecret: "wrong-secret-9c0ffee0" });
      const err = await rejects(a.getToken(), "wrong secret");
      assert.equal(err.code, "invalid_credentials");
      assert.equal(err.status, 401);
      assert.ok(err.messages.includes("invalid_client"), `messages ${JSON.stringify(err.messages)}`);
      assert.ok(err.message.includes(s.tokenUrl), "the message names the token endpoint");
      assert.ok(err.message.includes("Check clientId and clientSecret"), err.message);
      assert.ok(!err.message.includes("wrong-secret-9c0ffee0"));
      const first = sent(s, from);
      assert.equal(first.length, 3, `at most three requests: ${JSON.stringify(first)}`);
      assert.deepEqual(first.map(([t, au]) => [t, au]), [[JSON_TYPE, "body"], [FORM, "body"], [FORM, "basic"]]);
      await rejects(a.getToken(), "wrong secret, second call");
      assert.deepEqual(sent(s, from + 3), [[FORM, "basic", 401]], "a later call: one request, never JSON again");
      record(s, "wrong secret (zero configuration)", `invalid_credentials 401; first call 3 requests (${first.map((r) => r[2]).join(", ")}), then 1 per call`);
    });

    it("refused scope", async () => {
      const s = S();
      const from = s.tokenLog.length;
      const a = client(s, CLIENTS.post, { scope: REFUSED_SCOPE });
      const err = await rejects(a.getToken(), "refused scope");
      assert.equal(err.code, "invalid_request");
      assert.equal(err.status, 400);
      assert.equal(err.messages[0], "invalid_scope");
      assert.ok(err.message.includes("check the scope option"), err.message);
      assert.equal(sent(s, from).length, 2, "JSON refused, the form refused the scope: no more");
      record(s, `refused scope "${REFUSED_SCOPE}"`, `invalid_request 400 (invalid_scope), hint names scope`);
    });

    it("resource (RFC 8707)", async () => {
      const s = S();
      const a = client(s, CLIENTS.post, { resource: RESOURCE, bodyEncoding: "form" });
      const token = await a.getToken();
      seenTokens.add(token);
      const who = await whoami(a, "resource");
      assert.equal(who.jwt, true, "a JWT access token");
      assert.deepEqual([].concat(who.aud), [RESOURCE], "its audience is the resource");
      const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
      assert.ok(Math.abs((await a.tokenInfo()).expiresAt - claims.exp * 1000) < 5000, "expires_in agrees with the JWT's exp");
      let two = "ignored (one JWT for the configured audience)";
      if (key === "oidc") {
        const b = client(s, CLIENTS.post, { resource: [RESOURCE, OTHER_RESOURCE], bodyEncoding: "form" });
        const err = await rejects(b.getToken(), "two resources");
        assert.equal(err.code, "invalid_request");
        assert.equal(err.messages[0], "invalid_target");
        assert.ok(err.message.includes("check the resource option"), err.message);
        two = "invalid_request (invalid_target: one resource per grant), hint names resource";
      } else {
        const b = client(s, CLIENTS.post, { resource: [RESOURCE, OTHER_RESOURCE] });
        seenTokens.add(await b.getToken());
      }
      record(s, "resource: one / two indicators", `JWT with aud ${RESOURCE}, verified / ${two}`);
    });

    it("100 concurrent calls → 1 token request (pinned); zero configuration → one detection", async () => {
      const s = S();
      let from = s.tokenLog.length;
      const pinned = client(s, CLIENTS.basic, { bodyEncoding: "form", clientAuth: "basic" });
      const answers = await Promise.all(Array.from({ length: 100 }, () => pinned.fetch("/whoami").then((r) => r.status)));
      assert.deepEqual(new Set(answers), new Set([200]));
      assert.equal(sent(s, from).length, 1, "one token request for 100 calls");
      from = s.tokenLog.length;
      const detected = client(s, CLIENTS.basic);
      const again = await Promise.all(Array.from({ length: 100 }, () => detected.fetch("/whoami").then((r) => r.status)));
      assert.deepEqual(new Set(again), new Set([200]));
      const zero = sent(s, from);
      assert.equal(zero.length, 2, `one detection (JSON, form) for 100 calls: ${JSON.stringify(zero)}`);
      record(s, "100 concurrent client.fetch", "pinned: 1 token request; zero configuration: 2 (one detection)");
    });

    it("server-side revocation → the API's 401 → one new token", async () => {
      const s = S();
      const from = s.tokenLog.length;
      const a = client(s, CLIENTS.post, { bodyEncoding: "form" });
      const first = await a.getToken();
      seenTokens.add(first);
      await whoami(a, "before revocation");
      if (s.revoke) assert.equal(await s.revoke(first), 200, "RFC 7009 revocation");
      else s.revokeAll();
      const apiBefore = s.apiLog.length;
      await whoami(a, "after revocation");
      const second = await a.getToken();
      seenTokens.add(second);
      assert.notEqual(second, first, "a new token");
      assert.deepEqual(s.apiLog.slice(apiBefore).map((e) => e.status), [401, 200], "the 401, then the retry");
      assert.equal(sent(s, from).length, 2, "one new token request");
      record(s, "revocation → 401 → retry", `${s.revoke ? "RFC 7009 revoke" : "token removed from the store"}; 1 new token request, retry 200`);
    });

    it("a token path that gives 404 names the URL and tokenUrl", async () => {
      const s = S();
      const a = new AuthClient({ provider: "oauth2", baseUrl: s.issuer, clientId: CLIENTS.post.clientId, clientSecret: CLIENTS.post.clientSecret });
      clients.push(a);
      const err = await rejects(a.getToken(), "404");
      assert.equal(err.code, "invalid_response");
      assert.equal(err.status, 404);
      assert.ok(err.message.includes(`${s.issuer}/api/v2/oauth2/token`), err.message);
      assert.ok(err.message.includes("Set tokenUrl"), err.message);
      record(s, "baseUrl only (derived path 404)", "invalid_response 404, message names the URL and tokenUrl");
    });
  });
}

// Keys instead of secrets (docs/API.md §2): oidc-provider verifies each
// client assertion (signature against the registered JWKs, iss/sub/aud/exp)
// and refuses a jti it has seen (its replay check), so every token below
// proves a fresh assertion.
describe("real server: oidc-provider 9.13.3, client assertions (RFC 7523 §2.2)", () => {
  const S = () => servers.oidc;
  const keyOptions = (k, key) => ({ provider: "oauth2", baseUrl: S().apiUrl, tokenUrl: S().tokenUrl, clientId: k.clientId, clientAuth: "private_key_jwt", privateKey: key, keyId: k.kid, autoRefresh: false });

  for (const which of ["rs256", "es256"]) {
    for (const form of ["pem", "jwk"]) {
      const label = `private_key_jwt ${which.toUpperCase()} (${form === "pem" ? "PKCS#8 PEM" : "JWK"})`;
      it(label, async () => {
        const s = S();
        const k = s.keyClients[which];
        const from = s.tokenLog.length;
        const made = new AuthClient(keyOptions(k, form === "pem" ? k.pem : k.jwk));
        clients.push(made);
        seenTokens.add(await made.getToken());
        const who = await whoami(made, label);
        assert.equal(who.client, k.clientId, "the token is the client's");
        // A new token: a new assertion (a replayed jti would be refused).
        for (let i = 0; i < 3; i++) {
          made.invalidate();
          seenTokens.add(await made.getToken());
        }
        assert.deepEqual(sent(s, from), Array(4).fill([FORM, "body", 200]), "four form posts, each accepted");
        const texts = [JSON.stringify(await made.tokenInfo())];
        const body = String(k.pem).split("\n").slice(1, 3).join("");
        for (const t of texts) assert.ok(!t.includes(body) && !t.includes(k.jwk.d), "no key material in tokenInfo");
        record(s, label, "4 tokens, 4 fresh assertions, API 200");
      });
    }
  }

  it("private_key_jwt with a key the server does not know → invalid_credentials, naming privateKey", async () => {
    const s = S();
    const k = s.keyClients.rs256;
    const other = s.keyClients.es256; // registered, but for another client
    const from = s.tokenLog.length;
    const made = new AuthClient(keyOptions(k, other.pem));
    clients.push(made);
    const err = await rejects(made.getToken(), "wrong key");
    assert.equal(err.code, "invalid_credentials", err.message);
    assert.match(err.message, /privateKey/);
    const body = String(other.pem).split("\n").slice(1, 3).join("");
    assert.ok(![err.message, String(err.stack)].some((t) => t.includes(body) || t.includes(other.jwk.d)), "no key material in the error");
    assert.equal(sent(s, from).length, 1, "refused once, not retried");
    record(s, "private_key_jwt, wrong key", `${err.code} (${err.status})`);
  });

  it("client_secret_jwt (HS256)", async () => {
    const s = S();
    const from = s.tokenLog.length;
    const made = new AuthClient({ provider: "oauth2", baseUrl: s.apiUrl, tokenUrl: s.tokenUrl, clientId: KEY_CLIENT_IDS.hs256, clientSecret: HS256_SECRET, clientAuth: "client_secret_jwt", autoRefresh: false });
    clients.push(made);
    seenTokens.add(await made.getToken());
    assert.equal((await whoami(made, "client_secret_jwt")).client, KEY_CLIENT_IDS.hs256);
    made.invalidate();
    seenTokens.add(await made.getToken());
    assert.deepEqual(sent(s, from), [[FORM, "body", 200], [FORM, "body", 200]]);
    const wrong = new AuthClient({ provider: "oauth2", tokenUrl: s.tokenUrl, clientId: KEY_CLIENT_IDS.hs256, clientSecret: "not-the-csjwt-secret", clientAuth: "client_secret_jwt", autoRefresh: false });
    clients.push(wrong);
    const err = await rejects(wrong.getToken(), "client_secret_jwt, wrong secret");
    assert.equal(err.code, "invalid_credentials");
    record(s, "client_secret_jwt (HS256)", `2 tokens; wrong secret → ${err.code}`);
  });
});
