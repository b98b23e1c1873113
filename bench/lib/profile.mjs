// Where a client.fetch call spends its CPU: runs overhead.mjs for one variant
// against the in-process stub fetch under `node --cpu-prof`, then sums the
// profile's self time by function.
//   node bench/lib/profile.mjs [--variant ours] [--calls 20000] [--top 25]
// Prints the table and returns it (run.mjs --profile includes it in RESULTS.md).
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { BENCH, ROOT, parseArgs, runChild, startEmulatorProcess } from "./common.mjs";

// "fn file:line", with the package's files shown as pkg/…, and for the
// anonymous import shims of the wasm-bindgen glue, what the shim does.
const sources = new Map();
function frameName(f) {
  if (!f.url) return f.functionName || "(anonymous)";
  const file = f.url.replace(/^file:\/\//, "");
  const shown = (path.relative(ROOT, file) || f.url).replace(/^bench\/out\/snapshot\/node_modules\/edge-auth\//, "pkg/");
  let name = `${f.functionName || "(anonymous)"} ${shown}:${f.lineNumber + 1}`;
  if (!f.functionName && file.endsWith("/edge_auth.js")) {
    try {
      if (!sources.has(file)) sources.set(file, readFileSync(file, "utf8").split("\n"));
      const lines = sources.get(file);
      const shim = /^\s*(__wbg\w+?)_[0-9a-f]{8,}\s*:/.exec(lines[f.lineNumber] ?? "")?.[1];
      const body = (lines[f.lineNumber + 1] ?? "").trim();
      if (shim) name += ` [${shim}: ${body}]`;
    } catch {
      /* the source is only a label */
    }
  }
  return name;
}

export async function profile({ variant = "ours", calls = 20_000, top = 25, emu, label = variant } = {}) {
  const own = emu ? null : await startEmulatorProcess();
  try {
    return await profileWith(own ? own.url : emu, { variant, calls, top, label });
  } finally {
    await own?.close();
  }
}

async function profileWith(emu, { variant, calls, top, label }) {
  const dir = path.join(BENCH, "out", `prof-${label}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const r = await runChild(
    path.join(BENCH, "lib/overhead.mjs"),
    ["--emu", emu, "--mode", "stub", "--only", variant, "--seq", String(calls), "--seq-rounds", "1", "--conc", "1000", "--conc-rounds", "2", "--warm", "2000"],
    { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", dir], timeoutMs: 300_000 },
  );
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  const prof = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
  // Only the samples taken while the measured calls ran (not start-up,
  // module loading, the first token or the warm-up).
  const { startUs, endUs, calls: measuredCalls } = r.measured;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let t = prof.startTime;
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const delta = prof.timeDeltas[i] ?? 0;
    t += delta;
    if (t < startUs || t > endUs) continue;
    const f = byId.get(prof.samples[i]).callFrame;
    const key = frameName(f);
    if (key.startsWith("(idle)")) continue;
    // A sample's time is the gap to the next one; timeDeltas[i] is the gap before sample i.
    const us = prof.timeDeltas[i + 1] ?? delta;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ fn, ms: us / 1000, share: us / total }));
  const totalCalls = measuredCalls;
  return { variant, calls, totalCalls, cpuUsPerCall: (total / totalCalls), file: path.relative(ROOT, path.join(dir, file)), totalMs: total / 1000, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parseArgs(process.argv.slice(2));
  const r = await profile({ variant: args.variant ?? "ours", calls: Number(args.calls ?? 20_000), top: Number(args.top ?? 25) });
  console.log(`${r.file}: ${r.totalMs.toFixed(0)} ms sampled (not idle, measured calls only), ${r.cpuUsPerCall.toFixed(1)} µs per call`);
  for (const row of r.rows) console.log(`${(row.share * 100).toFixed(1).padStart(5)}%  ${row.ms.toFixed(1).padStart(8)} ms  ${row.fn}`);
}
