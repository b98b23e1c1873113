// After free(), no credential, request body or token is left in the wasm's
// linear memory (docs/API.md §8), in Deno: one client, then fifty more.
import { AuthClient } from "edge-auth";
import { leftoversAfterFree } from "../lib/wipe.mjs";

// The glue module the package initialised (node_modules/edge-auth → pkg/;
// EDGE_AUTH_PKG: another build, with node_modules/edge-auth pointing at it).
const pkg = Deno.env.get("EDGE_AUTH_PKG") ? `file://${Deno.env.get("EDGE_AUTH_PKG")}/` : new URL("../../pkg/", import.meta.url).href;
const { initSync } = await import(`${pkg}edge_auth.js`);
const { memory } = initSync();

const same = (a, b, what) => {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${what}: ${JSON.stringify(a)}`);
};

Deno.test("free() leaves no copy of a client's secret, request body or token in wasm memory", async () => {
  same(await leftoversAfterFree(AuthClient, memory, 1), [], "left in linear memory");
});

Deno.test("nor do fifty more clients, freed in turn", async () => {
  same(await leftoversAfterFree(AuthClient, memory, 50), [], "left in linear memory");
});
