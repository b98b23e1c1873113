// The hardening fault matrix (tests/hardening/matrix.mjs) in Node, against a
// vendor emulator started in this process, with the built package imported
// as a user would.
//
//   node --test tests/hardening/node.test.mjs        (from the repository root)
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { AuthClient, AuthError } from "edge-auth";
import { startEmulator } from "../emulator/server.mjs";
import { listCases, runMatrix } from "./matrix.mjs";

const CONCURRENCY = 8;

let emu;
let summary;
const byId = new Map();
const unhandled = [];
const onUnhandled = (reason) => unhandled.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));

describe("hardening fault matrix (node)", () => {
  before(async () => {
    process.on("unhandledRejection", onUnhandled);
    emu = await startEmulator();
    const t0 = Date.now();
    summary = await runMatrix(
      { AuthClient, AuthError, emulatorUrl: emu.url, prefix: `hn-${Date.now().toString(36)}`, inspect },
      { concurrency: CONCURRENCY },
    );
    for (const r of summary.results) byId.set(r.id, r);
    const groups = {};
    for (const r of summary.results) {
      const g = (groups[r.group] ??= { cases: 0, passed: 0 });
      g.cases++;
      if (r.ok) g.passed++;
    }
    console.log(
      `# hardening matrix (node ${process.version}): ${summary.passed}/${summary.cases} passed in ${Date.now() - t0} ms; ` +
        Object.entries(groups).map(([g, s]) => `${g} ${s.passed}/${s.cases}`).join(", "),
    );
  }, { timeout: 110_000 });

  after(async () => {
    process.off("unhandledRejection", onUnhandled);
    await emu?.close();
  });

  for (const c of listCases()) {
    it(c.id, () => {
      const r = byId.get(c.id);
      assert.ok(r, `case ${c.id} did not run`);
      if (!r.ok) assert.fail(r.error);
    });
  }

  it("summary: every case passed, no unhandled rejection", () => {
    assert.equal(summary.cases, listCases().length);
    assert.deepEqual(unhandled, [], "unhandled rejections during the matrix");
    assert.equal(summary.passed, summary.cases, `failures:\n${summary.failures.map((f) => `${f.id}: ${f.error}`).join("\n")}`);
  });
});
