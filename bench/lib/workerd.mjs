// Cold start in workerd (run with Node >= 22.12, for wrangler and miniflare):
//   node22 bench/lib/workerd.mjs --emu <emulator URL> --runs N
// Bundles bench/workerd/{ours,anchor}.mjs with wrangler (as a user's deploy
// would), then per run and variant starts a fresh Miniflare (a fresh workerd
// and isolate), times its start (`new Miniflare` → `ready`), then the first
// request, from dispatchFetch to the token in hand, then a second request
// (the token cached: what dispatching alone costs).
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import { BENCH, ROOT, parseArgs, report, withTimeout, newNamespace } from "./common.mjs";
import { gzipSize } from "./size.mjs";

const args = parseArgs(process.argv.slice(2));
const emu = args.emu;
const runs = Number(args.runs ?? 5);
if (!emu) throw new Error("--emu is required");

// With a snapshot of the package (run.mjs), the workers are bundled from a
// copy inside it, so that "edge-auth" resolves to the snapshot (through its
// package.json's "workerd" condition, as for a user) and not to pkg/.
const DIR = process.env.EDGE_AUTH_DIR ? path.resolve(process.env.EDGE_AUTH_DIR, "../..", "workerd") : path.join(BENCH, "workerd");
if (DIR !== path.join(BENCH, "workerd")) {
  mkdirSync(DIR, { recursive: true });
  for (const f of readdirSync(path.join(BENCH, "workerd"))) if (/\.(mjs|toml)$/.test(f)) copyFileSync(path.join(BENCH, "workerd", f), path.join(DIR, f));
}
const VARIANTS = [
  { name: "ours-json", worker: "ours", query: { enc: "json" } },
  { name: "ours-form", worker: "ours", query: { enc: "form" } },
  { name: "anchor", worker: "anchor", query: {} },
];

function run(file, argv, options) {
  return new Promise((resolve) => {
    execFile(file, argv, { maxBuffer: 16 << 20, ...options }, (error, stdout, stderr) => resolve({ error, stdout: String(stdout), stderr: String(stderr) }));
  });
}

async function bundle(worker, outdir) {
  const toml = path.join(DIR, `${worker}.toml`);
  const scratch = path.join(outdir, "..", `${worker}-scratch`);
  const env = {
    ...process.env,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_LOG_PATH: path.join(scratch, "logs"),
    XDG_CONFIG_HOME: path.join(scratch, "config"),
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  for (const k of ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_EMAIL"]) delete env[k];
  const r = await run(process.execPath, [path.join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir, "--config", toml], {
    cwd: ROOT,
    env,
    timeout: 180_000,
  });
  await rm(scratch, { recursive: true, force: true });
  if (r.error) throw new Error(`wrangler bundling of ${worker} failed (${r.error.message})\n${r.stdout}\n${r.stderr}`);
  const files = await readdir(outdir);
  const entry = files.find((f) => f === `${worker}.js` || f === "index.js") ?? files.find((f) => /\.m?js$/.test(f));
  if (!entry) throw new Error(`wrangler wrote no JavaScript entry for ${worker}: ${files.join(", ")}`);
  const sizes = {};
  for (const f of files) {
    if (!/\.(m?js|wasm)$/.test(f)) continue;
    const buf = readFileSync(path.join(outdir, f));
    sizes[f] = { raw: statSync(path.join(outdir, f)).size, gzip: gzipSize(buf) };
  }
  return { scriptPath: path.join(outdir, entry), sizes };
}

function newMiniflare(scriptPath) {
  return new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: path.dirname(scriptPath),
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: false }],
    compatibilityDate: "2026-07-01",
    handleRuntimeStdio(stdout, stderr) {
      stdout.resume();
      stderr.resume();
    },
  });
}

async function once(scriptPath, variant) {
  const base = `${emu}/t/${newNamespace(`workerd-${variant.name}`)}`;
  const q = new URLSearchParams({ base, ...variant.query }).toString();
  const t0 = performance.now();
  const mf = newMiniflare(scriptPath);
  try {
    await withTimeout(mf.ready, 60_000, "miniflare start");
    const t1 = performance.now();
    const res = await withTimeout(mf.dispatchFetch(`http://bench.local/token?${q}`), 30_000, "first request");
    const body = await res.json();
    const t2 = performance.now();
    if (res.status !== 200 || body.parts !== 3) throw new Error(`${variant.name}: first request answered ${res.status} ${JSON.stringify(body)}`);
    const res2 = await withTimeout(mf.dispatchFetch(`http://bench.local/token?${q}`), 30_000, "second request");
    await res2.json();
    const t3 = performance.now();
    return { startMs: t1 - t0, firstRequestMs: t2 - t1, warmRequestMs: t3 - t2 };
  } finally {
    await mf.dispose().catch(() => {});
  }
}

const tmp = await mkdtemp(path.join(os.tmpdir(), "edge-auth-bench-workerd-"));
try {
  const bundles = {};
  for (const w of ["ours", "anchor"]) bundles[w] = await bundle(w, path.join(tmp, w));
  // One throw-away instance first: miniflare's own first-use costs are not the worker's.
  await once(bundles.ours.scriptPath, VARIANTS[0]);
  const samples = Object.fromEntries(VARIANTS.map((v) => [v.name, []]));
  for (let i = 0; i < runs; i++) {
    const order = VARIANTS.map((_, k) => VARIANTS[(k + i) % VARIANTS.length]);
    for (const v of order) samples[v.name].push(await once(bundles[v.worker].scriptPath, v));
  }
  report({ samples, bundleSizes: Object.fromEntries(Object.entries(bundles).map(([k, b]) => [k, b.sizes])) });
} finally {
  await rm(tmp, { recursive: true, force: true });
}
