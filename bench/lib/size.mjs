// Sizes: the package's .wasm and JS glue as shipped in pkg/, raw and gzipped
// (gzip -9 via node:zlib, each file on its own, as a server or CDN sends
// them), and minified esbuild bundles (browser platform, ESM) of the anchor
// and of our own glue. Used by run.mjs and by size-budget.test.mjs.
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { gzipSync, constants } from "node:zlib";
import path from "node:path";
import { createHash } from "node:crypto";
import { PKG, ROOT } from "./common.mjs";

export const ENTRIES = ["node.js", "workerd.js", "browser.js", "deno.js"];
// The glue: every other .js file of the package (edge_auth.js, api.js,
// api_fetch.js, auth_error.js, ...), so that a new file cannot be left out.
export const glueNames = (dir = PKG) => readdirSync(dir).filter((f) => f.endsWith(".js") && !ENTRIES.includes(f)).sort();

export const gzipSize = (buf) => gzipSync(buf, { level: constants.Z_BEST_COMPRESSION }).length;

function fileSize(name, dir = PKG) {
  const file = path.join(dir, name);
  if (!existsSync(file)) throw new Error(`${file} is missing: build the package first (make pkg)`);
  const buf = readFileSync(file);
  return { name, raw: buf.length, gzip: gzipSize(buf) };
}

/**
 * The package as shipped: wasm + glue (every .js file but the entries)
 * + the largest runtime entry (a runtime loads exactly one entry).
 */
export function packageSize(dir = PKG) {
  const wasm = fileSize("edge_auth_bg.wasm", dir);
  const glueFiles = glueNames(dir).map((f) => fileSize(f, dir));
  const entries = ENTRIES.map((f) => fileSize(f, dir));
  const entry = entries.reduce((a, b) => (b.gzip > a.gzip ? b : a));
  const glue = [...glueFiles, entry];
  const sum = (xs, k) => xs.reduce((t, x) => t + x[k], 0);
  const glueRaw = sum(glue, "raw");
  const glueGzip = sum(glue, "gzip");
  const wasmHash = createHash("sha256").update(readFileSync(path.join(dir, "edge_auth_bg.wasm"))).digest("hex").slice(0, 12);
  return {
    wasm,
    wasmHash,
    glueFiles: glue,
    entries,
    glue: { raw: glueRaw, gzip: glueGzip },
    total: { raw: wasm.raw + glueRaw, gzip: wasm.gzip + glueGzip },
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

/** Our JS glue minified the same way (browser entry; the .wasm stays a separate file). */
export function oursMinifiedGlue(dir = PKG) {
  return esbuildBundle({
    entryPoints: [path.join(dir, "browser.js")],
    outdir: path.join(ROOT, "bench/out/esbuild-scratch"),
    loader: { ".wasm": "file" },
  });
}

export function anchorVersion() {
  return JSON.parse(readFileSync(path.join(ROOT, "node_modules/@badgateway/oauth2-client/package.json"), "utf8")).version;
}
