// What every runtime entry shares (docs/API.md §1): instantiate the wasm once
// from what the entry has (a compiled module, or its bytes), and, when that
// cannot work here, an error that names the entry, the runtime and the fix
// instead of a 404, `invalid method` or `magic word` from deep inside.
// (The streaming entry's fetch and compile are in streaming.js: only it pays for them.)

import { initSync } from "./edge_auth.js";
import { AuthError, describeError } from "./auth_error.js";
import { isA, isBytes } from "./realm.js";

/** The runtime, for people: "Node 20.19.0", "Deno 2.1.4", "Cloudflare Workers", … */
export function runtimeName() {
  try {
    const g = globalThis;
    if (typeof g.Deno?.version?.deno === "string") return `Deno ${g.Deno.version.deno}`;
    if (typeof g.Bun?.version === "string") return `Bun ${g.Bun.version}`;
    if (typeof g.EdgeRuntime === "string") return `an edge runtime (EdgeRuntime "${g.EdgeRuntime}")`;
    if (g.navigator?.userAgent === "Cloudflare-Workers") return "Cloudflare Workers";
    if (typeof g.process?.versions?.node === "string") return `Node ${g.process.versions.node}`;
    if (typeof g.navigator?.userAgent === "string") return g.navigator.userAgent;
  } catch {
    // A throwing getter: unknown.
  }
  return "an unknown JavaScript runtime";
}

/** The AuthError for an entry that cannot start: what went wrong, where, and what to do. */
export function loadError(entry, problem, fix, cause) {
  const error = new AuthError(
    "invalid_config",
    `edge-auth's "${entry}" entry cannot start in ${runtimeName()}: ${problem}. Fix: ${fix}`,
  );
  if (cause !== undefined) error.cause = cause;
  return error;
}

/** What a value is, for a message. */
function kindOf(value) {
  if (value === null) return "null";
  if (typeof value === "string") return `the string "${value.length > 80 ? `${value.slice(0, 80)}…` : value}"`;
  if (typeof value !== "object" && typeof value !== "function") return String(value);
  return Object.prototype.toString.call(value).slice(8, -1);
}

/**
 * Instantiates the wasm from `getWasm()` (a WebAssembly.Module from any
 * realm, or the bytes of the .wasm), synchronously. `fix` is the advice
 * for this entry when that fails.
 */
export function start(entry, getWasm, fix) {
  requireWebAssembly(entry);
  let wasm;
  try {
    wasm = getWasm();
  } catch (error) {
    throw loadError(entry, `the .wasm could not be loaded (${describeError(error)})`, fix, error);
  }
  if (!isA(wasm, "WebAssembly.Module") && !isBytes(wasm) && !isA(wasm, "ArrayBuffer")) {
    throw loadError(entry, `the .wasm import gave ${kindOf(wasm)}, not a WebAssembly.Module or the bytes of one`, fix);
  }
  try {
    initSync({ module: wasm });
  } catch (error) {
    throw loadError(entry, `${notOurWasm(wasm) ?? "the .wasm did not instantiate"} (${describeError(error)})`, fix, error);
  }
}

export function requireWebAssembly(entry) {
  if (typeof WebAssembly !== "object" || WebAssembly === null || typeof WebAssembly.Module !== "function") {
    throw loadError(entry, "this runtime has no WebAssembly (disabled by flags such as node --jitless, or by a policy)", "run where WebAssembly is enabled");
  }
}

/** Why bytes are not a wasm module, when they visibly are not (an HTML page, a JS file). */
export function notOurWasm(wasm) {
  if (isA(wasm, "WebAssembly.Module")) return undefined;
  const bytes = isBytes(wasm) ? wasm : new Uint8Array(wasm);
  if (bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d) return undefined;
  const head = String.fromCharCode(...bytes.subarray(0, 16)).trimStart();
  if (head.startsWith("<")) return "what arrived as the .wasm is an HTML page (a server answered the .wasm request with a page)";
  return `what arrived as the .wasm is not WebAssembly (${bytes.length} bytes that do not start with \\0asm)`;
}
