// Node-only checks of the built package (pkg/, reached as node_modules/edge-auth):
// how it loads, its package.json, its TypeScript declarations, that a freed
// client lets the process exit, that a fault run leaves no unhandled
// rejection behind, and that client.fetch with a fresh token stays in JS.
//
//   node --test tests/node/            (from the repository root)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startEmulator, SAMPLE_CREDENTIALS } from "../emulator/server.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const PKG = path.join(ROOT, "pkg");
const SECRETS = [
  SAMPLE_CREDENTIALS.younium.secret,
  SAMPLE_CREDENTIALS.union.password,
  SAMPLE_CREDENTIALS.papaya.apiKey,
  SAMPLE_CREDENTIALS.papaya.clientSecret,
  SAMPLE_CREDENTIALS.oauth2.clientSecret,
];

let emu;
before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu?.close();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stats = async (base) => (await fetch(`${base}/__emulator/stats`)).json();
const control = async (base, name, body) => {
  const res = await fetch(`${base}/__emulator/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `emulator ${name}: ${text}`);
};

function run(file, args, options = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 16 << 20, ...options }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code ?? 1 : 0, error, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

// ---------------------------------------------------------------------------

test("pkg/package.json: name, type, types and conditional exports", () => {
  const file = path.join(PKG, "package.json");
  assert.ok(existsSync(file), `${file} exists (run \`make pkg\`)`);
  const pkg = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(pkg.name, "edge-auth");
  assert.equal(pkg.type, "module");
  const types = pkg.types ?? pkg.typings;
  assert.equal(typeof types, "string", "package.json has types");
  assert.ok(existsSync(path.join(PKG, types)), `types file ${types} exists`);

  assert.ok(pkg.exports && typeof pkg.exports === "object", "package.json has exports");
  const dot = typeof pkg.exports["."] === "object" ? pkg.exports["."] : pkg.exports;
  const keys = Object.keys(dot);
  for (const condition of ["workerd", "deno", "node", "browser", "default"]) {
    assert.ok(keys.includes(condition), `exports["."] has the "${condition}" condition (has ${keys.join(", ")})`);
  }
  assert.equal(keys[keys.length - 1], "default", `"default" is the last condition (conditions match in order)`);
  if (keys.includes("types")) assert.equal(keys[0], "types", `"types" comes first`);
  // Every target exists.
  const targets = [];
  const walk = (v) => {
    if (typeof v === "string") targets.push(v);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(pkg.exports);
  for (const t of targets) {
    assert.ok(t.startsWith("./"), `export target ${t} is relative`);
    assert.ok(existsSync(path.join(PKG, t)), `export target ${t} exists`);
  }
  // node_modules/edge-auth is the package.
  const linked = path.join(ROOT, "node_modules", "edge-auth");
  assert.ok(existsSync(linked), "node_modules/edge-auth exists");
  assert.equal(realpathSync(linked), realpathSync(PKG), "node_modules/edge-auth → pkg/");
});

test("the package loads with no init call and works at once", async () => {
  const mod = await import("edge-auth");
  assert.equal(typeof mod.AuthClient, "function", "AuthClient export");
  assert.equal(typeof mod.AuthError, "function", "AuthError export");
  // The "node" condition is the one Node picks.
  const pkg = JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8"));
  const dot = typeof pkg.exports["."] === "object" ? pkg.exports["."] : pkg.exports;
  const nodeTarget = typeof dot.node === "string" ? dot.node : dot.node?.import ?? dot.node?.default;
  assert.equal(import.meta.resolve("edge-auth"), pathToFileURL(realpathSync(path.join(PKG, nodeTarget))).href, "Node resolves the node condition");

  const { AuthClient, AuthError } = mod;
  const base = `${emu.url}/t/package-load`;
  // Constructed synchronously right after import: no init() anywhere.
  const client = new AuthClient({ provider: "younium", baseUrl: base, ...SAMPLE_CREDENTIALS.younium });
  try {
    const token = await client.getToken();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.equal((await stats(base)).tokenRequests.younium, 1);
    const err = (() => {
      try {
        new AuthClient({ provider: "nope" });
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(err instanceof AuthError && err.code === "invalid_config", "constructor errors are AuthErrors");
  } finally {
    client.free();
  }
});

test("the TypeScript declarations type-check a typed example (tsc --strict, nodenext)", async () => {
  const tsc = path.join(ROOT, "node_modules", ".bin", "tsc");
  assert.ok(existsSync(tsc), `${tsc} exists (npm devDependency typescript)`);
  const r = await run(
    tsc,
    [
      "--noEmit",
      "--strict",
      "--module",
      "nodenext",
      "--moduleResolution",
      "nodenext",
      "--target",
      "es2022",
      "--skipLibCheck",
      "false",
      path.join("tests", "node", "typed-example.ts"),
    ],
    { cwd: ROOT, timeout: 120_000 },
  );
  assert.equal(r.code, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});

// With free(), every timer is cleared; without it, the refresh timer is unref'd,
// so a client that is simply dropped does not keep the process alive either.
for (const freed of [true, false]) {
test(`a process that gets a token and ${freed ? "frees its client" : "drops its client without free()"} exits by itself within 3 s`, async () => {
  const base = `${emu.url}/t/package-exit-${freed}`;
  // A long-lived token, autoRefresh on (the Node default): a timer is pending until free().
  await control(base, "config", { ttlSeconds: 3600 });
  const script = `
    import { AuthClient } from "edge-auth";
    const client = new AuthClient({ provider: "younium", baseUrl: process.env.EMU_BASE, clientId: process.env.CLIENT_ID, secret: process.env.SECRET, autoRefresh: true });
    const token = await client.getToken();
    await client.fetch("/ping").then((r) => r.text());
    console.log("TOKEN=" + token);
    ${freed ? "client.free();" : "// no free(): the pending refresh timer must not hold the process"}
  `;
  const started = Date.now();
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: ROOT,
    env: { ...process.env, EMU_BASE: base, CLIENT_ID: SAMPLE_CREDENTIALS.younium.clientId, SECRET: SAMPLE_CREDENTIALS.younium.secret },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const result = await new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ timedOut: true });
    }, 3000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut: false });
    });
  });
  const elapsed = Date.now() - started;
  assert.equal(result.timedOut, false, `the child did not exit within 3 s (stdout: ${stdout}, stderr: ${stderr})`);
  assert.equal(result.code, 0, `child exit code (stderr: ${stderr})`);
  assert.match(stdout, /^TOKEN=[\w-]+\.[\w-]+\.[\w-]+$/m, "the child printed its token");
  assert.ok(elapsed < 3000, `exited after ${elapsed} ms`);
  const st = await stats(base);
  assert.equal(st.tokenRequests.younium, 1, "one token request");
  assert.equal(st.apiRequests, 1, "one API request");
});
}

test("a fault run raises no unhandled rejection (timer refreshes failing included)", async () => {
  const { AuthClient, AuthError } = await import("edge-auth");
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  const clients = [];
  try {
    const base = `${emu.url}/t/package-faults`;
    // 2 s tokens, refreshed by timer 1 s before expiry; every refresh fails for a while.
    await control(base, "config", { ttlSeconds: 2 });
    const mk = (provider, extra = {}) => {
      const c = new AuthClient({ provider, baseUrl: base, ...SAMPLE_CREDENTIALS[provider], refreshLeewaySeconds: 1, autoRefresh: true, ...extra });
      clients.push(c);
      return c;
    };
    const a = mk("younium");
    const b = mk("union");
    const c = mk("oauth2", { timeoutMs: 300 });
    await Promise.all([a.getToken(), b.getToken(), c.getToken()]);
    for (const kind of ["status", "html", "badjson", "drop", "notoken", "echo-secret"]) {
      await control(base, "fault", { target: "token", kind, count: 1 });
    }
    await control(base, "fault", { target: "token", kind: "delay", delayMs: 800, count: 1 });
    await control(base, "fault", { target: "api", kind: "drop", count: 1 });

    // Calls that fail are caught by the caller: only stray rejections count.
    const outcomes = [];
    for (let i = 0; i < 6; i++) {
      for (const client of [a, b, c]) {
        outcomes.push(client.getToken().then(() => "ok", (e) => e));
        outcomes.push(client.fetch("/x").then((r) => r.text().then(() => "ok"), (e) => e));
      }
      await sleep(200);
    }
    // A client freed while its token request is in flight.
    await control(base, "config", { tokenDelayMs: 300 });
    const d = mk("papaya");
    const inflight = d.getToken().then(() => "ok", (e) => e);
    d.free();
    outcomes.push(inflight);
    await control(base, "config", { tokenDelayMs: 0 });
    await sleep(2000);
    let limit;
    const settled = await Promise.race([
      Promise.all(outcomes),
      new Promise((resolve) => {
        limit = setTimeout(() => resolve(null), 8000);
      }),
    ]);
    clearTimeout(limit);
    assert.ok(settled, "every call settled");
    for (const o of settled) {
      if (o === "ok") continue;
      assert.ok(o instanceof AuthError, `a rejection is an AuthError: ${o && o.name}: ${o && o.message}`);
      const text = `${o.message} ${String(o)} ${JSON.stringify(o)} ${o.stack}`;
      for (const s of SECRETS) assert.ok(!text.includes(s), `error text contains a credential: ${o.code}`);
    }
  } finally {
    for (const client of clients) client.free();
    await sleep(50);
    process.off("unhandledRejection", onUnhandled);
  }
  assert.deepEqual(
    unhandled.map((r) => (r instanceof Error ? `${r.name}: ${r.message}` : String(r))),
    [],
    "unhandled rejections during the fault run",
  );
});

test("client.fetch with a fresh cached token makes no wasm call (the hot path stays in JS)", async () => {
  const { AuthClient } = await import("edge-auth");
  // The same module instance the package uses (node_modules/edge-auth → pkg/).
  const { WasmAuthClient } = await import(pathToFileURL(realpathSync(path.join(PKG, "edge_auth.js"))).href);
  const calls = new Map();
  const originals = [];
  for (const name of Object.getOwnPropertyNames(WasmAuthClient.prototype)) {
    const d = Object.getOwnPropertyDescriptor(WasmAuthClient.prototype, name);
    if (name === "constructor" || typeof d.value !== "function") continue;
    originals.push([name, d]);
    WasmAuthClient.prototype[name] = function (...args) {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return d.value.apply(this, args);
    };
  }
  const base = `${emu.url}/t/package-hot-path`;
  const client = new AuthClient({ provider: "younium", baseUrl: base, legalEntity: "Acme AB", ...SAMPLE_CREDENTIALS.younium });
  try {
    await client.getToken();
    calls.clear();
    for (let i = 0; i < 20; i++) {
      const res = await client.fetch(i % 2 ? "/Accounts" : `${base}/Invoices?page=${i}`, i % 3 ? undefined : { method: "POST", body: "{}" });
      assert.equal(res.status, 200, await res.text());
    }
    assert.deepEqual([...calls], [], "no WasmAuthClient method was called while the token was fresh");
    // The counting works: after invalidate() the next call asks the wasm for a token.
    client.invalidate();
    const res = await client.fetch("/Accounts");
    assert.equal(res.status, 200);
    await res.text();
    assert.equal(calls.get("getToken"), 1, `after invalidate(): ${JSON.stringify([...calls])}`);
    assert.equal((await stats(base)).tokenRequests.younium, 2);
  } finally {
    client.free();
    for (const [name, d] of originals) Object.defineProperty(WasmAuthClient.prototype, name, d);
  }
});

test("client.fetch joins a relative URL to baseUrl without ever leaving baseUrl's origin", async () => {
  // The join lives in api_fetch.js (it was once fuzzed as a Rust copy): a
  // relative URL, however odd, ends up on the base's scheme, host and port.
  const { AuthClient } = await import("edge-auth");
  const seen = [];
  const fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url.startsWith("https://auth.example.test/")) {
      return Response.json({ access_token: "t-join", token_type: "Bearer", expires_in: 3600 });
    }
    seen.push([url, new Headers(init?.headers).get("authorization")]);
    return new Response("{}");
  };
  const client = new AuthClient({
    provider: "oauth2", baseUrl: "https://api.example.test:8443/v2/", tokenUrl: "https://auth.example.test/token",
    clientId: "id", clientSecret: "s", fetch,
  });
  // (A string starting with "//" is protocol-relative, an absolute URL, as in axios.)
  const odd = ["/Accounts", "Accounts", "Accounts/", "\\evil.test/x", "@evil.test/x", ":evil.test", "..//evil.test", "/%2F%2Fevil.test", "?x=//evil.test", "#//evil.test", "", "evil.test:443/x"];
  try {
    for (const rel of odd) await (await client.fetch(rel)).text();
  } finally {
    client.free();
  }
  assert.equal(seen.length, odd.length);
  for (const [url, auth] of seen) {
    assert.equal(new URL(url).origin, "https://api.example.test:8443", `${url} stays on the base's origin`);
    assert.ok(url.startsWith("https://api.example.test:8443/v2"), url);
    assert.equal(auth, "Bearer t-join");
  }
  assert.equal(seen[0][0], "https://api.example.test:8443/v2/Accounts", "one slash at the seam");
  assert.equal(seen[1][0], "https://api.example.test:8443/v2/Accounts");
});
