// Size budget: fails when the gzipped package (pkg/edge_auth_bg.wasm + the
// JS glue: every .js file but the runtime entries, plus the largest entry,
// each gzipped at level 9 on its own, as bench/run.mjs counts them) grows past
// bench/budget.json's `gzippedPackageBytes`. Lower the budget as the wasm
// shrinks; raise it only on purpose.
//
//   node --test bench/size-budget.test.mjs        (after make pkg)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { packageSize } from "./lib/size.mjs";

const budget = JSON.parse(readFileSync(new URL("./budget.json", import.meta.url), "utf8"));

test("gzipped package (wasm + JS glue) is within bench/budget.json", (t) => {
  const size = packageSize();
  const limit = budget.gzippedPackageBytes;
  assert.ok(Number.isInteger(limit) && limit > 0, "budget.json needs a positive integer gzippedPackageBytes");
  const detail = [
    `wasm ${size.wasm.gzip} B`,
    ...size.glueFiles.map((f) => `${f.name} ${f.gzip} B`),
  ].join(", ");
  assert.ok(
    size.total.gzip <= limit,
    `the gzipped package is ${size.total.gzip} bytes, over the budget of ${limit} (${detail}); ` +
      `cut it, or raise gzippedPackageBytes in bench/budget.json on purpose`,
  );
  t.diagnostic(`gzipped package ${size.total.gzip} B of a ${limit} B budget (${((100 * size.total.gzip) / limit).toFixed(1)}%): ${detail}`);
});
