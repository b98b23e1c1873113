// Node runner for the runtime-agnostic scenario suite (tests/scenarios/):
// every scenario becomes a node:test test, run against a vendor emulator
// started in this process, with the built package imported as a user would.
//
//   node --test tests/node/            (from the repository root)
import { describe, it, before, after } from "node:test";
import { AuthClient, AuthError } from "edge-auth";
import { startEmulator } from "../emulator/server.mjs";
import { scenarios, makeContext } from "../scenarios/index.mjs";

const SCENARIO_TIMEOUT_MS = 20_000;
const CONCURRENCY = 4;

let emu;
const unhandled = [];
const onUnhandled = (reason) => unhandled.push(reason);

before(async () => {
  process.on("unhandledRejection", onUnhandled);
  emu = await startEmulator();
});
after(async () => {
  process.off("unhandledRejection", onUnhandled);
  await emu?.close();
});

const run = Date.now().toString(36);

function runScenario(scenario, index) {
  it(scenario.name, { timeout: SCENARIO_TIMEOUT_MS }, async () => {
    const ns = `node-${run}-${index}`;
    const ctx = makeContext({ AuthClient, AuthError, emulatorUrl: emu.url, ns });
    const seen = unhandled.length;
    let failure = null;
    try {
      await scenario.run(ctx);
    } catch (e) {
      failure = e;
    } finally {
      ctx.cleanup();
    }
    // Give rejections of the scenario's last turn a chance to surface.
    await new Promise((resolve) => setImmediate(resolve));
    const extra = unhandled.slice(seen).map((r) => (r instanceof Error ? `${r.name}: ${r.message}` : String(r)));
    const note = `unhandled rejection(s) while the scenario (or a concurrent one) ran:\n${extra.join("\n")}`;
    if (failure) {
      if (extra.length && failure instanceof Error) failure.message += `\n${note}`;
      throw failure;
    }
    if (extra.length) throw new Error(note);
  });
}

const exclusive = (s) => s.tags.includes("exclusive");

describe("edge-auth scenarios (node)", { concurrency: CONCURRENCY }, () => {
  scenarios.forEach((scenario, index) => exclusive(scenario) || runScenario(scenario, index));
});

// Scenarios that change a global for a moment (Date.now), after the others, one at a time.
describe("edge-auth scenarios (node, alone)", () => {
  scenarios.forEach((scenario, index) => exclusive(scenario) && runScenario(scenario, index));
});
