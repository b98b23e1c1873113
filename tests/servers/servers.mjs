// Real authorization servers, on loopback, for the oauth2 dialect: the
// OpenID Certified oidc-provider and @node-oauth/oauth2-server, both from
// npm (pinned in the root package.json), each behind a node:http server on
// port 0, with a small resource server that checks the access tokens they
// issue. Nothing here is a mock of a token endpoint: the token requests are
// answered by the servers' own code. See docs/TESTING.md ("Real
// authorization servers").
//
//   import { startServers } from "./servers.mjs";
//   const { oidc, node } = await startServers();   // each: see `serverHandle`
//
//   node tests/servers/servers.mjs   → first stdout line SERVERS={json} (for Deno and workerd runners),
//                                      exits when stdin closes
//
// Each handle: { name, issuer, tokenUrl, apiUrl, clients, resource,
//   tokenRequests(), tokenLog (content type, auth scheme, status per token request: never a body),
//   revokeAll(), close() }.
import http from "node:http";
import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign, timingSafeEqual, verify } from "node:crypto";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import Provider, { errors as oidcErrors } from "oidc-provider";

const require = createRequire(import.meta.url);
const OAuth2Server = require("@node-oauth/oauth2-server");

/** The clients both servers know. Secrets are distinctive, so a leak grep finds them. */
export const CLIENTS = Object.freeze({
  // RFC 6749 §2.3.1 HTTP Basic (oidc-provider's `client_secret_basic`).
  basic: Object.freeze({ clientId: "edge-basic-client", clientSecret: "basic-secret-e3b0c44298fc1c14", method: "client_secret_basic" }),
  // Credentials in the form body (`client_secret_post`).
  post: Object.freeze({ clientId: "edge-post-client", clientSecret: "post-secret-9afbf4c8996fb924", method: "client_secret_post" }),
});
/**
 * oidc-provider's clients that authenticate by a signed assertion (RFC 7523
 * §2.2): `private_key_jwt` with an RS256 and an ES256 key (made by
 * `keyClients()` when the provider starts, their public JWKs registered),
 * and `client_secret_jwt` (HS256 with its secret).
 */
export const KEY_CLIENT_IDS = Object.freeze({ rs256: "edge-pkjwt-rs256", es256: "edge-pkjwt-es256", hs256: "edge-csjwt-client" });
export const HS256_SECRET = "csjwt-secret-6b86b273ff34fce19d6b804eff5a3f57";

function keyClients() {
  const make = (type, options, alg) => {
    const { privateKey, publicKey } = generateKeyPairSync(type, options);
    const kid = `${alg.toLowerCase()}-${randomBytes(4).toString("hex")}`;
    return { alg, kid, pem: privateKey.export({ format: "pem", type: "pkcs8" }), jwk: privateKey.export({ format: "jwk" }), publicJwk: { ...publicKey.export({ format: "jwk" }), kid, alg, use: "sig" } };
  };
  return {
    rs256: { clientId: KEY_CLIENT_IDS.rs256, ...make("rsa", { modulusLength: 2048 }, "RS256") },
    es256: { clientId: KEY_CLIENT_IDS.es256, ...make("ec", { namedCurve: "P-256" }, "ES256") },
  };
}

/** The resource server's own client, for RFC 7662 introspection at oidc-provider. */
const INTROSPECTOR = Object.freeze({ clientId: "edge-resource-server", clientSecret: "introspector-secret-27ae41e4649b934c" });

/** The RFC 8707 resource indicator for which both servers issue JWT access tokens. */
export const RESOURCE = "https://api.edge-auth.test/";
export const OTHER_RESOURCE = "https://other.edge-auth.test/";
/** Scopes a client may ask for; `admin` exists but is refused to every client. */
export const ALLOWED_SCOPE = "read write";
export const REFUSED_SCOPE = "admin";
export const TOKEN_TTL_SECONDS = 3600;

/** Every secret the servers know: what no output of the library may contain. */
export const SECRETS = [CLIENTS.basic.clientSecret, CLIENTS.post.clientSecret, INTROSPECTOR.clientSecret, HS256_SECRET];

// ---------------------------------------------------------------------------
// Shared plumbing

function listen(handler) {
  const server = http.createServer(handler);
  const sockets = new Set();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Records a token request's shape (never its body or credentials) and its status. */
function tokenRecorder(isTokenRequest) {
  const log = [];
  const wrap = (handler) => (req, res) => {
    if (isTokenRequest(req)) {
      const entry = {
        contentType: req.headers["content-type"] ?? null,
        authScheme: String(req.headers.authorization ?? "").split(/\s+/)[0] || null,
        status: undefined,
        at: Date.now(),
      };
      log.push(entry);
      res.on("finish", () => (entry.status = res.statusCode));
    }
    return handler(req, res);
  };
  return { log, wrap };
}

const sendJson = (res, status, body, headers = {}) => {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
};

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

/**
 * Checks a compact JWS (RS256) against `keys` (public JWKs by kid) and its
 * claims: `exp` in the future, `aud` and `iss` as given. Returns the claims
 * or null.
 */
function verifyJwt(token, keys, { issuer, audience }) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  let header, claims;
  try {
    header = b64urlJson(parts[0]);
    claims = b64urlJson(parts[1]);
  } catch {
    return null;
  }
  const jwk = keys.get(header.kid);
  if (!jwk || header.alg !== "RS256") return null;
  const ok = verify("RSA-SHA256", Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey({ key: jwk, format: "jwk" }), Buffer.from(parts[2], "base64url"));
  if (!ok) return null;
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= Date.now()) return null;
  if (issuer !== undefined && claims.iss !== issuer) return null;
  if (audience !== undefined && !aud.includes(audience)) return null;
  return claims;
}

/**
 * The resource server: `GET /whoami` with `Authorization: Bearer <token>`
 * answers 200 `{ ok, client, scope, jwt, aud }` when `check(token)` accepts
 * the token, else 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
 * `apiLog` holds the status of each call.
 */
async function resourceServer(check) {
  const apiLog = [];
  const server = await listen(async (req, res) => {
    const m = /^Bearer ([!-~]+)$/.exec(req.headers.authorization ?? "");
    const entry = { path: req.url, status: undefined };
    apiLog.push(entry);
    const who = m ? await check(m[1]).catch(() => null) : null;
    entry.status = who ? 200 : 401;
    if (!who) return sendJson(res, 401, { error: "invalid_token" }, { "www-authenticate": 'Bearer error="invalid_token"' });
    sendJson(res, 200, { ok: true, path: req.url, ...who });
  });
  return { ...server, apiLog };
}

// ---------------------------------------------------------------------------
// oidc-provider

/** A minimal in-memory adapter (oidc-provider's own warns that it is for development). */
function memoryAdapter() {
  const store = new Map();
  const adapter = class {
    constructor(model) {
      this.model = model;
    }
    key(id) {
      return `${this.model}:${id}`;
    }
    async upsert(id, payload, expiresIn) {
      store.set(this.key(id), { payload, until: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    }
    async find(id) {
      const hit = store.get(this.key(id));
      if (!hit || hit.until <= Date.now()) return undefined;
      return hit.payload;
    }
    async findByUid() {
      return undefined;
    }
    async findByUserCode() {
      return undefined;
    }
    async consume(id) {
      const hit = store.get(this.key(id));
      if (hit) hit.payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id) {
      store.delete(this.key(id));
    }
    async revokeByGrantId() {}
  };
  return { adapter, store };
}

export async function startOidcProvider() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "edge-auth-test", alg: "RS256", use: "sig" };
  const { adapter, store } = memoryAdapter();
  const recorder = tokenRecorder((req) => req.method === "POST" && req.url.split("?")[0] === "/token");
  const keyed = keyClients();

  // The port is known only once the server listens, and the issuer must name it.
  let handler = (_req, res) => sendJson(res, 503, { error: "starting" });
  const authServer = await listen(recorder.wrap((req, res) => handler(req, res)));
  const issuer = authServer.url;
  const client = (c, extra = {}) => ({
    client_id: c.clientId,
    client_secret: c.clientSecret,
    token_endpoint_auth_method: c.method,
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    scope: ALLOWED_SCOPE,
    ...extra,
  });
  const provider = new Provider(issuer, {
    adapter,
    jwks: { keys: [signingKey] },
    clients: [
      client(CLIENTS.basic),
      client(CLIENTS.post),
      client({ ...INTROSPECTOR, method: "client_secret_basic" }),
      ...Object.values(keyed).map((k) => client({ clientId: k.clientId, method: "private_key_jwt" }, { client_secret: undefined, jwks: { keys: [k.publicJwk] }, token_endpoint_auth_signing_alg: k.alg })),
      client({ clientId: KEY_CLIENT_IDS.hs256, clientSecret: HS256_SECRET, method: "client_secret_jwt" }, { token_endpoint_auth_signing_alg: "HS256" }),
    ],
    scopes: ["openid", "read", "write", REFUSED_SCOPE],
    cookies: { keys: [randomBytes(16).toString("hex")] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // The resource server may introspect any token; a client may revoke only its own.
      introspection: { enabled: true, allowedPolicy: async (_ctx, caller) => caller.clientId === INTROSPECTOR.clientId },
      revocation: { enabled: true, allowedPolicy: async (_ctx, caller, token) => token.clientId === caller.clientId },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator === RESOURCE || indicator === OTHER_RESOURCE) {
            return { scope: ALLOWED_SCOPE, audience: indicator, accessTokenFormat: "jwt", accessTokenTTL: TOKEN_TTL_SECONDS, jwt: { sign: { alg: "RS256" } } };
          }
          throw new oidcErrors.InvalidTarget();
        },
      },
    },
    ttl: { ClientCredentials: TOKEN_TTL_SECONDS },
  });
  provider.proxy = false;
  handler = provider.callback();

  // The resource server checks a JWT access token against the provider's
  // published keys (jwks_uri), and an opaque one by RFC 7662 introspection.
  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  const jwks = await (await fetch(discovery.jwks_uri)).json();
  const keys = new Map(jwks.keys.map((k) => [k.kid, k]));
  const introspectAuth = `Basic ${Buffer.from(`${INTROSPECTOR.clientId}:${INTROSPECTOR.clientSecret}`).toString("base64")}`;
  const api = await resourceServer(async (token) => {
    if (token.split(".").length === 3) {
      const claims = verifyJwt(token, keys, { issuer, audience: RESOURCE });
      return claims && { client: claims.client_id, scope: claims.scope, jwt: true, aud: claims.aud };
    }
    const res = await fetch(discovery.introspection_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: introspectAuth },
      body: new URLSearchParams({ token }),
    });
    const info = await res.json();
    return info.active ? { client: info.client_id, scope: info.scope, jwt: false } : null;
  });

  return {
    name: "oidc-provider",
    issuer,
    /** The private_key_jwt clients: id, alg, kid, the private key as PEM and JWK. */
    keyClients: keyed,
    tokenUrl: discovery.token_endpoint,
    revocationUrl: discovery.revocation_endpoint,
    apiUrl: api.url,
    apiLog: api.apiLog,
    tokenLog: recorder.log,
    tokenRequests: () => recorder.log.length,
    /** Server-side revocation: every access token issued so far (RFC 7009 for each would need the tokens). */
    revokeAll() {
      for (const key of [...store.keys()]) if (key.startsWith("ClientCredentials:")) store.delete(key);
    },
    /** RFC 7009 revocation of one token, as its client would ask for it. */
    async revoke(token, c = CLIENTS.post) {
      const res = await fetch(discovery.revocation_endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token, client_id: c.clientId, client_secret: c.clientSecret }),
      });
      await res.text();
      return res.status;
    },
    async close() {
      await api.close();
      await authServer.close();
    },
  };
}

// ---------------------------------------------------------------------------
// @node-oauth/oauth2-server

/**
 * @node-oauth/oauth2-server is a library without an HTTP layer: this is the
 * usual one (a form-body parser in front of `server.token`, as its docs and
 * the express adapter do), so a JSON body reaches it unparsed.
 */
export async function startNodeOAuth2Server() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicJwk = { ...publicKey.export({ format: "jwk" }), kid: "node-oauth2" };
  const keys = new Map([[publicJwk.kid, publicJwk]]);
  const tokens = new Map(); // access token → { client, scope, expiresAt }
  let issuer;

  const known = new Map(Object.values(CLIENTS).map((c) => [c.clientId, c]));
  const equal = (a, b) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
  const model = {
    async getClient(clientId, clientSecret) {
      const c = known.get(clientId);
      if (!c || typeof clientSecret !== "string" || !equal(clientSecret, c.clientSecret)) return null;
      return { id: c.clientId, grants: ["client_credentials"], accessTokenLifetime: TOKEN_TTL_SECONDS };
    },
    async getUserFromClient(client) {
      return { id: `client:${client.id}` };
    },
    async validateScope(_user, _client, scope) {
      const asked = scope ?? [];
      const allowed = new Set(ALLOWED_SCOPE.split(" "));
      return asked.every((s) => allowed.has(s)) ? asked : false;
    },
    // JWT access tokens (RS256), so the resource server can check them offline.
    async generateAccessToken(client, _user, scope) {
      const now = Math.floor(Date.now() / 1000);
      const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "at+jwt", kid: publicJwk.kid })).toString("base64url");
      const claims = { iss: issuer, sub: client.id, client_id: client.id, aud: RESOURCE, scope: (scope ?? []).join(" "), iat: now, exp: now + TOKEN_TTL_SECONDS, jti: randomUUID() };
      const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
      const signature = sign("RSA-SHA256", Buffer.from(`${header}.${payload}`), privateKey).toString("base64url");
      return `${header}.${payload}.${signature}`;
    },
    async saveToken(token, client, user) {
      tokens.set(token.accessToken, { client: client.id, scope: token.scope, expiresAt: token.accessTokenExpiresAt });
      return { ...token, client, user };
    },
    async getAccessToken(accessToken) {
      const t = tokens.get(accessToken);
      if (!t) return null;
      return { accessToken, accessTokenExpiresAt: t.expiresAt, scope: t.scope, client: { id: t.client }, user: { id: `client:${t.client}` } };
    },
  };
  const server = new OAuth2Server({ model, accessTokenLifetime: TOKEN_TTL_SECONDS });
  const recorder = tokenRecorder((req) => req.method === "POST" && req.url.split("?")[0] === "/oauth/token");

  const authServer = await listen(
    recorder.wrap(async (req, res) => {
      if (req.url.split("?")[0] !== "/oauth/token") return sendJson(res, 404, { error: "not_found" });
      const raw = await readBody(req);
      const isForm = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase() === "application/x-www-form-urlencoded";
      const request = new OAuth2Server.Request({
        method: req.method,
        query: {},
        headers: req.headers,
        body: isForm ? Object.fromEntries(new URLSearchParams(raw)) : {},
      });
      const response = new OAuth2Server.Response({ headers: {} });
      try {
        await server.token(request, response);
      } catch (e) {
        // As @node-oauth/express-oauth-server answers an OAuthError: its
        // code as the status, { error, error_description }, the headers the
        // handler set (WWW-Authenticate on a Basic 401).
        response.status = e.code ?? 500;
        response.body = { error: e.name ?? "server_error", error_description: e.message };
      }
      res.writeHead(response.status, { "content-type": "application/json", ...response.headers });
      res.end(JSON.stringify(response.body));
    }),
  );
  issuer = authServer.url;

  const api = await resourceServer(async (token) => {
    const claims = verifyJwt(token, keys, { issuer, audience: RESOURCE });
    // Offline checks first, then the server's own store: a revoked token is gone from it.
    if (!claims) return null;
    const request = new OAuth2Server.Request({ method: "GET", query: {}, headers: { authorization: `Bearer ${token}` } });
    const found = await server.authenticate(request, new OAuth2Server.Response({ headers: {} })).catch(() => null);
    return found && { client: claims.client_id, scope: claims.scope, jwt: true, aud: claims.aud };
  });

  return {
    name: "@node-oauth/oauth2-server",
    issuer,
    tokenUrl: `${issuer}/oauth/token`,
    apiUrl: api.url,
    apiLog: api.apiLog,
    tokenLog: recorder.log,
    tokenRequests: () => recorder.log.length,
    revokeAll() {
      tokens.clear();
    },
    async close() {
      await api.close();
      await authServer.close();
    },
  };
}

/** oidc-provider's assertion clients, as tests/servers/assertions.mjs takes them (test keys made at start). */
export function assertionClients(oidc) {
  const only = ({ clientId, kid, pem, jwk }) => ({ clientId, kid, pem, jwk });
  return { keyClients: { rs256: only(oidc.keyClients.rs256), es256: only(oidc.keyClients.es256) }, hs256: { clientId: KEY_CLIENT_IDS.hs256, clientSecret: HS256_SECRET } };
}

export async function startServers() {
  const [oidc, node] = await Promise.all([startOidcProvider(), startNodeOAuth2Server()]);
  return {
    oidc,
    node,
    close: () => Promise.all([oidc.close(), node.close()]),
  };
}

// ---------------------------------------------------------------------------
// CLI, for runners that are not Node (Deno, workerd): starts both servers,
// prints one line `SERVERS={…}` with their URLs and clients, answers control
// requests on a small loopback endpoint (`GET /stats`, `POST /revoke-all`),
// and exits when stdin closes.

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const servers = await startServers();
  const byName = { oidc: servers.oidc, node: servers.node };
  const control = await listen(async (req, res) => {
    const [, name, action] = req.url.split("?")[0].split("/");
    const s = byName[name];
    if (!s) return sendJson(res, 404, { error: "unknown server" });
    if (action === "stats") return sendJson(res, 200, { tokenRequests: s.tokenRequests(), tokenLog: s.tokenLog, apiLog: s.apiLog });
    if (action === "revoke-all" && req.method === "POST") {
      s.revokeAll();
      return sendJson(res, 200, { ok: true });
    }
    sendJson(res, 404, { error: "unknown action" });
  });
  const describe = (s) => ({ name: s.name, issuer: s.issuer, tokenUrl: s.tokenUrl, apiUrl: s.apiUrl });
  process.stdout.write(`SERVERS=${JSON.stringify({ control: control.url, oidc: describe(servers.oidc), node: describe(servers.node), clients: CLIENTS, resource: RESOURCE, allowedScope: ALLOWED_SCOPE, refusedScope: REFUSED_SCOPE, ...assertionClients(servers.oidc) })}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await control.close();
    await servers.close();
    process.exit(0);
  };
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
  process.once("SIGTERM", stop);
}
