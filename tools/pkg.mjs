// The JavaScript half of `make pkg`, run on pkg/ after wasm-bindgen, wasm-opt
// and the copy of pkg-template/ (see the Makefile):
//
// 1. wasm-bindgen's glue (edge_auth.js) loses its `instanceof` checks of
//    platform objects, which fail across realms (pkg-template/realm.js);
// 2. the inline entry's wasm text, edge_auth_wasm.js and .cjs
//    (pkg-template/wasm_text.js), checked to decode to the .wasm;
// 3. the ES modules minified for whitespace and syntax only (identifiers
//    kept, so stack traces still name functions);
// 4. edge_auth.cjs: those modules bundled as CommonJS, for node.cjs and
//    browser.cjs (the "require" entries);
// 5. index.d.cts: the declarations for CommonJS importers, generated from
//    index.d.ts so that there is one hand-kept copy;
// 6. edge_auth.js: the modules every ES entry loads (the glue, realm.js,
//    auth_error.js, load.js, api.js, api_fetch.js) as one file, which
//    gzips 1.2 KB smaller than they do one by one; the entries and the
//    other shared modules import it instead;
// 7. each entry esbuild can parse with what only it loads (broker.js in
//    workerd.js, wasm_text.js in browser.js, redis.js in node.js) in the
//    same file, for the same reason: less to gzip on its own.
//
//   node tools/pkg.mjs [pkg-dir]
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PKG = path.resolve(process.argv[2] ?? path.join(ROOT, "pkg"));
const at = (name) => path.join(PKG, name);
const esbuild = await import(pathToFileURL(path.join(ROOT, "node_modules/esbuild/lib/main.js")).href);

// The modules every entry shares.
const SHARED = ["edge_auth.js", "api.js", "api_fetch.js", "auth_error.js", "load.js", "realm.js", "wasm_text.js", "redis.js", "broker.js"];
// What is minified: those and the entries, but deno.js (`import source`,
// which esbuild does not parse) and bun.js (kept as written, its import
// attribute untouched). Whitespace and syntax only, so stack traces still
// name functions; but wasm-bindgen's glue, whose names nobody debugs by, is
// minified fully (about -0.5 KB gzipped).
const MINIFIED = [...SHARED.filter((name) => name !== "edge_auth.js"), "workerd.js", "edge-light.js", "node.js", "browser.js", "streaming.js"];

// --- 1. realm-safe glue ------------------------------------------------------

// The loader's checks are always there: that rewrite must match, so that a
// wasm-bindgen upgrade that changes the glue fails the build here. The
// others rewrite JsCast::dyn_into / dyn_ref checks (__wbg_instanceof_*),
// which appear only while the Rust shell uses them; whatever instanceof is
// left after all of them fails the build below.
const REWRITES = [
  [/\b(\w+) instanceof Object\b/g, (_, v) => `(${v} !== null && (typeof ${v} === "object" || typeof ${v} === "function"))`, false],
  [/\b(\w+) instanceof Uint8Array\b/g, (_, v) => `isBytes(${v})`, false],
  [/\b(\w+) instanceof (Promise|WebAssembly\.Module|WebAssembly\.Instance|Response|Request|URL)\b/g, (_, v, tag) => `isA(${v}, "${tag}")`, true],
];

function realmSafeGlue() {
  let glue = readFileSync(at("edge_auth.js"), "utf8");
  for (const [pattern, replace, required] of REWRITES) {
    if (required && !pattern.test(glue)) throw new Error(`tools/pkg.mjs: wasm-bindgen's glue has no match for ${pattern}: update REWRITES for this wasm-bindgen version`);
    glue = glue.replace(pattern, replace);
  }
  const left = glue.split("\n").filter((line) => /\binstanceof\b/.test(line));
  if (left.length) throw new Error(`tools/pkg.mjs: instanceof left in edge_auth.js (not realm-safe):\n${left.join("\n")}`);
  if (/import\.meta/.test(glue)) throw new Error("tools/pkg.mjs: edge_auth.js mentions import.meta (wasm-bindgen needs --omit-default-module-path)");
  writeFileSync(at("edge_auth.js"), `import { isA, isBytes } from "./realm.js";\n${glue}`);
}

// --- 2. the inline wasm --------------------------------------------------------

// The 91 characters written as themselves: "#".."~" without "\".
const DIRECT = [];
for (let c = 0x23; c <= 0x7e; c++) if (c !== 0x5c) DIRECT.push(c);

/** The text form of `bytes` (the scheme is described in pkg-template/wasm_text.js). */
function encodeWasmText(bytes) {
  const out = [];
  for (const b of bytes) {
    const v = (b + 64) & 255;
    if (v >= 0x23 && v <= 0x7e && v !== 0x5c) {
      out.push(v);
      continue;
    }
    const index = v < 0x23 ? v : v === 0x5c ? 35 : 36 + v - 0x7f;
    out.push(index < 91 ? 0x20 : 0x21, DIRECT[index % 91]);
  }
  return Buffer.from(out).toString("latin1");
}

async function inlineWasm() {
  const wasm = readFileSync(at("edge_auth_bg.wasm"));
  const text = encodeWasmText(wasm);
  const { decodeWasmText } = await import(pathToFileURL(path.join(ROOT, "pkg-template/wasm_text.js")).href);
  if (!Buffer.from(decodeWasmText(text, wasm.length)).equals(wasm)) throw new Error("tools/pkg.mjs: the inline wasm text does not decode to edge_auth_bg.wasm");
  const note = "// Written by make pkg (tools/pkg.mjs): edge_auth_bg.wasm as text, for the inline entries (see wasm_text.js).\n";
  writeFileSync(at("edge_auth_wasm.js"), `${note}export const wasmLength = ${wasm.length};\nexport const wasmText = "${text}";\n`);
  writeFileSync(at("edge_auth_wasm.cjs"), `"use strict";\n${note}exports.wasmLength = ${wasm.length};\nexports.wasmText = "${text}";\n`);
}

// --- 3 and 4. minified modules, and their CommonJS bundle ----------------------------

const MINIFY = { minifyWhitespace: true, minifySyntax: true, logLevel: "warning" };

async function minifyShared() {
  await esbuild.build({ entryPoints: MINIFIED.map(at), outdir: PKG, allowOverwrite: true, format: "esm", ...MINIFY });
  await esbuild.build({ entryPoints: [at("edge_auth.js")], outdir: PKG, allowOverwrite: true, format: "esm", minify: true, logLevel: "warning" });
}

async function commonJsBundle() {
  await esbuild.build({
    stdin: {
      contents: [
        'export { start } from "./load.js";',
        'export { AuthClient, denoKvStore } from "./api.js";',
        'export { redisStore } from "./redis.js";',
        'export { AuthError } from "./auth_error.js";',
        'export { decodeWasmText } from "./wasm_text.js";',
      ].join("\n"),
      resolveDir: PKG,
      sourcefile: "edge_auth.cjs (entry)",
    },
    bundle: true,
    format: "cjs",
    platform: "neutral",
    target: "es2022",
    outfile: at("edge_auth.cjs"),
    banner: { js: "// Written by make pkg (tools/pkg.mjs): the package's ES modules bundled as CommonJS, for node.cjs and browser.cjs." },
    ...MINIFY,
  });
}

// --- 5. CommonJS declarations ------------------------------------------------

function commonJsDeclarations() {
  const dts = readFileSync(at("index.d.ts"), "utf8");
  writeFileSync(at("index.d.cts"), `// Written by make pkg from index.d.ts: the same declarations, for CommonJS importers (require).\n${dts}`);
}

// --- 6. one module for what every ES entry loads ------------------------------

const MERGED = ["realm.js", "auth_error.js", "load.js", "api.js", "api_fetch.js"];

async function mergeShared() {
  // Bundled from the modules as minified above: identifiers kept, but the
  // glue's (minified already); esbuild renames a top-level name only where
  // two modules share it.
  await esbuild.build({
    stdin: {
      contents: ["edge_auth.js", ...MERGED].map((name) => `export * from "./${name}";`).join("\n"),
      resolveDir: PKG,
      sourcefile: "edge_auth.js (entry)",
    },
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    outfile: at("edge_auth.merged.js"),
    ...MINIFY,
  });
  renameSync(at("edge_auth.merged.js"), at("edge_auth.js"));
  for (const name of MERGED) rmSync(at(name));
  // Every module left that imports one of them imports edge_auth.js instead.
  const merged = new RegExp(`(["'])\\./(?:${MERGED.map((n) => n.replace(".", "\\.")).join("|")})\\1`, "g");
  // (The inline wasm's text aside: it is data.)
  const modules = readdirSync(PKG).filter((f) => f.endsWith(".js") && f !== "edge_auth_wasm.js");
  for (const name of modules.filter((f) => f !== "edge_auth.js")) {
    const code = readFileSync(at(name), "utf8");
    const rewritten = code.replace(merged, '"./edge_auth.js"');
    if (rewritten !== code) writeFileSync(at(name), rewritten);
  }
  const left = modules.filter((f) => MERGED.some((m) => readFileSync(at(f), "utf8").includes(`./${m}`)));
  if (left.length) throw new Error(`tools/pkg.mjs: ${left.join(", ")} still name a merged module`);
}

// --- 7. each entry with what only it loads -------------------------------------

// Not inlined: the shared module, the .wasm and its text, Node's modules.
const KEPT_APART = /(^|\/)edge_auth\.js$|\.wasm(\?module)?$|(^|\/)edge_auth_wasm\.js$|^node:/;

async function inlineEntries() {
  const apart = { name: "kept-apart", setup: (build) => build.onResolve({ filter: KEPT_APART }, (a) => ({ path: a.path, external: true })) };
  // (The other entries load nothing of their own; deno.js and bun.js are kept as written.)
  const entries = ["workerd.js", "node.js", "browser.js"];
  await esbuild.build({ entryPoints: entries.map(at), outdir: PKG, allowOverwrite: true, bundle: true, format: "esm", platform: "neutral", plugins: [apart], ...MINIFY });
}

realmSafeGlue();
await inlineWasm();
await minifyShared();
await commonJsBundle();
commonJsDeclarations();
await mergeShared();
await inlineEntries();
