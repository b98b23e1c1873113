// The credential tester's server: `make demo` runs it.
//
//   node www/server.mjs [--port 8788] [--host 127.0.0.1]
//
// Listens on loopback only and serves, on one origin:
//   /                 the page (www/)
//   /pkg/…            the built npm package (make pkg), .wasm as application/wasm
//   /sandbox/…        the vendor emulator of tests/emulator/ (every dialect, offline,
//                     no account): /sandbox/t/<namespace>/auth/v2/token, …
//   /proxy/<url-encoded origin>/<path>
//                     a forwarding proxy for real vendors, whose token endpoints a
//                     browser may not call cross-origin. It forwards only to the
//                     vendor hosts of docs/API.md §3 and to origins registered with
//                     POST /proxy-allow {"origin"} (https:, or http: on loopback,
//                     by the library's own loopback rule), strips cookies, and
//                     logs one line per request: method, origin, path and
//                     status — never a query, a body or a header. A loopback
//                     target is reached at its address (localhost is
//                     127.0.0.1), never through a DNS lookup.
//   /demo-config.json the sample credentials and the proxy's fixed allow-list, for the page
//
// Node ≥ 20, node: modules only, and the built package (make pkg) for its
// loopback rule.
import http from "node:http";
import https from "node:https";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startEmulator, SAMPLE_CREDENTIALS } from "../tests/emulator/server.mjs";

// The library's one loopback rule (docs/API.md §2: localhost, 127.0.0.0/8 in
// dotted decimal, [::1]; no *.localhost), so the proxy refuses exactly what
// the library refuses. It is the package's wasm: the package must be built.
let libraryIsLoopback;
try {
  await import("../pkg/node.js"); // initialises the wasm
  ({ isLoopbackHost: libraryIsLoopback } = await import("../pkg/edge_auth.js"));
} catch (e) {
  throw new Error(`www/server.mjs needs the built package in pkg/ (run make pkg): ${e.message}`);
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");

export const DEFAULT_PORT = 8788;

/** The vendor hosts of docs/API.md §3: Younium's four auth-v2 hosts and auth v1's own US sandbox host. */
export const VENDOR_ORIGINS = Object.freeze([
  "https://api.younium.com",
  "https://api.sandbox.younium.com",
  "https://api.us.younium.com",
  "https://api.sandbox.us.younium.com",
  "https://api.us.sandbox.younium.com",
]);

const MAX_REGISTERED_ORIGINS = 100;
const UPSTREAM_TIMEOUT_MS = 30_000;
const HOP_HEADER = "x-edge-auth-demo-hop";

const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

// Request headers never forwarded: hop-by-hop, cookies, and what identifies the
// page rather than the caller (the vendor sees a server-to-server request).
const DROP_REQUEST_HEADERS = new Set([
  "host", "connection", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
  "transfer-encoding", "upgrade", "cookie", "cookie2", "origin", "referer", "forwarded", "x-forwarded-for",
  "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "priority",
]);
// Response headers never passed back: hop-by-hop, cookies, and policy headers
// that belong to the vendor's origin, not to this one.
const DROP_RESPONSE_HEADERS = new Set([
  "connection", "keep-alive", "proxy-authenticate", "proxy-connection", "te", "trailer", "transfer-encoding",
  "upgrade", "set-cookie", "set-cookie2", "strict-transport-security", "alt-svc", "content-security-policy",
  "content-security-policy-report-only", "report-to", "nel", "clear-site-data",
]);

// ---------------------------------------------------------------------------
// helpers

/** The library's loopback rule, for a host name as a URL parser gives it (an IPv6 address with or without brackets). */
export function isLoopbackHost(hostname) {
  const h = String(hostname).toLowerCase();
  return libraryIsLoopback(net.isIPv6(h) ? `[${h}]` : h);
}

/**
 * `lookup` for connections to a loopback target: its address without asking
 * any resolver (`localhost` is 127.0.0.1), so a name can never be answered
 * by whoever controls DNS. Only loopback hosts get here.
 */
function loopbackLookup(hostname, options, callback) {
  const done = typeof options === "function" ? options : callback;
  const bare = hostname.replace(/^\[|\]$/g, "");
  const address = /^localhost\.?$/i.test(bare) ? "127.0.0.1" : bare;
  const family = net.isIPv6(address) ? 6 : 4;
  if (options?.all) return done(null, [{ address, family }]);
  done(null, address, family);
}

/**
 * Reads what the page typed as a proxy target: a URL whose origin is https:,
 * or http: on loopback, with no user info. Returns { origin } or { error }.
 */
export function parseTargetOrigin(text) {
  let url;
  try {
    url = new URL(String(text));
  } catch {
    return { error: `${JSON.stringify(String(text).slice(0, 200))} is not a URL` };
  }
  if (url.username || url.password) return { error: "a proxy target must not carry a user name or password" };
  if (url.protocol === "https:") return { origin: url.origin };
  if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return { origin: url.origin };
  if (url.protocol === "http:") {
    return { error: `${url.origin} uses http: — tokens travel over HTTPS only (http: is allowed for loopback hosts alone); use https://${url.host}` };
  }
  return { error: `${url.protocol} URLs cannot be proxied; use https://` };
}

function sendJson(res, status, body, headers = {}) {
  if (res.headersSent) return res.destroy();
  const bytes = Buffer.from(JSON.stringify(body, null, 2) + "\n");
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": bytes.length,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(bytes);
}

function refuse(res, message, extra = {}) {
  sendJson(res, 403, { error: "proxy_refused", message, ...extra }, { "x-edge-auth-proxy": "refused" });
}

function readJsonBody(req, limit = 16 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size <= limit) chunks.push(c);
    });
    req.on("end", () => {
      if (size > limit) return reject(new Error("request body too large"));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new Error("request body is not valid JSON"));
      }
    });
    req.on("error", reject);
  });
}

/** Content-Security-Policy for the page: its own scripts, the inline import map by hash, wasm. */
function pageCsp(html) {
  const hashes = [...html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash("sha256").update(m[1], "utf8").digest("base64")}'`,
  );
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(" ")}`.trim(),
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join("; ");
}

/** A static file under `dir`, or null (never outside it, never a dot file). */
async function resolveStatic(dir, relative) {
  let decoded;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const normalized = path.posix.normalize("/" + decoded);
  if (normalized.split("/").some((part) => part.startsWith("."))) return null;
  let realDir;
  try {
    realDir = await realpath(dir);
  } catch {
    return null;
  }
  const candidate = path.resolve(realDir, "." + normalized);
  let file;
  try {
    file = await realpath(candidate);
  } catch {
    return null;
  }
  if (!file.startsWith(realDir + path.sep)) return null;
  const info = await stat(file).catch(() => null);
  return info?.isFile() ? { file, size: info.size } : null;
}

function hopByHopTokens(headers) {
  // Headers named in Connection are hop-by-hop too.
  return new Set(String(headers.connection ?? "").toLowerCase().split(",").map((s) => s.trim()).filter(Boolean));
}

// ---------------------------------------------------------------------------
// the server

/**
 * Starts the demo server and its embedded emulator.
 * Resolves to { url, port, sandboxUrl, close() }.
 */
export async function startDemoServer({ port = DEFAULT_PORT, host = "127.0.0.1", log = console.log, root = ROOT } = {}) {
  if (!isLoopbackHost(host)) throw new Error(`--host must be a loopback address (127.0.0.1, ::1, localhost), not ${host}`);
  const wwwDir = path.join(root, "www");
  const pkgDir = path.join(root, "pkg");
  const emulator = await startEmulator({ port: 0, host: "127.0.0.1" });
  const registered = new Set();
  const sockets = new Set();
  let ownPort = port;

  const allowedOrigins = () => [...VENDOR_ORIGINS, ...registered];
  const isOwnOrigin = (origin) => {
    try {
      const u = new URL(origin);
      return isLoopbackHost(u.hostname) && Number(u.port || 80) === ownPort;
    } catch {
      return false;
    }
  };

  /** DNS-rebinding guard: the Host header must name this loopback server. */
  function hostOk(req) {
    const hostHeader = String(req.headers.host ?? "");
    let u;
    try {
      u = new URL(`http://${hostHeader}`);
    } catch {
      return false;
    }
    return isLoopbackHost(u.hostname) && Number(u.port || 80) === ownPort;
  }

  /** Cross-site guard for the proxy, the sandbox and /proxy-allow: another web page may not use them. */
  function crossSite(req) {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== "null" && !isOwnOrigin(origin)) return `requests from ${origin} are not accepted`;
    if (origin === "null") return "requests from an opaque origin are not accepted";
    const site = req.headers["sec-fetch-site"];
    if (site === "cross-site" || site === "same-site") return `a ${site} request is not accepted`;
    return null;
  }

  async function serveFile(req, res, found, extraHeaders = {}) {
    const type = CONTENT_TYPES[path.extname(found.file).toLowerCase()] ?? "application/octet-stream";
    const headers = {
      "content-type": type,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      ...extraHeaders,
    };
    if (type.startsWith("text/html")) {
      const html = await readFile(found.file, "utf8");
      const bytes = Buffer.from(html);
      res.writeHead(200, { ...headers, "content-length": bytes.length, "content-security-policy": pageCsp(html), "x-frame-options": "DENY" });
      return res.end(req.method === "HEAD" ? undefined : bytes);
    }
    res.writeHead(200, { ...headers, "content-length": found.size });
    if (req.method === "HEAD") return res.end();
    createReadStream(found.file).on("error", () => res.destroy()).pipe(res);
  }

  /** Pipes req to `target` (a URL) and the answer back. */
  function forward(req, res, target, { proxy }) {
    const started = Date.now();
    const skip = hopByHopTokens(req.headers);
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (DROP_REQUEST_HEADERS.has(name) || skip.has(name) || name.startsWith("sec-")) continue;
      if (name === "accept-encoding" && !proxy) continue;
      headers[name] = value;
    }
    if (proxy) headers[HOP_HEADER] = "1";
    const lib = target.protocol === "https:" ? https : http;
    const lookup = isLoopbackHost(target.hostname) ? { lookup: loopbackLookup } : {};
    const upstream = lib.request(target, { method: req.method, headers, timeout: UPSTREAM_TIMEOUT_MS, ...lookup });
    const where = `${target.origin}${target.pathname}`;
    let finished = false;

    const fail = (status, error, message) => {
      if (finished) return;
      finished = true;
      if (proxy) log(`proxy ${req.method} ${where} → ${status} ${error} (${Date.now() - started} ms)`);
      if (res.headersSent) return res.destroy();
      sendJson(res, status, { error, message }, { "x-edge-auth-proxy": error });
    };

    upstream.on("timeout", () => {
      upstream.destroy();
      fail(504, "proxy_timeout", `the local proxy gave up on ${target.origin} after ${UPSTREAM_TIMEOUT_MS / 1000} s`);
    });
    upstream.on("error", (e) => {
      const reason = e.code ? `${e.code}${e.hostname ? ` ${e.hostname}` : ""}` : e.message;
      fail(502, proxy ? "proxy_upstream_unreachable" : "sandbox_unreachable",
        `the local ${proxy ? "proxy" : "sandbox"} could not reach ${target.origin}: ${reason}`);
    });
    upstream.on("response", (up) => {
      const drop = hopByHopTokens(up.headers);
      const out = {};
      for (const [name, value] of Object.entries(up.headers)) {
        if (DROP_RESPONSE_HEADERS.has(name) || drop.has(name)) continue;
        if (name.startsWith("access-control-")) continue; // the page is same-origin with both
        out[name] = value;
      }
      if (proxy && typeof out.location === "string") out.location = rewriteLocation(out.location, target);
      out["cache-control"] ??= "no-store";
      if (proxy) out["x-edge-auth-proxy"] = "forwarded";
      res.writeHead(up.statusCode, up.statusMessage, out);
      up.pipe(res);
      up.on("end", () => {
        if (finished) return;
        finished = true;
        if (proxy) log(`proxy ${req.method} ${where} → ${up.statusCode} (${Date.now() - started} ms)`);
      });
      up.on("error", () => res.destroy());
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  /** A redirect to an allowed origin stays in the proxy; anything else is passed on as it is. */
  function rewriteLocation(location, base) {
    let u;
    try {
      u = new URL(location, base);
    } catch {
      return location;
    }
    if (!allowedOrigins().includes(u.origin)) return location;
    return `/proxy/${encodeURIComponent(u.origin)}${u.pathname}${u.search}`;
  }

  async function handleProxyAllow(req, res) {
    if (req.method !== "POST") return sendJson(res, 405, { error: "method_not_allowed", message: "POST {\"origin\": \"https://…\"}" }, { allow: "POST" });
    if (!/^application\/json\b/i.test(String(req.headers["content-type"] ?? ""))) {
      return sendJson(res, 415, { error: "unsupported_media_type", message: "send Content-Type: application/json" });
    }
    let input;
    try {
      input = await readJsonBody(req);
    } catch (e) {
      return sendJson(res, 400, { error: "bad_request", message: e.message });
    }
    const parsed = parseTargetOrigin(input?.origin);
    if (parsed.error) return refuse(res, `the local proxy refused to register this origin: ${parsed.error}`);
    if (isOwnOrigin(parsed.origin)) return refuse(res, "the local proxy does not forward to itself");
    if (!VENDOR_ORIGINS.includes(parsed.origin) && !registered.has(parsed.origin)) {
      if (registered.size >= MAX_REGISTERED_ORIGINS) return refuse(res, `at most ${MAX_REGISTERED_ORIGINS} origins can be registered; restart the server`);
      registered.add(parsed.origin);
      log(`proxy: origin registered by the page: ${parsed.origin}`);
    }
    sendJson(res, 200, { ok: true, origin: parsed.origin, prefix: `/proxy/${encodeURIComponent(parsed.origin)}` });
  }

  function handleProxy(req, res, rawPath) {
    // rawPath: "/proxy/<encoded origin>[/rest][?query]"
    const rest = rawPath.slice("/proxy/".length);
    const cut = rest.search(/[/?]/);
    const encoded = cut < 0 ? rest : rest.slice(0, cut);
    let tail = cut < 0 ? "/" : rest.slice(cut);
    if (tail.startsWith("?")) tail = "/" + tail;
    let decoded;
    try {
      decoded = decodeURIComponent(encoded);
    } catch {
      req.resume();
      return refuse(res, "the target origin in /proxy/<origin>/… is not URL-encoded correctly");
    }
    if (req.headers[HOP_HEADER]) {
      req.resume();
      return refuse(res, "the request already went through an edge-auth demo proxy (loop)");
    }
    const parsed = parseTargetOrigin(decoded);
    if (parsed.error) {
      req.resume();
      return refuse(res, `the local proxy does not forward to ${decoded.slice(0, 200)}: ${parsed.error}`, { allowed: allowedOrigins() });
    }
    if (!allowedOrigins().includes(parsed.origin) || isOwnOrigin(parsed.origin)) {
      req.resume();
      log(`proxy ${req.method} ${parsed.origin} → 403 refused (not an allowed target)`);
      return refuse(
        res,
        `the local proxy does not forward to ${parsed.origin}: it forwards only to the vendor hosts (${VENDOR_ORIGINS.join(", ")}) ` +
          "and to origins typed into the page (POST /proxy-allow)",
        { allowed: allowedOrigins() },
      );
    }
    forward(req, res, new URL(parsed.origin + tail), { proxy: true });
  }

  const server = http.createServer(async (req, res) => {
    try {
      if (!hostOk(req)) {
        req.resume();
        return sendJson(res, 421, { error: "wrong_host", message: `this server answers only to loopback host names on port ${ownPort}` });
      }
      const rawPath = req.url ?? "/";
      if (!rawPath.startsWith("/")) {
        req.resume();
        return sendJson(res, 400, { error: "bad_request", message: "absolute-form request targets are not accepted: this is not an HTTP proxy" });
      }
      const pathname = rawPath.split("?")[0];

      if (pathname === "/proxy-allow" || pathname.startsWith("/proxy/") || pathname === "/sandbox" || pathname.startsWith("/sandbox/")) {
        const why = crossSite(req);
        if (why) {
          req.resume();
          return refuse(res, `the local proxy and sandbox serve this page only: ${why}`);
        }
        if (pathname === "/proxy-allow") return await handleProxyAllow(req, res);
        if (pathname.startsWith("/proxy/")) return handleProxy(req, res, rawPath);
        const inner = rawPath.slice("/sandbox".length);
        return forward(req, res, new URL(emulator.url + (inner.startsWith("/") ? inner : "/" + inner)), { proxy: false });
      }

      if (req.method !== "GET" && req.method !== "HEAD") {
        req.resume();
        return sendJson(res, 405, { error: "method_not_allowed", message: `${req.method} ${pathname}` }, { allow: "GET, HEAD" });
      }
      if (pathname === "/demo-config.json") {
        return sendJson(res, 200, { sandboxPath: "/sandbox", proxyPath: "/proxy/", vendorOrigins: VENDOR_ORIGINS, samples: SAMPLE_CREDENTIALS });
      }
      if (pathname.startsWith("/pkg/")) {
        const found = await resolveStatic(pkgDir, pathname.slice("/pkg/".length));
        if (found) return await serveFile(req, res, found);
        return sendJson(res, 404, { error: "not_found", message: `${pathname} is not in pkg/: build the package with \`make pkg\` (or run \`make demo\`)` });
      }
      const relative = pathname === "/" ? "index.html" : pathname.slice(1);
      if (relative === "server.mjs") return sendJson(res, 404, { error: "not_found", message: pathname });
      const found = await resolveStatic(wwwDir, relative);
      if (found) return await serveFile(req, res, found);
      sendJson(res, 404, { error: "not_found", message: pathname });
    } catch (e) {
      if (!res.headersSent) sendJson(res, 500, { error: "internal_error", message: e?.name ?? "Error" });
      else res.destroy();
    }
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  try {
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    await emulator.close();
    throw e;
  }
  ownPort = server.address().port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${ownPort}`;
  let closing = null;
  const close = () =>
    (closing ??= new Promise((done) => {
      server.close(() => done());
      server.closeAllConnections?.();
      for (const s of sockets) s.destroy();
    }).then(() => emulator.close()));
  return { url, port: ownPort, sandboxUrl: `${url}/sandbox`, close };
}

// ---------------------------------------------------------------------------
// CLI

function cliOptions(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    if (flag === "--port") opts.port = Number(value());
    else if (flag === "--host") opts.host = value();
    else if (flag === "--help" || flag === "-h") {
      process.stdout.write("usage: node www/server.mjs [--port 8788] [--host 127.0.0.1]\n");
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}; usage: node www/server.mjs [--port 8788] [--host 127.0.0.1]`);
  }
  if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 0 && opts.port < 65536)) {
    throw new Error("--port must be an integer from 0 to 65535");
  }
  return opts;
}

function banner({ url, sandboxUrl }) {
  const s = SAMPLE_CREDENTIALS;
  const rows = [
    ["younium", `clientId ${s.younium.clientId}  secret ${s.younium.secret}`],
    ["younium-v1", `clientId ${s["younium-v1"].clientId}  secret ${s["younium-v1"].secret}`],
    ["union", `username ${s.union.username}  password ${s.union.password}`],
    ["papaya", `apiKey ${s.papaya.apiKey}  clientSecret ${s.papaya.clientSecret}`],
    ["oauth2", `clientId ${s.oauth2.clientId}  clientSecret ${s.oauth2.clientSecret}`],
  ];
  return [
    `edge-auth credential tester: open ${url}/`,
    "",
    `Built-in sandbox (the vendor emulator, offline, no account) — baseUrl for every provider: ${sandboxUrl}`,
    "Sample credentials (the page's \"Use sample credentials\" button fills them in):",
    ...rows.map(([p, c]) => `  ${p.padEnd(11)} ${c}`),
    "",
    `e.g. new AuthClient({ provider: "younium", baseUrl: "${sandboxUrl}", clientId: "${s.younium.clientId}", secret: "${s.younium.secret}" })`,
    "",
    `Proxy for real vendors: ${url}/proxy/<url-encoded origin>/<path>`,
    `  forwards to ${VENDOR_ORIGINS.map((o) => new URL(o).host).join(", ")}`,
    "  and to origins typed into the page; cookies stripped; no body, query or auth header is logged.",
    "Loopback only. Ctrl-C stops it.",
    "",
  ].join("\n");
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;

if (isMain) {
  let opts;
  try {
    opts = cliOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  let demo;
  try {
    demo = await startDemoServer(opts);
  } catch (e) {
    const port = opts.port ?? DEFAULT_PORT;
    if (e.code === "EADDRINUSE") {
      process.stderr.write(`port ${port} is in use: stop what runs there, or pick another port: node www/server.mjs --port 8799 (make demo DEMO_PORT=8799)\n`);
    } else {
      process.stderr.write(`could not start the demo server: ${e.message}\n`);
    }
    process.exit(1);
  }
  process.stdout.write(banner(demo) + "\n");
  const stop = () => demo.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
