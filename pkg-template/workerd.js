// Cloudflare Workers entry ("workerd" condition): wrangler bundles the .wasm
// as a compiled module. Instantiating it is the only thing done at global
// scope: nothing random, timed or fetched.
import wasmModule from "./edge_auth_bg.wasm";
import { start } from "./load.js";

start(
  "workerd",
  () => wasmModule,
  'this entry needs a bundler that turns `import m from "./edge_auth_bg.wasm"` into a WebAssembly.Module, as wrangler does for Workers; ' +
    'elsewhere, resolve "edge-auth" without the "workerd" condition (its "browser" entry carries the wasm inline)',
);

export { AuthClient, denoKvStore } from "./api.js";
export { TokenBroker } from "./broker.js";
export { AuthError } from "./auth_error.js";
