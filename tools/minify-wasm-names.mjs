// Shortens the names the wasm and its wasm-bindgen glue share: every import
// (`__wbg_provider_3c5d…`, with a hash no compressor can shrink) and export
// (`wasm_bindgen__convert__closures_____invoke__h18d1…`) gets a name of two
// or three characters, in the .wasm's import and export sections and in the
// glue alike. Nothing else in either file changes. It pays 4 KB of the
// gzipped package (docs/TESTING.md, the size budget).
//
//   node tools/minify-wasm-names.mjs pkg/edge_auth_bg.wasm pkg/edge_auth.js [names.json]
//
// `memory` and `__wbindgen_externrefs` keep their names (the benchmarks read
// them). names.json, if given, maps each new name back to the old one (for
// bench/lib/crossings.mjs).
import { readFileSync, writeFileSync } from "node:fs";

const [wasmPath, jsPath, mapPath] = process.argv.slice(2);
if (!wasmPath || !jsPath) throw new Error("usage: minify-wasm-names.mjs WASM GLUE_JS [NAMES_JSON]");
const KEEP = new Set(["memory", "__wbindgen_externrefs"]);

const wasm = readFileSync(wasmPath);
let js = readFileSync(jsPath, "utf8");

// --- reading and writing the binary format -------------------------------------------
function readU32(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++];
    value |= (b & 0x7f) << shift;
    if (!(b & 0x80)) return [value >>> 0, at];
    shift += 7;
  }
}
function u32(value) {
  const out = [];
  do {
    let b = value & 0x7f;
    value >>>= 7;
    if (value) b |= 0x80;
    out.push(b);
  } while (value);
  return Buffer.from(out);
}
function readName(buf, at) {
  const [len, start] = readU32(buf, at);
  return [buf.subarray(start, start + len).toString("utf8"), start + len];
}
const name = (s) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s, "utf8")]);
/** Skips a `limits` (table or memory). */
function skipLimits(buf, at) {
  const flags = buf[at++];
  [, at] = readU32(buf, at);
  if (flags & 1) [, at] = readU32(buf, at);
  return at;
}

// --- new names --------------------------------------------------------------------------
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const short = (prefix, i) => {
  let s = "";
  do {
    s = ALPHABET[i % ALPHABET.length] + s;
    i = Math.floor(i / ALPHABET.length);
  } while (i > 0);
  return prefix + s;
};
const identifier = (s) => new RegExp(`(?<![\\w$])${s.replace(/[$.]/g, "\\$&")}(?![\\w$])`, "g");
const renamed = new Map(); // old → new
const claim = (old, fresh) => {
  if (identifier(fresh).test(js)) throw new Error(`${fresh} already occurs in ${jsPath}`);
  renamed.set(old, fresh);
  return fresh;
};

// --- the sections --------------------------------------------------------------------------
const MODULE = "./edge_auth_bg.js";
const sections = [];
let at = 8;
let imports = 0;
let exports = 0;
while (at < wasm.length) {
  const id = wasm[at];
  const [size, start] = readU32(wasm, at + 1);
  const end = start + size;
  let body = wasm.subarray(start, end);
  if (id === 2) {
    // import: module name, field name, description
    const parts = [];
    let [count, p] = readU32(wasm, start);
    parts.push(u32(count));
    for (let i = 0; i < count; i++) {
      let module;
      let field;
      [module, p] = readName(wasm, p);
      [field, p] = readName(wasm, p);
      const descStart = p;
      const kind = wasm[p++];
      if (kind === 0x00) [, p] = readU32(wasm, p); // function: type index
      else if (kind === 0x01) p = skipLimits(wasm, p + 1); // table: reftype, limits
      else if (kind === 0x02) p = skipLimits(wasm, p); // memory
      else if (kind === 0x03) p += 2; // global: valtype, mutability
      else if (kind === 0x04) [, p] = readU32(wasm, p + 1); // tag
      else throw new Error(`import kind ${kind}`);
      if (module !== MODULE) throw new Error(`an import from ${module}: only ${MODULE} is expected`);
      const fresh = renamed.get(field) ?? claim(field, short("$", imports++));
      parts.push(name("a"), name(fresh), wasm.subarray(descStart, p));
    }
    body = Buffer.concat(parts);
  } else if (id === 7) {
    const parts = [];
    let [count, p] = readU32(wasm, start);
    parts.push(u32(count));
    for (let i = 0; i < count; i++) {
      let field;
      [field, p] = readName(wasm, p);
      const descStart = p;
      p += 1;
      [, p] = readU32(wasm, p);
      const fresh = KEEP.has(field) ? field : claim(field, short("_", exports++));
      parts.push(name(fresh), wasm.subarray(descStart, p));
    }
    body = Buffer.concat(parts);
  }
  sections.push(Buffer.from([id]), u32(body.length), body);
  at = end;
}

// --- the glue -----------------------------------------------------------------------------------
const quotedModule = JSON.stringify(MODULE);
if (js.split(quotedModule).length !== 2) throw new Error(`${jsPath} names ${quotedModule} other than once`);
js = js.replace(quotedModule, "a");
const exported = new Set();
for (const [old, fresh] of renamed) {
  if (fresh.startsWith("_")) exported.add(old);
}
for (const [old, fresh] of renamed) {
  // An import is a key of the imports object; an export is read as `wasm.NAME`,
  // and a closure's invoke export also names the JS function that calls it.
  // (Other exports may share their name with the glue's own exports, such as
  // isLoopbackHost, which keep theirs.)
  const viaWasm = exported.has(old) && !old.startsWith("wasm_bindgen__convert__closures");
  const pattern = identifier(viaWasm ? `wasm.${old}` : old);
  // Every import is defined there; an export may go unused.
  if (!exported.has(old) && !pattern.test(js)) throw new Error(`${old} does not occur in ${jsPath}`);
  js = js.replace(identifier(viaWasm ? `wasm.${old}` : old), viaWasm ? `wasm.${fresh}` : fresh);
}

writeFileSync(wasmPath, Buffer.concat([wasm.subarray(0, 8), ...sections]));
writeFileSync(jsPath, js);
if (mapPath) writeFileSync(mapPath, JSON.stringify(Object.fromEntries([...renamed].map(([o, n]) => [n, o])), null, 1));
console.log(`${renamed.size} names shortened (${imports} imports, ${exports} exports)`);
