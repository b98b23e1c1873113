// Size budget, per entry: what a consumer of each entry of pkg/package.json
// loads (its JS module graph, each file gzipped at level 9 on its own, and
// the .wasm if it loads the file; bench/lib/size.mjs, as bench/run.mjs counts
// them) must stay within bench/budget.json: `gzippedPackageBytes` for the
// entries that load the .wasm file (node, workerd, deno, bun, edge-light,
// require, streaming), `gzippedInlineEntryBytes` for those that carry it
// inline as text (browser, default). Lower the budgets as the package
// shrinks; raise them only on purpose.
//
//   node --test bench/size-budget.test.mjs        (after make pkg)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { entrySizes } from "./lib/size.mjs";

const budget = JSON.parse(readFileSync(new URL("./budget.json", import.meta.url), "utf8"));
const entries = entrySizes();

test("every export of the package is measured, the inline and the file entries among them", () => {
  const names = entries.map((e) => e.entry);
  for (const entry of ["node.js", "node.cjs", "workerd.js", "edge-light.js", "bun.js", "deno.js", "browser.js", "browser.cjs", "streaming.js"]) {
    assert.ok(names.includes(entry), `${entry} is an export (exports point at ${names.join(", ")})`);
  }
  assert.ok(entries.find((e) => e.entry === "browser.js").files.some((f) => f.name === "edge_auth_wasm.js"), "the browser entry loads the inline wasm");
  assert.ok(!entries.find((e) => e.entry === "browser.js").wasmFile, "the browser entry does not load the .wasm file");
  assert.ok(entries.find((e) => e.entry === "node.js").wasmFile, "the node entry loads the .wasm file");
});

for (const e of entries) {
  const inline = !e.wasmFile;
  const key = inline ? "gzippedInlineEntryBytes" : "gzippedPackageBytes";
  test(`${e.entry} (${e.conditions.join(", ")}): wasm + JS gzipped within budget.json's ${key}`, (t) => {
    const limit = budget[key];
    assert.ok(Number.isInteger(limit) && limit > 0, `budget.json needs a positive integer ${key}`);
    const detail = e.files.map((f) => `${f.name} ${f.gzip} B`).join(", ");
    assert.ok(
      e.total.gzip <= limit,
      `${e.entry} loads ${e.total.gzip} gzipped bytes, over the budget of ${limit} (${detail}); cut it, or raise ${key} in bench/budget.json on purpose`,
    );
    t.diagnostic(`${e.entry}: ${e.total.gzip} B of a ${limit} B budget (${((100 * e.total.gzip) / limit).toFixed(1)}%): ${detail}`);
  });
}
