// Sizes: what each entry of the package loads as shipped in pkg/ (its JS
// module graph, and the .wasm if it loads the file), raw and gzipped (gzip -9
// via node:zlib, each file on its own, as a server or CDN sends them), and
// minified esbuild bundles (browser platform, ESM) of the anchor and of our
// own glue. Used by run.mjs and by size-budget.test.mjs.
import { readFileSync, existsSync } from "node:fs";
import { gzipSync, constants } from "node:zlib";
import path from "node:path";
import { createHash } from "node:crypto";
import { PKG, ROOT } from "./common.mjs";

/** Every file an export of package.json points at (types aside), with the conditions that choose it. */
export function entryFiles(dir = PKG) {
  const { exports } = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
  const found = new Map(); // file -> ["." + conditions]
  const walk = (value, trail) => {
    if (typeof value === "string") {
      if (value.endsWith(".js") || value.endsWith(".cjs")) {
        const file = value.replace(/^\.\//, "");
        found.set(file, [...(found.get(file) ?? []), trail.join(" ")]);
      }
    } else if (value && typeof value === "object") {
      for (const [key, inner] of Object.entries(value)) if (key !== "types") walk(inner, [...trail, key]);
    }
  };
  for (const [subpath, value] of Object.entries(exports)) if (subpath !== "./package.json") walk(value, [subpath]);
  return [...found].map(([file, conditions]) => ({ file, conditions }));
}

// A relative module or .wasm an entry loads: "./x.js", "./edge_auth_bg.wasm?module", "edge_auth_bg.wasm" (join(__dirname, …)).
const REFERENCE = /["'`](?:\.\/)?([\w.-]+\.(?:m?js|cjs|wasm))(?:\?module)?["'`]/g;

/**
 * What a consumer of `entry` loads: its module graph (every JS file it
 * imports or requires, transitively) and, if any of them loads it, the .wasm.
 * Each file gzipped on its own, as a server sends it.
 */
export function entrySize(entry, dir = PKG) {
  const seen = new Set();
  const stack = [entry];
  let wasm = false;
  while (stack.length) {
    const name = stack.pop();
    if (seen.has(name)) continue;
    seen.add(name);
    const code = readFileSync(path.join(dir, name), "utf8").split("\n").filter((l) => !/^\s*\/\//.test(l)).join("\n");
    for (const [, ref] of code.matchAll(REFERENCE)) {
      if (!existsSync(path.join(dir, ref))) continue;
      if (ref.endsWith(".wasm")) wasm = true;
      else stack.push(ref);
    }
  }
  const js = [...seen].sort().map((f) => fileSize(f, dir));
  const files = wasm ? [fileSize("edge_auth_bg.wasm", dir), ...js] : js;
  const sum = (k) => files.reduce((t, f) => t + f[k], 0);
  return { entry, wasmFile: wasm, files, total: { raw: sum("raw"), gzip: sum("gzip") } };
}

/** entrySize() of every export, with its conditions. */
export const entrySizes = (dir = PKG) => entryFiles(dir).map(({ file, conditions }) => ({ conditions, ...entrySize(file, dir) }));

export const gzipSize = (buf) => gzipSync(buf, { level: constants.Z_BEST_COMPRESSION }).length;

function fileSize(name, dir = PKG) {
  const file = path.join(dir, name);
  if (!existsSync(file)) throw new Error(`${file} is missing: build the package first (make pkg)`);
  const buf = readFileSync(file);
  return { name, raw: buf.length, gzip: gzipSize(buf) };
}

/**
 * The package as the main entries load it (those that load the .wasm file:
 * node, workerd, deno, bun, edge-light, streaming, require): the .wasm + the
 * JS of the largest of them. `entries` has every entry, the inline ones too.
 */
export function packageSize(dir = PKG) {
  const entries = entrySizes(dir);
  const main = entries.filter((e) => e.wasmFile).reduce((a, b) => (b.total.gzip > a.total.gzip ? b : a));
  const [wasm, ...glue] = main.files;
  const sum = (xs, k) => xs.reduce((t, x) => t + x[k], 0);
  const wasmHash = createHash("sha256").update(readFileSync(path.join(dir, "edge_auth_bg.wasm"))).digest("hex").slice(0, 12);
  return {
    wasm,
    wasmHash,
    largestEntry: main.entry,
    glueFiles: glue,
    entries,
    glue: { raw: sum(glue, "raw"), gzip: sum(glue, "gzip") },
    total: main.total,
  };
}

async function esbuildBundle(options) {
  const esbuild = await import(path.join(ROOT, "node_modules/esbuild/lib/main.js"));
  const r = await (esbuild.default ?? esbuild).build({
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    ...options,
  });
  const out = r.outputFiles.find((f) => f.path.endsWith(".js") || f.path === "<stdout>");
  return { raw: out.contents.length, gzip: gzipSize(out.contents) };
}

/** The anchor as a user imports it for client_credentials: OAuth2Client + OAuth2Fetch. */
export function anchorBundle() {
  return esbuildBundle({
    stdin: {
      contents: `export { OAuth2Client, OAuth2Fetch } from "@badgateway/oauth2-client";`,
      resolveDir: ROOT,
      loader: "js",
    },
  });
}

/** Our JS glue minified the same way (streaming entry: the .wasm stays a separate file). */
export function oursMinifiedGlue(dir = PKG) {
  return esbuildBundle({
    entryPoints: [path.join(dir, "streaming.js")],
    outdir: path.join(ROOT, "bench/out/esbuild-scratch"),
    loader: { ".wasm": "file" },
  });
}

export function anchorVersion() {
  return JSON.parse(readFileSync(path.join(ROOT, "node_modules/@badgateway/oauth2-client/package.json"), "utf8")).version;
}
