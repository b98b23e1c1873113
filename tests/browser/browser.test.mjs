// Chromium runner: serves the repository read-only on 127.0.0.1, opens
// tests/browser/page.html in headless Debian Chromium (playwright-core) and runs
// every scenario of tests/scenarios/ in the page against the in-process vendor
// emulator (cross-origin; the emulator answers with CORS headers).
//
//   node --test tests/browser/          (from the repository root)
//
// CHROMIUM_PATH overrides the browser binary (default /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM, launchChromium } from "../lib/chromium.mjs";
import { startStaticServer } from "../lib/static-server.mjs";
import { startEmulator } from "../emulator/server.mjs";
import { scenarios } from "../scenarios/index.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");

const SCENARIO_TIMEOUT_MS = 30_000;
const STARTUP_TIMEOUT_MS = 60_000;

let emulator;
let server;
let pageOrigin;
let browser;
let page;
// Everything the page reported that counts as a failure: uncaught errors,
// unhandled rejections, console errors (see isExpectedConsoleError).
const pageProblems = [];
const pageLog = []; // every console message, for failure context

// ---------------------------------------------------------------------------
// helpers

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Chromium logs every non-2xx or failed network request as a console error
 * ("Failed to load resource: …"). The scenarios provoke exactly those (401s and
 * 5xx from the emulator, dropped connections, a closed port), so they are
 * expected; any other console error, including one about a resource of the
 * page's own origin or a CORS block, is a failure. (The page's own files are
 * also checked through the response/requestfailed events.)
 */
function isExpectedConsoleError(msg) {
  const url = msg.location()?.url ?? "";
  return /^Failed to load resource\b/.test(msg.text()) && url !== "" && !url.startsWith(pageOrigin + "/");
}

function problemsSince(index) {
  return pageProblems.slice(index);
}

// ---------------------------------------------------------------------------
// setup

before(async () => {
  emulator = await withTimeout(startEmulator(), STARTUP_TIMEOUT_MS, "starting the emulator");
  server = await startStaticServer(ROOT);
  pageOrigin = `http://127.0.0.1:${server.address().port}`;

  browser = await withTimeout(
    launchChromium(STARTUP_TIMEOUT_MS),
    STARTUP_TIMEOUT_MS + 5_000,
    `launching ${CHROMIUM}`,
  );
  const context = await browser.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(SCENARIO_TIMEOUT_MS);

  page.on("pageerror", (err) => pageProblems.push(`uncaught error in the page: ${err.stack || err.message}`));
  page.on("console", (msg) => {
    const loc = msg.location();
    const line = `[console.${msg.type()}] ${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ""}`;
    pageLog.push(line);
    if (msg.type() === "error" && !isExpectedConsoleError(msg)) pageProblems.push(line);
  });
  page.on("crash", () => pageProblems.push("the page crashed"));
  page.on("requestfailed", (req) => {
    // Failures of the page's own files (module graph, .wasm) are problems;
    // failed requests to the emulator are the scenarios' business.
    if (req.url().startsWith(pageOrigin + "/")) pageProblems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ""}`);
  });
  page.on("response", (res) => {
    if (res.url().startsWith(pageOrigin + "/") && res.status() >= 400) pageProblems.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  await context.addInitScript(() => {
    window.addEventListener("unhandledrejection", (event) => {
      const r = event.reason;
      console.error(`unhandled rejection: ${r instanceof Error ? r.stack || r.message : String(r)}`);
    });
  });

  await page.goto(`${pageOrigin}/tests/browser/page.html`, { waitUntil: "load", timeout: STARTUP_TIMEOUT_MS });
  try {
    await page.waitForFunction(() => typeof window.runScenario === "function", null, { timeout: STARTUP_TIMEOUT_MS });
  } catch (e) {
    throw new Error(
      `page.html did not define window.runScenario (${e.message.split("\n")[0]})\n` +
        `page problems:\n${pageProblems.join("\n") || "(none)"}\nconsole:\n${pageLog.join("\n") || "(none)"}`,
    );
  }
}, { timeout: STARTUP_TIMEOUT_MS * 4 });

after(async () => {
  await browser?.close().catch(() => {});
  if (server) {
    server.closeAllConnections?.();
    await new Promise((resolve) => server.close(() => resolve()));
  }
  await emulator?.close();
});

// ---------------------------------------------------------------------------
// tests

test("the page loaded edge-auth and the same scenario list", { timeout: SCENARIO_TIMEOUT_MS }, async () => {
  const names = await withTimeout(page.evaluate(() => window.scenarioNames), SCENARIO_TIMEOUT_MS, "reading scenarioNames");
  assert.deepEqual(names, scenarios.map((s) => s.name));
  assert.deepEqual(problemsSince(0), [], "problems while loading the page");
});

let lastIndex = 0;
scenarios.forEach((scenario, index) => {
  test(`scenario: ${scenario.name}`, { timeout: SCENARIO_TIMEOUT_MS + 5_000 }, async () => {
    const start = pageProblems.length;
    const logStart = pageLog.length;
    const ns = `browser-${index}`;
    let result;
    try {
      result = await withTimeout(
        page.evaluate(([n, u, s]) => window.runScenario(n, u, s), [scenario.name, emulator.url, ns]),
        SCENARIO_TIMEOUT_MS,
        `scenario "${scenario.name}" in the page`,
      );
    } catch (e) {
      const problems = problemsSince(start).join("\n");
      throw new Error(`${e.message}${problems ? `\npage problems meanwhile:\n${problems}` : ""}`);
    }
    lastIndex = pageProblems.length;
    const consoleText = pageLog.slice(logStart).join("\n");
    assert.ok(result && typeof result.ok === "boolean", `runScenario returned ${JSON.stringify(result)}`);
    if (!result.ok) {
      const problems = problemsSince(start).join("\n");
      assert.fail(
        `scenario "${scenario.name}" failed in Chromium:\n${result.error}` +
          (problems ? `\npage problems meanwhile:\n${problems}` : "") +
          (consoleText ? `\npage console:\n${consoleText}` : ""),
      );
    }
    assert.deepEqual(problemsSince(start), [], `the page reported problems during "${scenario.name}"`);
  });
});

test("no page errors after the last scenario", { timeout: 10_000 }, async () => {
  await new Promise((r) => setTimeout(r, 500));
  assert.deepEqual(problemsSince(lastIndex), []);
});
