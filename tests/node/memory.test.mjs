// After free(), no credential, request body or token is left in the wasm's
// linear memory (docs/API.md §8): one client, then fifty more.
//
//   node --test tests/node/memory.test.mjs       (after make pkg)
import { test } from "node:test";
import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { AuthClient } from "edge-auth";
import { leftoversAfterFree } from "../lib/wipe.mjs";

const PKG = process.env.EDGE_AUTH_PKG ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../pkg");
// The glue module the package initialised (node_modules/edge-auth → pkg/).
const { initSync } = await import(pathToFileURL(realpathSync(path.join(PKG, "edge_auth.js"))).href);
const { memory } = initSync();

test("free() leaves no copy of a client's secret, request body or token in wasm memory", async () => {
  assert.deepEqual(await leftoversAfterFree(AuthClient, memory, 1), []);
});

test("nor do fifty more clients, freed in turn", async () => {
  assert.deepEqual(await leftoversAfterFree(AuthClient, memory, 50), []);
});
