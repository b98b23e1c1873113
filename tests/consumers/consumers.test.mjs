// The consumer suite: edge-auth as a user gets it. `npm pack` of pkg/, the
// tarball installed by npm (a copy, not a symlink) into one real project
// per consumer (the examples/ and tests/consumers/projects/), built with
// the consumer's own tool at its default configuration, run offline against
// the vendor emulator, and checked: a token, a client.fetch the API answered
// 200 with that token as the Authorization header, and AuthError
// "invalid_credentials" for a wrong secret, each also in the emulator's
// own record. Then the places the package cannot work, where it must say
// which entry, which runtime and what to do. README.md beside this file
// lists every consumer.
//
//   make test-consumers        (installs the tools of tests/consumers/package.json first)
//
// One consumer at a time, in this order; every server on loopback, every
// port from the OS.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Miniflare } from "miniflare";
import { launchChromium } from "../lib/chromium.mjs";
import { startStaticServer } from "../lib/static-server.mjs";
import { bundleWorker, compatDate, workerOptions, workerGet, LOOPBACK_ONLY } from "../lib/workerd.mjs";
import { startEmulator } from "../emulator/server.mjs";
import {
  BUN, DENO, HERE, NODE20, NODE22, ROOT, bin, checkLoadError, checkProbe, checkReport, exec, freePort, makeProject, mustRun,
  packPackage, reportFromLines, resultLine, startServer, tail,
} from "./lib.mjs";

const EXAMPLES = path.join(ROOT, "examples");
const PROJECTS = path.join(HERE, "projects");
const PAGE_TIMEOUT_MS = 30_000;

let emulator;
let tarball;
let browser;

before(async () => {
  for (const [what, file] of Object.entries({ ...bin, bun: BUN, node22: NODE22, deno: DENO })) {
    assert.ok(existsSync(file), `${what} is installed (${file}); run \`make test-consumers\`, which installs tests/consumers/package.json`);
  }
  emulator = await startEmulator();
  tarball = await packPackage();
});

after(async () => {
  await browser?.close().catch(() => {});
  await emulator?.close();
});

let namespaces = 0;
/** A fresh emulator namespace for one consumer. */
const baseFor = (name) => `${emulator.url}/t/consumer-${name.replace(/[^\w-]/g, "-")}-${++namespaces}`;

/** Runs `url` in a fresh Chromium page and waits for what the page leaves: `window.__probe`, or the example's #result. */
async function inChromium(url, { want = "probe" } = {}) {
  browser ??= await launchChromium(60_000);
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (msg) => msg.type() === "error" && problems.push(`console.error: ${msg.text()}`));
  try {
    await page.goto(url, { waitUntil: "load", timeout: PAGE_TIMEOUT_MS });
    try {
      if (want === "errors") {
        await page.waitForFunction(() => false, null, { timeout: 3000 }).catch(() => {});
        return { problems };
      }
      if (want === "report") {
        await page.waitForFunction(() => !/^working/.test(document.querySelector("#result")?.textContent ?? "working"), null, { timeout: PAGE_TIMEOUT_MS });
        const text = await page.evaluate(() => document.querySelector("#result").textContent);
        assert.ok(!text.startsWith("failed"), `the page says: ${text}\n${problems.join("\n")}`);
        return { report: JSON.parse(text), problems };
      }
      await page.waitForFunction(() => window.__probe !== undefined, null, { timeout: PAGE_TIMEOUT_MS });
      return { result: await page.evaluate(() => window.__probe), problems };
    } catch (error) {
      if (error.name !== "TimeoutError") throw error;
      throw new Error(`the page at ${url} left no result: ${problems.join("\n") || "(no error in the page)"}`);
    }
  } finally {
    await context.close();
  }
}

/** Serves `dir` and runs its index.html (with ?baseUrl=) in Chromium. */
async function servedInChromium(dir, base, options) {
  const server = await startStaticServer(dir, options?.fallback ? { fallback: options.fallback } : undefined);
  try {
    return await inChromium(`http://127.0.0.1:${server.address().port}/${options?.page ?? "index.html"}?baseUrl=${encodeURIComponent(base)}`, options);
  } finally {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
}

const html = (script, { module = false } = {}) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>edge-auth consumer</title></head><body><script ${module ? 'type="module" ' : ""}src="${script}"></script></body></html>\n`;

const T = (ms) => ({ timeout: ms });

// ---------------------------------------------------------------------------
// Node, Bun, Deno

test("Node 20, ESM: examples/node", T(60_000), async () => {
  const dir = await makeProject("node20-esm", tarball, { from: path.join(EXAMPLES, "node") });
  const base = baseFor("node20");
  const version = (await mustRun(NODE20, ["--version"])).stdout.trim();
  assert.match(version, /^v2\d\./, "a Node 20 or later on PATH");
  const r = await mustRun(NODE20, ["main.js"], { cwd: dir, env: { EDGE_AUTH_BASE_URL: base } });
  await checkReport(reportFromLines(r.stdout), base);
});

test("Node 20, require() with no require(esm), as in Node 20.0–20.18 (Jest, CommonJS projects)", T(60_000), async () => {
  const dir = await makeProject("node20-require", tarball, { from: path.join(PROJECTS, "node-require"), probeCjs: "probe.cjs" });
  const base = baseFor("node20-require");
  const r = await mustRun(NODE20, ["--no-experimental-require-module", "main.cjs"], { cwd: dir, env: { EDGE_AUTH_BASE_URL: base } });
  assert.match(r.stdout, /^RESOLVED .*node_modules\/edge-auth\/node\.cjs$/m, "require() resolves the CommonJS entry");
  await checkProbe(resultLine(r.stdout), base);
});

test("Node 22: examples/node", T(60_000), async () => {
  const dir = await makeProject("node22", tarball, { from: path.join(EXAMPLES, "node") });
  const base = baseFor("node22");
  const r = await mustRun(NODE22, ["main.js"], { cwd: dir, env: { EDGE_AUTH_BASE_URL: base } });
  await checkReport(reportFromLines(r.stdout), base);
});

test("Bun, bun run: examples/bun", T(60_000), async () => {
  const dir = await makeProject("bun-run", tarball, { from: path.join(EXAMPLES, "bun") });
  const base = baseFor("bun-run");
  const r = await mustRun(BUN, ["main.js"], { cwd: dir, env: { EDGE_AUTH_BASE_URL: base } });
  await checkReport(reportFromLines(r.stdout), base);
});

test("Bun, bun build --compile and bun build --target=bun: examples/bun, run elsewhere without node_modules", T(120_000), async () => {
  const dir = await makeProject("bun-build", tarball, { from: path.join(EXAMPLES, "bun") });
  await mustRun(BUN, ["build", "--compile", "main.js", "--outfile", "edge-auth-example"], { cwd: dir });
  await mustRun(BUN, ["build", "--target=bun", "main.js", "--outdir", "out"], { cwd: dir });
  rmSync(path.join(dir, "node_modules"), { recursive: true }); // what was built must carry the wasm
  const elsewhere = mkdtempSync(path.join(os.tmpdir(), "edge-auth-bun-"));
  try {
    const compiled = baseFor("bun-compile");
    const r1 = await mustRun(path.join(dir, "edge-auth-example"), [], { cwd: elsewhere, env: { EDGE_AUTH_BASE_URL: compiled } });
    await checkReport(reportFromLines(r1.stdout), compiled);
    const bundled = baseFor("bun-target-bun");
    const r2 = await mustRun(BUN, [path.join(dir, "out/main.js")], { cwd: elsewhere, env: { EDGE_AUTH_BASE_URL: bundled } });
    await checkReport(reportFromLines(r2.stdout), bundled);
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test("Deno: examples/deno (only --allow-net and --allow-env)", T(60_000), async () => {
  const dir = await makeProject("deno", tarball, { from: path.join(EXAMPLES, "deno") });
  const base = baseFor("deno");
  const task = JSON.parse(readFileSync(path.join(dir, "deno.json"), "utf8")).tasks.start.split(" ");
  assert.deepEqual(task.slice(0, 2), ["deno", "run"]);
  assert.ok(!task.some((a) => a.startsWith("--allow-read") || a === "-A"), "the task needs no read permission");
  const r = await mustRun(DENO, task.slice(1), { cwd: dir, env: { EDGE_AUTH_BASE_URL: base } });
  await checkReport(reportFromLines(r.stdout), base);
});

// ---------------------------------------------------------------------------
// Edge platforms

test("Cloudflare Workers: examples/cloudflare-worker bundled by wrangler, run by miniflare with its KV binding", T(180_000), async () => {
  const dir = await makeProject("wrangler", tarball, { from: path.join(EXAMPLES, "cloudflare-worker") });
  const base = baseFor("wrangler");
  const toml = path.join(dir, "wrangler.toml");
  const { scriptPath } = await bundleWorker(toml, path.join(dir, "dist"));
  const mf = new Miniflare({
    ...LOOPBACK_ONLY,
    ...workerOptions(scriptPath, compatDate(toml)),
    kvNamespaces: ["TOKENS"],
    bindings: { EDGE_AUTH_BASE_URL: base, CLIENT_ID: "demo-oauth2-client", CLIENT_SECRET: "demo-oauth2-secret" },
  });
  try {
    const r = await workerGet(mf, "/", 30_000);
    assert.equal(r.status, 200, r.text);
    await checkReport(r.body, base);
    const kv = await mf.getKVNamespace("TOKENS");
    const keys = (await kv.list()).keys.map((k) => k.name);
    assert.ok(keys.some((k) => /^edge-auth:v\d+:/.test(k)), `the token was shared through the KV binding (keys: ${keys.join(", ") || "none"})`);
  } finally {
    await mf.dispose();
  }
});

for (const [bundler, flag] of [["Turbopack", []], ["webpack", ["--webpack"]]]) {
  test(`Next.js 16 edge route, next build (${bundler}) + next start: examples/nextjs-edge`, T(300_000), async () => {
    const dir = await makeProject(`nextjs-${bundler.toLowerCase()}`, tarball, { from: path.join(EXAMPLES, "nextjs-edge") });
    const base = baseFor(`nextjs-${bundler}`);
    const build = await mustRun(NODE20, [bin.next, "build", ...flag], { cwd: dir, timeout: 240_000 });
    assert.match(build.stdout, /\/api\/token/, "the route was built");
    assert.ok(wasmFilesUnder(path.join(dir, ".next/server")).length > 0, "the edge route carries the package's .wasm as a module (the edge-light entry)");
    const port = await freePort();
    const server = await startServer(NODE20, [bin.next, "start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: dir,
      env: { EDGE_AUTH_BASE_URL: base },
      ready: /Ready in|started server|Local:/i,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/token`);
      const text = await res.text();
      assert.equal(res.status, 200, `GET /api/token: ${text}\n${tail(server.output())}`);
      await checkReport(JSON.parse(text), base);
    } finally {
      await server.stop();
    }
  });
}

function wasmFilesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith(".wasm"));
}

for (const bundler of ["esbuild", "webpack"]) {
  test(`Vercel Edge Runtime (edge-runtime 4): an edge function bundled by ${bundler}`, T(120_000), async () => {
    const dir = await makeProject(`edge-runtime-${bundler}`, tarball, { from: path.join(PROJECTS, "edge-runtime"), probe: "src/probe.js" });
    const base = baseFor(`edge-runtime-${bundler}`);
    if (bundler === "esbuild") await mustRun(bin.esbuild, ["src/worker.js", "--bundle", "--outfile=dist/main.js", "--log-level=warning"], { cwd: dir });
    else await mustRun(NODE20, [bin.webpack, "--mode", "production", "--entry", "./src/worker.js", "--target", "webworker"], { cwd: dir });
    const r = await mustRun(NODE20, ["run.mjs", "dist/main.js", base], { cwd: dir });
    await checkProbe(resultLine(r.stdout), base);
  });
}

// ---------------------------------------------------------------------------
// Bundlers, in Chromium

for (const vite of ["vite5", "vite6", "vite7", "vite8"]) {
  test(`Vite ${vite.slice(4)}, default config: examples/vite built + vite preview, and the dev server, in Chromium`, T(180_000), async () => {
    const dir = await makeProject(vite, tarball, { from: path.join(EXAMPLES, "vite") });
    await mustRun(NODE20, [bin[vite], "build"], { cwd: dir });
    for (const mode of ["preview", "dev"]) {
      const base = baseFor(`${vite}-${mode}`);
      const port = await freePort();
      const args = mode === "preview" ? ["preview"] : [];
      const server = await startServer(NODE20, [bin[vite], ...args, "--port", String(port), "--strictPort", "--host", "127.0.0.1"], {
        cwd: dir,
        ready: new RegExp(`http://127\\.0\\.0\\.1:${port}/`),
      });
      try {
        const { report } = await inChromium(`http://127.0.0.1:${port}/?baseUrl=${encodeURIComponent(base)}`, { want: "report" });
        await checkReport(report, base);
      } catch (error) {
        error.message += `\n--- vite ${mode} output\n${tail(server.output())}`;
        throw error;
      } finally {
        await server.stop();
      }
    }
  });
}

test("webpack 5, default config (webpack --mode production), in Chromium", T(120_000), async () => {
  const dir = await makeProject("webpack", tarball, { from: path.join(PROJECTS, "browser-page"), probe: "src/probe.js" });
  await mustRun(NODE20, [bin.webpack, "--mode", "production"], { cwd: dir });
  writeFileSync(path.join(dir, "dist/index.html"), html("main.js"));
  const base = baseFor("webpack");
  await checkProbe((await servedInChromium(path.join(dir, "dist"), base)).result, base);
});

test("Rollup + @rollup/plugin-node-resolve, in Chromium", T(120_000), async () => {
  const dir = await makeProject("rollup", tarball, {
    from: path.join(PROJECTS, "browser-page"),
    probe: "src/probe.js",
    files: {
      "rollup.config.mjs":
        'import { nodeResolve } from "@rollup/plugin-node-resolve";\nexport default { input: "src/index.js", output: { file: "dist/bundle.js", format: "es" }, plugins: [nodeResolve()] };\n',
    },
  });
  await mustRun(NODE20, [bin.rollup, "-c"], { cwd: dir });
  writeFileSync(path.join(dir, "dist/index.html"), html("bundle.js", { module: true }));
  const base = baseFor("rollup");
  await checkProbe((await servedInChromium(path.join(dir, "dist"), base)).result, base);
});

for (const [format, args] of [["esm", ["--format=esm"]], ["iife (the default), --target=es2020", ["--target=es2020"]]]) {
  test(`esbuild --bundle, ${format}, in Chromium`, T(60_000), async () => {
    const name = `esbuild-${format.split(" ")[0]}`;
    const dir = await makeProject(name, tarball, { from: path.join(PROJECTS, "browser-page"), probe: "src/probe.js" });
    await mustRun(bin.esbuild, ["src/index.js", "--bundle", "--outfile=dist/app.js", "--log-level=warning", ...args], { cwd: dir });
    writeFileSync(path.join(dir, "dist/index.html"), html("app.js", { module: format === "esm" }));
    const base = baseFor(name);
    await checkProbe((await servedInChromium(path.join(dir, "dist"), base)).result, base);
  });
}

test("Parcel 2, default config (parcel build index.html), in Chromium", T(240_000), async () => {
  const dir = await makeProject("parcel", tarball, { from: path.join(PROJECTS, "browser-page"), probe: "src/probe.js" });
  await mustRun(NODE20, [bin.parcel, "build", "index.html", "--no-autoinstall", "--cache-dir", ".parcel-cache"], { cwd: dir, timeout: 200_000 });
  const base = baseFor("parcel");
  await checkProbe((await servedInChromium(path.join(dir, "dist"), base)).result, base);
});

// edge-auth/streaming (the .wasm as its own file, compiled while it downloads) where it works as it is.
test("edge-auth/streaming, webpack 5, default config, in Chromium", T(120_000), async () => {
  const dir = await makeProject("streaming-webpack", tarball, { from: path.join(PROJECTS, "browser-page"), probe: "src/probe.js", probeImports: "edge-auth/streaming" });
  await mustRun(NODE20, [bin.webpack, "--mode", "production"], { cwd: dir });
  assert.ok(readdirSync(path.join(dir, "dist")).some((f) => f.endsWith(".wasm")), "webpack emitted the .wasm");
  writeFileSync(path.join(dir, "dist/index.html"), html("main.js"));
  const base = baseFor("streaming-webpack");
  await checkProbe((await servedInChromium(path.join(dir, "dist"), base)).result, base);
});

test("edge-auth/streaming, Vite 8, default config: build + vite preview, and the dev server, in Chromium", T(180_000), async () => {
  const dir = await makeProject("streaming-vite8", tarball, { from: path.join(PROJECTS, "browser-page"), probe: "src/probe.js", probeImports: "edge-auth/streaming" });
  await mustRun(NODE20, [bin.vite8, "build"], { cwd: dir });
  assert.ok(wasmFilesUnder(path.join(dir, "dist")).length > 0, "vite emitted the .wasm");
  for (const mode of ["preview", "dev"]) {
    const base = baseFor(`streaming-vite8-${mode}`);
    const port = await freePort();
    const server = await startServer(NODE20, [bin.vite8, ...(mode === "preview" ? ["preview"] : []), "--port", String(port), "--strictPort", "--host", "127.0.0.1"], {
      cwd: dir,
      ready: new RegExp(`http://127\\.0\\.0\\.1:${port}/`),
    });
    try {
      await checkProbe((await inChromium(`http://127.0.0.1:${port}/?baseUrl=${encodeURIComponent(base)}`)).result, base);
    } finally {
      await server.stop();
    }
  }
});

for (const entry of ["browser.js", "streaming.js"]) {
  test(`an import map to node_modules/edge-auth/${entry}, no bundler, in Chromium`, T(60_000), async () => {
    const name = `import-map-${entry.split(".")[0]}`;
    const dir = await makeProject(name, tarball, { from: path.join(PROJECTS, "import-map"), probe: "probe.js" });
    const page = path.join(dir, "index.html");
    writeFileSync(page, readFileSync(page, "utf8").replace("/ENTRY", `/${entry}`));
    const base = baseFor(name);
    await checkProbe((await servedInChromium(dir, base)).result, base);
  });
}

// ---------------------------------------------------------------------------
// Test runners

for (const environment of ["node", "jsdom"]) {
  test(`Vitest 4, ${environment} environment`, T(120_000), async () => {
    const dir = await makeProject(`vitest-${environment}`, tarball, { from: path.join(PROJECTS, "vitest"), probe: "probe.js" });
    const base = baseFor(`vitest-${environment}`);
    const out = path.join(dir, "probe-result.json");
    await mustRun(NODE22, [bin.vitest, "run", "--environment", environment], { cwd: dir, env: { EDGE_AUTH_BASE_URL: base, PROBE_OUT: out } });
    const result = JSON.parse(readFileSync(out, "utf8"));
    assert.equal(result.environment, environment);
    await checkProbe(result, base);
  });
}

test("Jest 30 (CommonJS, default config)", T(120_000), async () => {
  const dir = await makeProject("jest", tarball, { from: path.join(PROJECTS, "jest"), probeCjs: "probe.cjs", packageJson: { type: "commonjs" } });
  const base = baseFor("jest");
  const out = path.join(dir, "probe-result.json");
  await mustRun(NODE20, [bin.jest, "--ci", "--testMatch", "**/*.test.cjs"], { cwd: dir, env: { EDGE_AUTH_BASE_URL: base, PROBE_OUT: out } });
  const result = JSON.parse(readFileSync(out, "utf8"));
  assert.match(result.resolved, /edge-auth\/node\.cjs$/, "Jest resolved the CommonJS entry");
  await checkProbe(result, base);
});

// ---------------------------------------------------------------------------
// TypeScript: tsc --strict with skipLibCheck off, then the output run by Node

const TS_SETUPS = [
  { name: "nodenext, @types/node", type: "module", options: { module: "nodenext", moduleResolution: "nodenext", lib: ["es2022"], types: ["node"] } },
  { name: "nodenext, no @types/node (lib dom)", type: "module", options: { module: "nodenext", moduleResolution: "nodenext", lib: ["es2022", "dom"], types: [] } },
  { name: "node16 CommonJS, @types/node", type: "commonjs", options: { module: "node16", moduleResolution: "node16", lib: ["es2022"], types: ["node"] } },
  { name: "node16 CommonJS, no @types/node (lib dom)", type: "commonjs", options: { module: "node16", moduleResolution: "node16", lib: ["es2022", "dom"], types: [] } },
  { name: "bundler, no @types/node (lib dom)", type: "module", options: { module: "esnext", moduleResolution: "bundler", lib: ["es2022", "dom"], types: [] } },
  { name: "bundler, @types/node", type: "module", options: { module: "preserve", moduleResolution: "bundler", lib: ["es2022"], types: ["node"] } },
  {
    name: "nodenext, lib esnext, `using`, exactOptionalPropertyTypes",
    type: "module",
    using: true,
    options: { module: "nodenext", moduleResolution: "nodenext", lib: ["esnext"], types: ["node"], exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true },
  },
];

for (const setup of TS_SETUPS) {
  test(`TypeScript 5.9, ${setup.name}: tsc --strict, then run`, T(120_000), async () => {
    const name = `ts-${setup.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`;
    const tsconfig = {
      compilerOptions: { target: "es2022", strict: true, skipLibCheck: false, outDir: "dist", rootDir: ".", ...setup.options },
      files: ["main.ts", ...(setup.using ? ["using.ts"] : [])],
    };
    const dir = await makeProject(name, tarball, {
      from: path.join(PROJECTS, "typescript"),
      packageJson: { type: setup.type },
      files: { "tsconfig.json": JSON.stringify(tsconfig, null, 2) },
    });
    const r = await exec(NODE20, [bin.tsc, "-p", "."], { cwd: dir });
    assert.equal(r.code, 0, `tsc failed:\n${r.output}`);
    const base = baseFor(name);
    const run = await mustRun(NODE20, ["--no-experimental-require-module", "dist/main.js"], { cwd: dir, env: { EDGE_AUTH_BASE_URL: base } });
    await checkProbe(resultLine(run.stdout), base);
  });
}

// ---------------------------------------------------------------------------
// Package linters

test("publint --strict reports nothing", T(60_000), async () => {
  const dir = await makeProject("publint", tarball, {});
  const r = await exec(NODE20, [bin.publint, "--strict", "node_modules/edge-auth"], { cwd: dir });
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /All good!/, r.output);
});

test("@arethetypeswrong/cli reports nothing (every resolution mode)", T(60_000), async () => {
  const r = await exec(NODE20, [bin.attw, tarball, "--format", "ascii"], { cwd: path.dirname(tarball) });
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /No problems found/, r.output);
});

// ---------------------------------------------------------------------------
// Where the package cannot work: an Error naming the entry, the runtime and the fix

test("no WebAssembly (node --jitless): import and require() throw an AuthError naming the entry, Node and the fix", T(60_000), async () => {
  const dir = await makeProject("no-wasm", tarball, {});
  for (const [entry, code] of [
    ["node", 'import("edge-auth").then(() => console.log("loaded"), (e) => console.log(`ERROR ${e.name} ${e.code} ${e.message}`))'],
    ["require", 'try { require("edge-auth"); console.log("loaded") } catch (e) { console.log(`ERROR ${e.name} ${e.code} ${e.message}`) }'],
  ]) {
    const r = await exec(NODE20, ["--jitless", "--no-experimental-require-module", "-e", code], { cwd: dir });
    const line = r.stdout.split("\n").find((l) => l.startsWith("ERROR ")) ?? r.output;
    assert.match(line, /^ERROR AuthError invalid_config /, line);
    checkLoadError(line, { entry, runtime: /Node \d+\./ });
    assert.match(line, /no WebAssembly/);
  }
});

test("the node entry bundled without its .wasm (esbuild --platform=node): the error names the entry, Node and the fix", T(60_000), async () => {
  const dir = await makeProject("node-bundled", tarball, { from: path.join(EXAMPLES, "node") });
  await mustRun(bin.esbuild, ["main.js", "--bundle", "--platform=node", "--format=esm", "--outfile=dist/main.mjs", "--log-level=error"], { cwd: dir });
  const r = await exec(NODE20, ["dist/main.mjs"], { cwd: dir, env: { EDGE_AUTH_BASE_URL: baseFor("node-bundled") } });
  assert.notEqual(r.code, 0);
  checkLoadError(r.stderr, { entry: "node", runtime: /Node \d+\./ });
  assert.match(r.stderr, /external/, "the fix names keeping edge-auth external");
});

test('the "workerd" entry through a bundler that gives the .wasm as a URL (esbuild --loader:.wasm=file): the error names the entry and the fix', T(60_000), async () => {
  const dir = await makeProject("workerd-elsewhere", tarball, { from: path.join(EXAMPLES, "node") });
  await mustRun(
    bin.esbuild,
    ["main.js", "--bundle", "--platform=neutral", "--conditions=workerd", "--loader:.wasm=file", "--format=esm", "--outfile=dist/main.mjs", "--external:node:*", "--log-level=error"],
    { cwd: dir },
  );
  const r = await exec(NODE20, ["dist/main.mjs"], { cwd: dir });
  assert.notEqual(r.code, 0);
  checkLoadError(r.stderr, { entry: "workerd", runtime: /Node \d+\./ });
  assert.match(r.stderr, /the string "\.\/edge_auth_bg-\w+\.wasm"/, "the error says what the bundler gave instead");
});

test("edge-auth/streaming bundled by esbuild, which does not emit the .wasm: the page's error names the entry, Chromium and the fix", T(60_000), async () => {
  const dir = await makeProject("streaming-dropped", tarball, {
    files: { "src/index.js": 'import { AuthClient } from "edge-auth/streaming";\nwindow.__probe = { loaded: typeof AuthClient };\n' },
  });
  await mustRun(bin.esbuild, ["src/index.js", "--bundle", "--format=esm", "--outfile=dist/app.js", "--log-level=error"], { cwd: dir });
  writeFileSync(path.join(dir, "dist/index.html"), html("app.js", { module: true }));
  const { problems } = await servedInChromium(path.join(dir, "dist"), baseFor("streaming-dropped"), { want: "errors" });
  const error = problems.find((p) => p.includes("edge-auth's"));
  checkLoadError(error, { entry: "streaming", runtime: /Chrome\// });
  assert.match(error, /answered 404/);
});

test("edge-auth/streaming where a server answers every path with its index page: the error says an HTML page came instead of the .wasm", T(60_000), async () => {
  const dir = await makeProject("streaming-html", tarball, {
    files: { "src/index.js": 'import { AuthClient } from "edge-auth/streaming";\nwindow.__probe = { loaded: typeof AuthClient };\n' },
  });
  await mustRun(bin.esbuild, ["src/index.js", "--bundle", "--format=esm", "--outfile=dist/app.js", "--log-level=error"], { cwd: dir });
  writeFileSync(path.join(dir, "dist/index.html"), html("app.js", { module: true }));
  const { problems } = await servedInChromium(path.join(dir, "dist"), baseFor("streaming-html"), { want: "errors", fallback: "index.html" });
  const error = problems.find((p) => p.includes("edge-auth's"));
  checkLoadError(error, { entry: "streaming", runtime: /Chrome\// });
  assert.match(error, /an HTML page/);
});
