// Node-side helpers shared by workerd.test.mjs and secrets.test.mjs: bundle
// tests/hardening/worker.mjs with wrangler (edge-auth's "workerd" condition,
// its .wasm as a CompiledWasm module), run it in workerd with the miniflare
// API, and run the fault matrix one case per request. The same approach as
// tests/workerd/workerd.test.mjs. Needs Node >= 22.12 (miniflare).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare, Log, LogLevel } from "miniflare";
import { bundleWorker as bundle, compatDate, workerOptions, withTimeout, workerGet as getFromWorker, LOOPBACK_ONLY, ROOT as REPO_ROOT } from "../lib/workerd.mjs";

export { withTimeout };

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = REPO_ROOT;
const WRANGLER_TOML = path.join(HERE, "wrangler.toml");
const COMPAT_DATE = compatDate(WRANGLER_TOML);
const REQUEST_TIMEOUT_MS = 40_000;

// Runtime messages that mean workerd's cross-request rules were tripped.
export const WORKERD_FAILURE_PATTERNS = [/code had hung/i, /Cannot perform I\/O on behalf of a different request/i, /different request context/i];


/**
 * wrangler deploy --dry-run into a fresh temporary directory. Resolves to
 * { scriptPath, dir, output } (output: wrangler's stdout and stderr).
 */
export async function bundleWorker() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "edge-auth-hardening-"));
  const { scriptPath, output } = await bundle(WRANGLER_TOML, path.join(dir, "bundle"));
  return { scriptPath, dir, output };
}

/** Captures miniflare's own log lines. */
class CapturingLog extends Log {
  constructor(lines) {
    super(LogLevel.VERBOSE);
    this.lines = lines;
  }
  log(message) {
    this.lines.push(`[miniflare] ${message}`);
  }
}

/**
 * Starts workerd on the bundle. `output`: an array that receives every line of
 * workerd's stdout and stderr and of miniflare's log.
 */
export async function startWorkerd(scriptPath, output) {
  const mf = new Miniflare({
    ...LOOPBACK_ONLY,
    ...workerOptions(scriptPath, COMPAT_DATE),
    log: new CapturingLog(output),
    handleRuntimeStdio(stdout, stderr) {
      for (const [stream, label] of [[stdout, "stdout"], [stderr, "stderr"]]) {
        stream.setEncoding("utf8");
        let pending = "";
        stream.on("data", (chunk) => {
          const lines = (pending + chunk).split("\n");
          pending = lines.pop();
          for (const line of lines) output.push(`[workerd ${label}] ${line}`);
        });
        stream.on("end", () => pending && output.push(`[workerd ${label}] ${pending}`));
      }
    },
  });
  await withTimeout(mf.ready, 60_000, "miniflare/workerd start");
  return mf;
}

export function workerGet(mf, pathAndQuery) {
  return getFromWorker(mf, pathAndQuery, REQUEST_TIMEOUT_MS);
}

/**
 * Every case of the matrix, one request each, `concurrency` at a time.
 * Resolves to { summary: {cases, passed, failures, results}, answers } where
 * answers[i] is the worker's whole answer for results[i].
 */
export async function runMatrixInWorkerd(mf, { ids, emulatorUrl, prefix, observe = false, concurrency = 6 }) {
  const answers = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      const id = ids[i];
      const q = new URLSearchParams({ id, emu: emulatorUrl, prefix, ...(observe ? { observe: "1" } : {}) });
      let answer;
      try {
        const r = await workerGet(mf, `/case?${q}`);
        answer = r.body?.result ? r.body : { result: { id, ok: false, error: `worker answered ${r.status}: ${r.text.slice(0, 500)}` }, emitted: [], console: [], unhandled: [] };
      } catch (e) {
        answer = { result: { id, ok: false, error: `request failed: ${e.message}` }, emitted: [], console: [], unhandled: [] };
      }
      if (answer.unhandled?.length) {
        answer.result.ok = false;
        answer.result.error = `${answer.result.error ?? ""}\nunhandled rejection(s) in the isolate: ${answer.unhandled.join("; ")}`.trim();
      }
      answers[i] = answer;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  const results = answers.map((a) => a.result);
  const failures = results.filter((r) => !r.ok).map((r) => ({ id: r.id, error: r.error }));
  return { summary: { cases: results.length, passed: results.length - failures.length, failures, results }, answers };
}

export async function removeDir(dir) {
  if (dir) await rm(dir, { recursive: true, force: true });
}
