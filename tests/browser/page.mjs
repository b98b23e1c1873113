// Loaded by page.html. `edge-auth` resolves through the page's import map to
// /pkg/browser.js, exactly as a user's module script would load the package.
import { AuthClient, AuthError } from "edge-auth";
import { scenarios, makeContext } from "/tests/scenarios/index.mjs";

function describe(e) {
  if (!(e instanceof Error)) return `non-Error thrown: ${String(e)}`;
  const parts = [`${e.name}: ${e.message}`];
  if (e instanceof AuthError || e?.name === "AuthError") {
    parts.push(`code=${e.code} status=${e.status} messages=${JSON.stringify(e.messages)}`);
  }
  if (e.stack) parts.push(e.stack);
  return parts.join("\n");
}

window.scenarioNames = scenarios.map((s) => s.name);

window.runScenario = async (name, emulatorUrl, ns) => {
  const scenario = scenarios.find((s) => s.name === name);
  if (!scenario) return { ok: false, error: `unknown scenario ${JSON.stringify(name)}` };
  try {
    await scenario.run(makeContext({ AuthClient, AuthError, emulatorUrl, ns }));
    return { ok: true, error: null };
  } catch (e) {
    return { ok: false, error: describe(e) };
  }
};
