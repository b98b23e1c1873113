// "edge-auth/streaming": the browser entry for those who want the .wasm as
// its own file, cached on its own and compiled while it downloads. It waits
// for the wasm with top-level await and finds it with
// new URL("./edge_auth_bg.wasm", import.meta.url), which an import map,
// webpack 5 and Vite 8 handle as they are; older Vite, Rollup and esbuild
// need configuration for one or the other. require() of this subpath gets
// browser.cjs (a CommonJS module cannot wait for the wasm).
import { AuthError, describeError } from "./auth_error.js";
import { loadError, notOurWasm, requireWebAssembly, start } from "./load.js";

/**
 * Compiles the .wasm at `url` while it downloads, then instantiates it
 * (the streaming entry).
 */
async function startStreaming(entry, url, fix) {
  requireWebAssembly(entry);
  let response;
  let bytes;
  try {
    response = await fetch(url);
    if (!response.ok) throw loadError(entry, `fetching ${url} answered ${response.status}`, fix);
    if (!/^application\/wasm\b/i.test(response.headers.get("content-type") ?? "") || typeof WebAssembly.compileStreaming !== "function") {
      // Not served as wasm: read it, so that a page or script in its place is named as such.
      bytes = new Uint8Array(await response.arrayBuffer());
    }
  } catch (error) {
    if (error instanceof AuthError) throw error;
    throw loadError(entry, `fetching ${url} failed (${describeError(error)})`, fix, error);
  }
  const why = bytes && notOurWasm(bytes);
  if (why) throw loadError(entry, `${why}: ${url}`, fix);
  let module;
  try {
    module = bytes ? await WebAssembly.compile(bytes) : await WebAssembly.compileStreaming(response);
  } catch (error) {
    throw loadError(entry, `what ${url} answered is not the package's .wasm (${describeError(error)})`, fix, error);
  }
  start(entry, () => module, fix);
}

await startStreaming(
  "streaming",
  new URL("./edge_auth_bg.wasm", import.meta.url),
  "serve edge_auth_bg.wasm beside streaming.js (as application/wasm) or configure the bundler to emit it as an asset; " +
    'or import "edge-auth" instead, whose browser entry carries the wasm inline',
);

export { AuthClient, denoKvStore } from "./api.js";
export { AuthError } from "./auth_error.js";
