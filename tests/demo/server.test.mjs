// www/server.mjs over HTTP, no browser: what it serves, and what its proxy
// forwards, refuses, strips and logs. Everything stays on loopback: the only
// upstream the proxy reaches here is a server this test starts on 127.0.0.1.
//
//   node --test tests/demo/            (from the repository root)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startDemoProcess } from "./lib.mjs";
import { VENDOR_ORIGINS, parseTargetOrigin, isLoopbackHost } from "../../www/server.mjs";
import { mask, maskAuthorization, redact, decodeJwt, formatDuration, describeUrl } from "../../www/format.mjs";

let demo;
let upstream;
let upstreamSeen = [];

/** A raw HTTP request (node:http, so that Host, Cookie and Origin can be set freely). */
function request(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json = null;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const enc = encodeURIComponent;

before(async () => {
  demo = await startDemoProcess();
  upstream = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      upstreamSeen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (req.url.startsWith("/redirect")) {
        res.writeHead(302, { location: `http://127.0.0.1:${upstream.address().port}/next?x=1` });
        return res.end();
      }
      res.writeHead(200, {
        "content-type": "application/json",
        "set-cookie": ["session=upstream-cookie; HttpOnly", "other=2"],
        "x-upstream": "yes",
        "access-control-allow-origin": "*",
      });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise((resolve) => upstream.listen(0, "127.0.0.1", resolve));
});

after(async () => {
  await demo?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

test("prints the URL, sample credentials and the sandbox base URL on start", () => {
  assert.match(demo.stdout, /edge-auth credential tester: open http:\/\/127\.0\.0\.1:\d+\//);
  assert.match(demo.stdout, new RegExp(`baseUrl for every provider: ${demo.url}/sandbox`));
  for (const text of ["demo-client-id", "demo-secret-younium", "member-user", "member-password", "82725488-22bf-40d1-ace6-9ea6ee42f870", "demo-oauth2-client"]) {
    assert.ok(demo.stdout.includes(text), `the banner shows ${text}`);
  }
});

test("serves the page, its modules and the package with the right content types", async () => {
  const page = await request(`${demo.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers["content-type"], /^text\/html/);
  assert.match(page.text, /"edge-auth": "\/pkg\/browser\.js"/);
  assert.match(page.headers["content-security-policy"], /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
  assert.match(page.headers["content-security-policy"], /connect-src 'self'/);

  for (const [path, type] of [
    ["/app.mjs", /^text\/javascript/],
    ["/style.css", /^text\/css/],
    ["/favicon.svg", /^image\/svg\+xml/],
    ["/pkg/browser.js", /^text\/javascript/],
    ["/pkg/edge_auth_bg.wasm", /^application\/wasm$/],
    ["/pkg/package.json", /^application\/json/],
  ]) {
    const res = await request(`${demo.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers["content-type"], type, path);
    assert.equal(res.headers["x-content-type-options"], "nosniff", path);
  }
  const missing = await request(`${demo.url}/pkg/nope.js`);
  assert.equal(missing.status, 404);
  assert.match(missing.json.message, /make pkg/);
  // No traversal out of www/ or pkg/, and the server's own source is not served.
  for (const path of ["/pkg/%2e%2e/Cargo.toml", "/%2e%2e/Cargo.toml", "/..%2fCargo.toml", "/server.mjs", "/.gitignore"]) {
    assert.equal((await request(`${demo.url}${path}`)).status, 404, path);
  }
});

test("/demo-config.json lists the sample credentials and exactly docs/API.md's vendor hosts", async () => {
  const { status, json } = await request(`${demo.url}/demo-config.json`);
  assert.equal(status, 200);
  assert.equal(json.samples.younium.clientId, "demo-client-id");
  assert.deepEqual(Object.keys(json.samples).sort(), ["oauth2", "papaya", "union", "younium", "younium-v1"]);
  assert.deepEqual(json.vendorOrigins, [
    "https://api.younium.com",
    "https://api.sandbox.younium.com",
    "https://api.us.younium.com",
    "https://api.sandbox.us.younium.com",
    "https://api.us.sandbox.younium.com",
  ]);
  assert.deepEqual(json.vendorOrigins, VENDOR_ORIGINS);
});

test("the sandbox is the vendor emulator, same-origin under /sandbox", async () => {
  const token = await request(`${demo.url}/sandbox/t/server-test/auth/v2/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ clientId: "demo-client-id", secret: "demo-secret-younium" }),
  });
  assert.equal(token.status, 200);
  assert.ok(token.json.access_token);
  assert.equal(token.headers["access-control-allow-origin"], undefined, "no CORS headers: the page is same-origin");
  const api = await request(`${demo.url}/sandbox/t/server-test/Accounts`, { headers: { authorization: `Bearer ${token.json.access_token}` } });
  assert.equal(api.status, 200);
  assert.equal(api.json.path, "/Accounts");
  const wrong = await request(`${demo.url}/sandbox/t/server-test/auth/v2/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ clientId: "demo-client-id", secret: "wrong" }),
  });
  assert.equal(wrong.status, 401);
  assert.deepEqual(wrong.json, { errors: ["Invalid client credentials"] });
});

test("the proxy refuses a host that is not allowed, with a clear 403 JSON error", async () => {
  for (const target of ["https://evil.example", "https://api.younium.com.evil.example", "https://younium.com", "http://api.younium.com"]) {
    const res = await request(`${demo.url}/proxy/${enc(target)}/auth/v2/token`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(res.status, 403, target);
    assert.equal(res.json.error, "proxy_refused", target);
    assert.match(res.json.message, /does not forward to/, target);
    assert.equal(res.headers["x-edge-auth-proxy"], "refused");
  }
  const garbled = await request(`${demo.url}/proxy/%E0%A4%A/x`);
  assert.equal(garbled.status, 403);
  const notUrl = await request(`${demo.url}/proxy/not-a-url/x`);
  assert.equal(notUrl.status, 403);
  assert.match(notUrl.json.message, /is not a URL/);
  // Absolute-form targets (a classic forward proxy request) are not accepted either.
  const absolute = await request(`${demo.url}/`, { headers: {} }).then(() =>
    new Promise((resolve, reject) => {
      const { port } = new URL(demo.url);
      const req = http.request({ host: "127.0.0.1", port, path: "http://example.com/", headers: { host: `127.0.0.1:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end();
    }),
  );
  assert.equal(absolute, 400);
});

test("/proxy-allow registers https: and loopback origins only, and never the server itself", async () => {
  const allow = (origin, headers = {}) =>
    request(`${demo.url}/proxy-allow`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ origin }) });

  const http1 = await allow("http://example.com");
  assert.equal(http1.status, 403);
  assert.match(http1.json.message, /HTTPS only/);
  assert.equal((await allow("ftp://example.com")).status, 403);
  assert.equal((await allow("https://user:pw@example.com")).status, 403);
  assert.equal((await allow(demo.url)).status, 403, "its own origin would loop");
  assert.equal((await allow("nonsense")).status, 403);
  const plain = await request(`${demo.url}/proxy-allow`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ origin: "https://x.example" }) });
  assert.equal(plain.status, 415, "a JSON content type is required (a cross-site form cannot send one without a preflight)");
  const crossSite = await allow("https://x.example", { origin: "https://evil.example" });
  assert.equal(crossSite.status, 403, "another web page may not register origins");

  const ok = await allow("https://pay.example.com/some/path");
  assert.equal(ok.status, 200);
  assert.equal(ok.json.origin, "https://pay.example.com");
  assert.equal(ok.json.prefix, `/proxy/${enc("https://pay.example.com")}`);
});

test("the proxy forwards to a registered origin, strips cookies, rewrites redirects and logs no secrets", async () => {
  const target = `http://127.0.0.1:${upstream.address().port}`;
  const before = await request(`${demo.url}/proxy/${enc(target)}/echo`);
  assert.equal(before.status, 403, "not registered yet");

  const reg = await request(`${demo.url}/proxy-allow`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ origin: target }) });
  assert.equal(reg.status, 200);
  upstreamSeen = [];
  const res = await request(`${demo.url}/proxy/${enc(target)}/echo/path?key=SECRET-QUERY-VALUE`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: "Bearer SECRET-TOKEN-VALUE",
      cookie: "session=browser-cookie",
      "legal-entity": "Acme AB",
    },
    body: JSON.stringify({ secret: "SECRET-BODY-VALUE" }),
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, { ok: true });
  assert.equal(res.headers["set-cookie"], undefined, "Set-Cookie is stripped");
  assert.equal(res.headers["x-upstream"], "yes");
  assert.equal(res.headers["x-edge-auth-proxy"], "forwarded");
  assert.equal(res.headers["access-control-allow-origin"], undefined);

  assert.equal(upstreamSeen.length, 1);
  const seen = upstreamSeen[0];
  assert.equal(seen.method, "POST");
  assert.equal(seen.url, "/echo/path?key=SECRET-QUERY-VALUE");
  assert.equal(seen.headers.cookie, undefined, "Cookie is stripped");
  assert.equal(seen.headers.authorization, "Bearer SECRET-TOKEN-VALUE", "the auth header is forwarded");
  assert.equal(seen.headers["legal-entity"], "Acme AB");
  assert.equal(seen.headers.host, `127.0.0.1:${upstream.address().port}`);
  assert.equal(seen.body, JSON.stringify({ secret: "SECRET-BODY-VALUE" }));

  const redirect = await request(`${demo.url}/proxy/${enc(target)}/redirect`);
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.location, `/proxy/${enc(target)}/next?x=1`, "a redirect to an allowed origin stays in the proxy");

  await new Promise((r) => setTimeout(r, 100));
  const log = demo.stdout;
  assert.match(log, new RegExp(`proxy POST ${target}/echo/path → 200`));
  for (const secret of ["SECRET-QUERY-VALUE", "SECRET-TOKEN-VALUE", "SECRET-BODY-VALUE", "browser-cookie", "upstream-cookie"]) {
    assert.ok(!log.includes(secret) && !demo.stderr.includes(secret), `the log does not contain ${secret}`);
  }
});

test("an unreachable upstream gives a 502 JSON error, not a hang", async () => {
  // A loopback port with nothing listening on it.
  const probe = http.createServer();
  await new Promise((r) => probe.listen(0, "127.0.0.1", r));
  const port = probe.address().port;
  await new Promise((r) => probe.close(r));
  const target = `http://127.0.0.1:${port}`;
  await request(`${demo.url}/proxy-allow`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ origin: target }) });
  const res = await request(`${demo.url}/proxy/${enc(target)}/auth/v2/token`, { method: "POST", body: "{}" });
  assert.equal(res.status, 502);
  assert.equal(res.json.error, "proxy_upstream_unreachable");
  assert.match(res.json.message, /ECONNREFUSED/);
});

test("answers only to loopback Host names, and the proxy and sandbox serve this page only", async () => {
  const { port } = new URL(demo.url);
  const rebinding = await request(`${demo.url}/`, { headers: { host: `evil.example:${port}` } });
  assert.equal(rebinding.status, 421);
  assert.equal((await request(`${demo.url}/`, { headers: { host: `localhost:${port}` } })).status, 200);
  const crossOrigin = await request(`${demo.url}/sandbox/t/x/Accounts`, { headers: { origin: "https://evil.example" } });
  assert.equal(crossOrigin.status, 403);
  const crossSite = await request(`${demo.url}/proxy/${enc("https://api.younium.com")}/x`, { headers: { "sec-fetch-site": "cross-site" } });
  assert.equal(crossSite.status, 403);
  const sameOrigin = await request(`${demo.url}/sandbox/t/x/__emulator/stats`, { headers: { origin: demo.url, "sec-fetch-site": "same-origin" } });
  assert.equal(sameOrigin.status, 200);
});

test("refuses to listen on a non-loopback address", async () => {
  const { startDemoServer } = await import("../../www/server.mjs");
  await assert.rejects(startDemoServer({ port: 0, host: "0.0.0.0", log: () => {} }), /loopback/);
});

test("the proxy uses the library's loopback rule: no *.localhost, no look-alikes", async () => {
  const { isLoopbackHost: library } = await import("../../pkg/edge_auth.js");
  for (const host of ["localhost", "LOCALHOST", "127.0.0.1", "127.8.9.10", "[::1]", "evil.localhost", "localhost.evil.example", "127.1", "0127.0.0.1", "10.0.0.1", "[::ffff:127.0.0.1]"]) {
    assert.equal(isLoopbackHost(host), library(host.toLowerCase()), `the demo and the library agree on ${host}`);
  }
  assert.equal(isLoopbackHost("evil.localhost"), false);
  assert.match(parseTargetOrigin("http://evil.localhost:9000/x").error, /HTTPS only/, "http://*.localhost is refused, as the library refuses it");
  const reg = await request(`${demo.url}/proxy-allow`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ origin: "http://api.localhost:9000" }) });
  assert.equal(reg.status, 403);
});

test("the proxy reaches a loopback target by its address, never through DNS", async () => {
  // A demo server whose every DNS lookup fails: http://localhost:PORT still works.
  const noDns = await startDemoProcess({ nodeArgs: ["--import", new URL("./no-dns.mjs", import.meta.url).href] });
  try {
    const target = `http://localhost:${upstream.address().port}`;
    const reg = await request(`${noDns.url}/proxy-allow`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ origin: target }) });
    assert.equal(reg.status, 200, reg.text);
    upstreamSeen = [];
    const res = await request(`${noDns.url}/proxy/${enc(target)}/by-name`);
    assert.equal(res.status, 200, `proxied to ${target}: ${res.text}`);
    assert.equal(upstreamSeen.length, 1, "the upstream on 127.0.0.1 got the request");
    assert.equal(upstreamSeen[0].url, "/by-name");
    assert.ok(!noDns.stdout.includes("[no-dns]"), `no DNS lookup was made:\n${noDns.stdout}`);
  } finally {
    await noDns.stop();
  }
});

test("target parsing and the page's pure helpers", () => {
  assert.deepEqual(parseTargetOrigin("https://API.Younium.com/auth"), { origin: "https://api.younium.com" });
  assert.deepEqual(parseTargetOrigin("http://localhost:9000/x"), { origin: "http://localhost:9000" });
  assert.deepEqual(parseTargetOrigin("http://[::1]:9000"), { origin: "http://[::1]:9000" });
  assert.match(parseTargetOrigin("http://10.0.0.1").error, /HTTPS only/);
  assert.ok(isLoopbackHost("127.8.9.10") && isLoopbackHost("[::1]") && !isLoopbackHost("10.0.0.1") && !isLoopbackHost("127.0.0.1.evil.example"));

  const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjoxfQ.c2lnbmF0dXJlLWJ5dGVz";
  assert.equal(mask(token), "eyJhbGciOi…dGVz");
  assert.ok(!mask(token).includes(token.slice(10, -4)));
  assert.equal(maskAuthorization(`Bearer ${token}`), "Bearer eyJhbGciOi…dGVz");
  assert.equal(maskAuthorization("Basic ZGVtbzpzZWNyZXQ="), "Basic ••••••••");
  assert.equal(redact(`{"authorization":"Bearer ${token}"}`, [token]), `{"authorization":"Bearer eyJhbGciOi…dGVz"}`);
  assert.deepEqual(decodeJwt(token), { header: { alg: "HS256" }, claims: { sub: "x", exp: 1 } });
  assert.equal(decodeJwt("opaque-token"), null);
  assert.equal(formatDuration(86_399_000), "23 h 59 min 59 s");
  assert.equal(formatDuration(62_000), "1 min 02 s");
  assert.equal(
    describeUrl(`http://127.0.0.1:1/proxy/${enc("https://api.younium.com")}/auth/v2/token`, "http://127.0.0.1:1"),
    "https://api.younium.com/auth/v2/token (through the local proxy)",
  );
});
