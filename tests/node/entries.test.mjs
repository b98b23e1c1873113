// The package's entries as files (docs/API.md §1): the export conditions,
// the inline wasm's text, and no instanceof of platform objects that can
// come from another realm. That every entry works where it is meant to is
// the consumer suite's job (tests/consumers/).
//
//   node --test tests/node/            (after make pkg)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PKG = path.join(ROOT, "pkg");
const pkg = JSON.parse(readFileSync(path.join(PKG, "package.json"), "utf8"));

test("every platform has its export condition, in an order that picks it", () => {
  const dot = pkg.exports["."];
  const keys = Object.keys(dot);
  assert.deepEqual(keys, ["types", "workerd", "edge-light", "bun", "deno", "node", "browser", "require", "default"]);
  assert.deepEqual(dot.types, { require: "./index.d.cts", default: "./index.d.ts" });
  assert.deepEqual(dot.node, { require: "./node.cjs", default: "./node.js" });
  assert.deepEqual(dot.browser, { require: "./browser.cjs", default: "./browser.js" });
  assert.equal(dot.default, "./browser.js", "the default is the inline entry, which needs nothing of the runtime but WebAssembly");
  assert.deepEqual(Object.keys(pkg.exports["./streaming"]), ["types", "require", "default"]);
  assert.equal(pkg.exports["./streaming"].default, "./streaming.js");
  // Tools that read no exports (Parcel by default): the module field.
  assert.equal(pkg.module, "./browser.js");
  assert.equal(pkg.main, "./node.cjs");
  for (const entry of ["workerd.js", "edge-light.js", "bun.js", "deno.js", "node.js", "node.cjs", "browser.js", "browser.cjs", "streaming.js"]) {
    assert.ok(pkg.sideEffects.includes(`./${entry}`), `${entry} is listed in sideEffects (it instantiates the wasm when imported)`);
  }
});

test("index.d.cts is index.d.ts for CommonJS importers", () => {
  const esm = readFileSync(path.join(PKG, "index.d.ts"), "utf8");
  const cjs = readFileSync(path.join(PKG, "index.d.cts"), "utf8");
  assert.equal(cjs.slice(cjs.indexOf("\n") + 1), esm);
});

test("the inline wasm text is printable ASCII without quote, backslash or line break, and decodes to the .wasm byte for byte", async () => {
  const wasm = readFileSync(path.join(PKG, "edge_auth_bg.wasm"));
  const { wasmText, wasmLength } = await import(pathToFileURL(path.join(PKG, "edge_auth_wasm.js")).href);
  const { decodeWasmText } = await import(pathToFileURL(path.join(PKG, "wasm_text.js")).href);
  assert.equal(wasmLength, wasm.length);
  assert.match(wasmText, /^[ !#-[\]-~]+$/, "only printable ASCII, no '\"' or '\\', so no bundler re-escapes it");
  assert.ok(Buffer.from(decodeWasmText(wasmText, wasmLength)).equals(wasm), "decodes to edge_auth_bg.wasm");
  assert.throws(() => decodeWasmText(wasmText.slice(0, -10), wasmLength), /damaged/, "a truncated text is refused");
  const cjs = readFileSync(path.join(PKG, "edge_auth_wasm.cjs"), "utf8");
  assert.ok(cjs.includes(`exports.wasmText = "${wasmText}";`), "the CommonJS copy holds the same text");
});

// Classes whose instances can come from another realm (an edge sandbox, a
// vm context, jsdom, an iframe): the package must not test them with instanceof.
const PLATFORM = ["WebAssembly\\.Module", "WebAssembly\\.Instance", "Uint8Array", "ArrayBuffer", "Response", "Request", "Headers", "AbortSignal", "URL", "Promise", "Object"];

test("no instanceof of a platform class in the package's JavaScript", () => {
  const pattern = new RegExp(`\\binstanceof\\s+(${PLATFORM.join("|")})\\b`, "g");
  const found = [];
  for (const file of readdirSync(PKG).filter((f) => /\.c?js$/.test(f))) {
    for (const [, cls] of readFileSync(path.join(PKG, file), "utf8").matchAll(pattern)) {
      found.push(`${file}: instanceof ${cls}`);
    }
  }
  assert.deepEqual(found, [], "use pkg-template/realm.js (isA, isBytes) instead");
});

test("wasm-bindgen's glue has no default .wasm URL (no import.meta.url a bundler would turn into an asset)", () => {
  for (const file of ["edge_auth.js", "edge_auth.cjs", "browser.js", "browser.cjs"]) {
    assert.ok(!readFileSync(path.join(PKG, file), "utf8").includes("import.meta"), `${file} does not mention import.meta`);
  }
});
