// The credential tester in headless Debian Chromium (playwright-core), against
// `node www/server.mjs --port 0` and its embedded sandbox (the vendor emulator).
// Every request the browser makes is checked to stay on 127.0.0.1.
//
//   node --test tests/demo/            (from the repository root; needs pkg/, see `make pkg`)
//
// Screenshots of each state: tests/demo/out/screenshots/ (git-ignored).
// CHROMIUM_PATH overrides the browser binary (default /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { CHROMIUM, launchChromium } from "../lib/chromium.mjs";
import { startDemoProcess, ROOT } from "./lib.mjs";

const SHOTS = path.join(ROOT, "tests/demo/out/screenshots");
const TEST_TIMEOUT_MS = 60_000;
const STARTUP_TIMEOUT_MS = 60_000;
const DIALECTS = ["younium", "younium-v1", "union", "papaya", "oauth2"];
const MASKED_TOKEN = /^eyJ[\w-]{7}…[\w-]{4}$/;

let demo;
let browser;
const offLoopback = []; // every request the browser tried beyond 127.0.0.1 (must stay empty)

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  demo = await startDemoProcess({ timeoutMs: STARTUP_TIMEOUT_MS });
  browser = await launchChromium(STARTUP_TIMEOUT_MS);
}, { timeout: STARTUP_TIMEOUT_MS * 2 });

after(async () => {
  await browser?.close().catch(() => {});
  await demo?.stop();
  assert.deepEqual(offLoopback, [], "the browser tried to reach beyond loopback");
});

// ---------------------------------------------------------------------------
// helpers

/**
 * Chromium logs every non-2xx response as a console error ("Failed to load
 * resource: the server responded with a status of 401"). The tests provoke
 * those on purpose from the sandbox and the proxy (wrong credentials, a
 * refused host), so they are expected there; any other console error — the
 * page's own files, a CSP violation, an exception — is a failure.
 */
function isExpectedConsoleError(msg, origin) {
  const url = msg.location()?.url ?? "";
  return (
    /^Failed to load resource: the server responded with a status of (40[013]|421)\b/.test(msg.text()) &&
    (url.startsWith(`${origin}/sandbox/`) || url.startsWith(`${origin}/proxy/`) || url === `${origin}/proxy-allow`)
  );
}

async function openPage({ viewport = { width: 1280, height: 900 }, permissions = [], context: existing } = {}) {
  const context = existing ?? (await browser.newContext({ viewport }));
  if (permissions.length) await context.grantPermissions(permissions, { origin: demo.url });
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    offLoopback.push(url.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const problems = [];
  page.on("pageerror", (err) => problems.push(`uncaught error: ${err.stack || err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !isExpectedConsoleError(msg, demo.url)) problems.push(`console.error: ${msg.text()} (${msg.location()?.url ?? ""})`);
  });
  page.on("requestfailed", (req) => {
    // edge-auth reads token responses through a stream reader (to cap their
    // size); Chromium then now and then reports the finished request as
    // net::ERR_ABORTED although the whole body arrived. The tests check what
    // the page shows for those instead. Any other failure is a problem.
    const u = req.url();
    const tokenTraffic = u.startsWith(`${demo.url}/sandbox/`) || u.startsWith(`${demo.url}/proxy/`);
    if (tokenTraffic && req.failure()?.errorText === "net::ERR_ABORTED") return;
    problems.push(`request failed: ${u} ${req.failure()?.errorText ?? ""}`);
  });
  page.on("response", (res) => {
    const u = res.url();
    const expected = u.startsWith(`${demo.url}/sandbox/`) || u.startsWith(`${demo.url}/proxy`);
    if (res.status() >= 400 && !expected) problems.push(`HTTP ${res.status()} for ${u}`);
  });
  await page.addInitScript(() => {
    window.addEventListener("unhandledrejection", (e) => console.error(`unhandled rejection: ${e.reason?.stack ?? e.reason}`));
  });
  await page.goto(`${demo.url}/`, { waitUntil: "load" });
  await page.waitForSelector("html[data-ready]", { timeout: STARTUP_TIMEOUT_MS });
  return {
    page,
    context,
    problems,
    close: () => (existing ? page.close() : context.close()),
  };
}

const text = (page, selector) => page.locator(selector).innerText();
const shot = (page, name, fullPage = true) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });

/** Waits for the token, failing with the page's error box if one shows instead. */
async function waitForToken(page) {
  await page.waitForSelector("#token-result:not([hidden]), #token-error:not([hidden])");
  if (await page.locator("#token-error").isVisible()) assert.fail(`the page shows an error instead of a token:\n${await text(page, "#token-error")}`);
  return text(page, "#token-status");
}

async function waitForApi(page) {
  await page.waitForSelector("#api-result:not([hidden]), #api-error:not([hidden])");
  if (await page.locator("#api-error").isVisible()) assert.fail(`the page shows an error instead of the API response:\n${await text(page, "#api-error")}`);
  return text(page, "#api-status");
}

async function sampleToken(page, dialect) {
  await page.check(`#vendor-${dialect}`);
  await page.click("#use-sample");
  await page.click("#get-token");
  return waitForToken(page);
}

/** The page's sandbox namespace, as shown in the token request line. */
async function namespaceOf(page) {
  const line = await text(page, "#token-request");
  const m = /\/sandbox\/t\/([\w-]+)\//.exec(line);
  assert.ok(m, `no sandbox namespace in ${JSON.stringify(line)}`);
  return m[1];
}

async function emulatorControl(ns, name, body) {
  const res = await fetch(`${demo.url}/sandbox/t/${ns}/__emulator/${name}`, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, `emulator ${name}`);
  return res.json();
}

async function storageState(page) {
  return page.evaluate(() => ({
    session: Object.fromEntries(Object.entries(sessionStorage)),
    local: Object.fromEntries(Object.entries(localStorage)),
  }));
}

// ---------------------------------------------------------------------------
// tests

test("the page loads the real package with no console errors", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    assert.equal(await page.locator("#load-error").isVisible(), false);
    const loaded = await page.evaluate(async () => {
      const m = await import("edge-auth");
      return { AuthClient: typeof m.AuthClient, AuthError: typeof m.AuthError };
    });
    assert.deepEqual(loaded, { AuthClient: "function", AuthError: "function" });
    const requested = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname));
    assert.ok(requested.includes("/pkg/edge_auth_bg.wasm"), "the .wasm of pkg/ was loaded");
    assert.equal(await page.locator("#environment").inputValue(), "sandbox-emulator", "the sandbox is the default environment");
    await shot(page, "00-start");
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

for (const dialect of DIALECTS) {
  test(`${dialect}: sample credentials → token, countdown, decoded claims, API call with masked Bearer`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const { page, problems, close } = await openPage({ permissions: ["clipboard-read", "clipboard-write"] });
    try {
      const status = await sampleToken(page, dialect);
      assert.match(status, /Token acquired · HTTP 20[01]/);
      assert.match(await text(page, "#token-request"), /^POST http:\/\/127\.0\.0\.1:\d+\/sandbox\/t\/demo-\w+\/.*\(built-in sandbox\)$/);
      assert.match(await text(page, "#token-time"), /\d+ ms/);

      // The token: masked, revealable, copyable.
      const masked = await text(page, "#token-value");
      assert.match(masked, MASKED_TOKEN);
      await page.click("#reveal");
      const full = await text(page, "#token-value");
      assert.equal(full.split(".").length, 3, "revealed: the whole JWT");
      assert.equal(await page.getAttribute("#reveal", "aria-pressed"), "true");
      await page.click("#copy");
      await page.waitForFunction(() => document.getElementById("copy").textContent.startsWith("Copied"));
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), full);
      await page.click("#reveal");
      assert.equal(await text(page, "#token-value"), masked);

      // The expiry counts down.
      const first = await text(page, "#countdown");
      assert.match(first, /\d+ s$/);
      await page.waitForFunction((t) => document.getElementById("countdown").textContent !== t, first, { timeout: 3_000 });
      assert.match(await text(page, "#countdown"), /\d+ s$/);
      assert.match(await text(page, "#expires-at"), /^at /);

      // The JWT, decoded and marked as not verified.
      assert.match((await text(page, "#jwt-badge")).toLowerCase(), /not verified/);
      const claims = await text(page, "#jwt-claims");
      assert.match(claims, new RegExp(`"dialect": "${dialect}"`));
      assert.match(claims, /"exp": \d+,?\s+\/\/ /, "exp is annotated with a readable time");
      assert.match(await text(page, "#jwt-header"), /"alg": "HS256"/);
      assert.match(await text(page, "#refresh-log"), /acquired/);
      await shot(page, `${dialect}-1-token`);

      // An API call: the sandbox echoes what it received.
      await page.click("#api-send");
      assert.match(await waitForApi(page), /^✓ 200 OK/);
      const sentAuth = await page.locator("#api-sent-headers tr", { hasText: "authorization" }).locator("td").innerText();
      assert.match(sentAuth, /^Bearer eyJ[\w-]{7}…[\w-]{4}$/);
      const body = await text(page, "#api-response-body");
      assert.match(body, /"authorization": "Bearer eyJ[\w-]{7}…[\w-]{4}"/, "the echoed Authorization header, masked");
      if (dialect.startsWith("younium")) assert.match(body, /"api-version": "2\.1"/);
      const pageText = await page.evaluate(() => document.body.innerText);
      assert.ok(!pageText.includes(full), "the full token shows nowhere unless revealed");
      await shot(page, `${dialect}-2-api`);

      assert.deepEqual(problems, []);
    } finally {
      await close();
    }
  });
}

test("wrong credentials show invalid_credentials with the vendor's message and a hint", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    const cases = [
      ["younium", "#f-secret", "Invalid client credentials"],
      ["papaya", "#f-clientSecret", "Invalid request"],
      ["union", "#f-password", "Invalid user credentials"],
      ["oauth2", "#f-clientSecret", "Invalid client credentials"],
    ];
    for (const [dialect, field, vendorMessage] of cases) {
      await page.check(`#vendor-${dialect}`);
      await page.click("#use-sample");
      await page.fill(field, "wrong-secret-value");
      await page.click("#get-token");
      await page.waitForSelector("#token-error:not([hidden])");
      const box = await text(page, "#token-error");
      assert.match(box, /invalid_credentials/, dialect);
      assert.match(box, /HTTP (400|401)/, dialect);
      assert.ok(box.includes(vendorMessage), `${dialect}: the vendor's message ${vendorMessage} in ${box}`);
      assert.match(box, /Hint: The vendor refused the credentials/, dialect);
      assert.match(box, /sandbox and production/, `${dialect}: the wrong-environment hint`);
      assert.ok(!box.includes("wrong-secret-value"), "the secret is not echoed");
      assert.equal(await page.locator("#token-result").isVisible(), false);
      await shot(page, `error-invalid-credentials-${dialect}`);
    }
    // A missing credential: invalid_config, naming the field, which is marked invalid.
    await page.check("#vendor-younium");
    await page.fill("#f-secret", "");
    await page.click("#get-token");
    await page.waitForSelector("#token-error:not([hidden])");
    assert.match(await text(page, "#token-error"), /invalid_config[\s\S]*`secret`/);
    assert.equal(await page.getAttribute("#f-secret", "aria-invalid"), "true");
    await shot(page, "error-invalid-config");
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("legal-entity: a 403 from the API shows the hint, and the header fixes it", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    await sampleToken(page, "younium");
    const ns = await namespaceOf(page);
    await emulatorControl(ns, "config", { requireLegalEntity: "Acme AB" });
    await page.click("#api-send");
    assert.match(await waitForApi(page), /^✗ 403/);
    assert.match(await text(page, "#api-hint"), /legal entity/);
    await shot(page, "api-403-legal-entity");
    await page.fill("#f-legalEntity", "Acme AB");
    await page.click("#api-send");
    await page.waitForFunction(() => document.getElementById("api-status").textContent.includes("200"));
    assert.match(await text(page, "#api-response-body"), /"legal-entity": "Acme AB"/);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("oauth2: Detect is the default: nothing pinned, the vendor's JSON body first", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    await page.check("#vendor-oauth2");
    await page.click("#use-sample");
    assert.equal(await page.isChecked('input[name="bodyEncoding"][value="auto"]'), true);
    assert.equal(await page.isChecked('input[name="clientAuth"][value="auto"]'), true);
    await page.click("#get-token");
    await waitForToken(page);
    const stats = await emulatorControl(await namespaceOf(page), "stats");
    assert.equal(stats.tokenLog.length, 1, "the sandbox takes JSON: one request");
    assert.match(stats.tokenLog[0].contentType, /^application\/json/);
    assert.equal(stats.tokenLog[0].authScheme, null);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("oauth2: form encoding and HTTP Basic reach the sandbox as chosen", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    await page.check("#vendor-oauth2");
    await page.click("#use-sample");
    await page.check('input[name="bodyEncoding"][value="form"]');
    await page.check('input[name="clientAuth"][value="basic"]');
    await page.fill("#f-scope", "read write");
    await page.click("#get-token");
    await waitForToken(page);
    const stats = await emulatorControl(await namespaceOf(page), "stats");
    const last = stats.tokenLog.at(-1);
    assert.match(last.contentType, /^application\/x-www-form-urlencoded/);
    assert.equal(last.authScheme, "Basic");
    assert.equal(last.scope, "read write");
    await shot(page, "oauth2-form-basic");
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("oauth2 with a private key: Use sample makes a key in the page, the sandbox verifies each assertion; the key shows nowhere", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    await page.check("#vendor-oauth2");
    await page.check('input[name="clientAuth"][value="private_key_jwt"]');
    await page.click("#use-sample");
    // The key is made and registered asynchronously.
    await page.waitForFunction(() => document.getElementById("f-privateKey")?.value.startsWith("-----BEGIN"));
    const pem = await page.inputValue("#f-privateKey");
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(await page.getAttribute("#f-privateKey", "type"), "password", "the key is masked");
    await page.click("#get-token");
    assert.match(await waitForToken(page), /Token acquired · HTTP 200/);
    const stats = await emulatorControl(await namespaceOf(page), "stats");
    assert.equal(stats.assertions.length, 1, "one assertion, verified by the sandbox");
    assert.equal(stats.assertions[0].alg, "ES256");
    assert.match(stats.tokenLog.at(-1).contentType, /^application\/x-www-form-urlencoded/);
    const body = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s/g, "");
    const pageText = await page.evaluate(() => document.body.innerText);
    assert.ok(!pageText.includes(body.slice(10, 50)), "no part of the key in the page's text");
    assert.deepEqual(await storageState(page), { session: {}, local: {} }, "nothing stored");
    await shot(page, "oauth2-private-key");
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("Google service account: the sandbox's key file (or one picked from a file) → a token for the scopes, and an API call", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    await page.check("#vendor-google");
    await page.click("#use-sample");
    await page.waitForFunction(() => document.getElementById("f-serviceAccount")?.value.includes("service_account"));
    const account = JSON.parse(await page.inputValue("#f-serviceAccount"));
    assert.equal(account.type, "service_account");
    // The same file, picked from disk: read into the field, in memory only.
    await page.fill("#f-serviceAccount", "");
    await page.setInputFiles("#f-serviceAccount ~ input[type=file]", { name: "key.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(account, null, 2)) });
    await page.waitForFunction(() => document.getElementById("f-serviceAccount").value.includes("service_account"));
    await page.click("#get-token");
    assert.match(await waitForToken(page), /Token acquired · HTTP 200/);
    const stats = await emulatorControl(await namespaceOf(page), "stats");
    assert.equal(stats.googleTokenRequests, 1);
    assert.equal(stats.tokenLog.at(-1).scope, "https://www.googleapis.com/auth/cloud-platform");
    await page.click("#api-send");
    assert.match(await waitForApi(page), /^✓ 200 OK/);
    const keyBody = account.private_key.split("\n").slice(2, 3).join("");
    assert.ok(!(await page.evaluate(() => document.body.innerText)).includes(keyBody), "no part of the key in the page's text");
    await shot(page, "google-service-account");
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("the proxy refuses a host that is not allowed, shown in the page", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    // An http: origin typed as the environment: the proxy will not register it.
    await page.check("#vendor-papaya");
    await page.click("#use-sample");
    await page.selectOption("#environment", "custom");
    await page.fill("#custom-url", "http://example.com");
    await page.click("#get-token");
    await page.waitForSelector("#token-error:not([hidden])");
    const box = await text(page, "#token-error");
    assert.match(box, /proxy_refused/);
    assert.match(box, /HTTP 403/);
    assert.match(box, /HTTPS only/);
    assert.equal(await page.getAttribute("#custom-url", "aria-invalid"), "true");
    assert.ok(!/\bnull\b|undefined/.test(box), box);
    await shot(page, "proxy-refused-http-origin");

    // An API call to a host nobody allowed: the proxy answers 403 and forwards nothing.
    await page.check("#vendor-younium");
    await page.click("#use-sample");
    await page.click("#get-token");
    await waitForToken(page);
    await page.fill("#api-path", "https://not-allowed.example/Accounts");
    await page.click("#api-send");
    assert.match(await waitForApi(page), /^✗ 403/);
    assert.match(await text(page, "#api-request-line"), /^GET https:\/\/not-allowed\.example\/Accounts \(through the local proxy\)$/);
    assert.match(await text(page, "#api-hint"), /forwards only to the vendor hosts/);
    assert.match(await text(page, "#api-response-body"), /"error": "proxy_refused"/);
    await shot(page, "proxy-refused-api-call");
    assert.ok(!demo.stdout.includes("not-allowed.example/Accounts → 200"));
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("auto-refresh: renewals show in the log as they happen (union's refresh-token grant)", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    await page.check("#vendor-union");
    await page.click("#use-sample");
    await page.selectOption("#lifetime", "10");
    assert.equal(await page.isChecked("#auto-refresh"), true);
    await page.click("#get-token");
    await waitForToken(page);
    const before = await text(page, "#token-value");
    await page.waitForSelector("#refresh-log li.log-refresh", { timeout: 15_000 });
    const entry = await page.locator("#refresh-log li.log-refresh").first().innerText();
    assert.match(entry, /refreshed by the auto-refresh timer/);
    assert.match(entry, /union-service\/auth\/refresh-token/);
    await page.waitForFunction(() => document.getElementById("token-status").textContent.includes("renewed"));
    assert.notEqual(await text(page, "#token-value"), before, "the page shows the renewed token");
    await shot(page, "auto-refresh-log");

    // Off: no renewals.
    await page.uncheck("#auto-refresh");
    await waitForToken(page);
    await page.click("#new-token");
    await page.waitForFunction(() => !document.getElementById("get-token").disabled);
    const count = await page.locator("#refresh-log li.log-refresh").count();
    await page.waitForTimeout(7_000);
    assert.equal(await page.locator("#refresh-log li.log-refresh").count(), count, "no timer renewals with auto-refresh off");
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("nothing is written to storage unless \"remember\" is ticked", { timeout: TEST_TIMEOUT_MS }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const { page, problems } = await openPage({ context });
    await sampleToken(page, "younium");
    await page.click("#api-send");
    await waitForApi(page);
    await page.fill("#f-legalEntity", "Acme AB");
    assert.deepEqual(await storageState(page), { session: {}, local: {} }, "no storage without remember");
    assert.deepEqual(await context.cookies(), []);

    await page.check("#remember");
    const saved = await storageState(page);
    assert.deepEqual(Object.keys(saved.session), ["edge-auth-demo"]);
    assert.deepEqual(saved.local, {});
    assert.equal(JSON.parse(saved.session["edge-auth-demo"]).values.younium.clientId, "demo-client-id");
    await shot(page, "remember-ticked");

    await page.reload();
    await page.waitForSelector("html[data-ready]");
    assert.equal(await page.isChecked("#remember"), true);
    assert.equal(await page.inputValue("#f-clientId"), "demo-client-id");
    assert.equal(await page.inputValue("#f-legalEntity"), "Acme AB");

    await page.selectOption("#remember-where", "local");
    const moved = await storageState(page);
    assert.deepEqual(moved.session, {});
    assert.deepEqual(Object.keys(moved.local), ["edge-auth-demo"]);

    await page.uncheck("#remember");
    assert.deepEqual(await storageState(page), { session: {}, local: {} }, "unticking erases it");
    await page.fill("#f-clientId", "changed");
    assert.deepEqual(await storageState(page), { session: {}, local: {} });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test("keyboard only: sample credentials and a token with Tab and Enter; visible focus", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    const order = [];
    for (let i = 0; i < 6 && order.at(-1) !== "use-sample"; i++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.className || document.activeElement?.tagName));
    }
    assert.equal(order.at(-1), "use-sample", `focus order: ${order.join(" → ")}`);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, "none", "the focused button shows a focus ring");
    await shot(page, "keyboard-focus", false);
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "get-token", "focus moves on to Get token");
    await page.keyboard.press("Enter");
    await waitForToken(page);

    // The vendor radios: one Tab stop, arrow keys move the choice.
    await page.focus("#vendor-younium");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.isChecked("#vendor-younium-v1"), true);

    // Every form control has a label.
    const unlabeled = await page.evaluate(() =>
      [...document.querySelectorAll("input, select, textarea")]
        .filter((c) => c.type !== "hidden" && c.labels.length === 0 && !c.getAttribute("aria-label"))
        .map((c) => c.id || c.name),
    );
    assert.deepEqual(unlabeled, []);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("phone width (375 px): readable, no horizontal scrolling", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage({ viewport: { width: 375, height: 740 } });
  try {
    await shot(page, "phone-1-form", false);
    await sampleToken(page, "papaya");
    await page.click("#api-send");
    await waitForApi(page);
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    assert.ok(widths.scroll <= widths.client, `no horizontal overflow: ${JSON.stringify(widths)}`);
    await page.locator("#token-title").scrollIntoViewIfNeeded();
    await shot(page, "phone-2-token", false);
    await shot(page, "phone-3-full");
    const fontSize = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector(".hint")).fontSize));
    assert.ok(fontSize >= 12, `hints are readable (${fontSize}px)`);
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test("real environments go through the local proxy (answered inside the browser: nothing leaves loopback)", { timeout: TEST_TIMEOUT_MS }, async () => {
  const { page, problems, close } = await openPage();
  try {
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const jwt = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ sub: "real-tenant-user", iat: now, exp: now + 86400 })}.c2lnbmF0dXJl`;
    const seen = [];
    // These requests would go from the demo server to the vendor; the browser answers them itself.
    await page.route(`${demo.url}/proxy/**`, async (route) => {
      const req = route.request();
      seen.push({ url: req.url(), method: req.method(), body: req.postDataJSON() });
      if (req.url().includes(encodeURIComponent("https://api.sandbox.younium.com"))) {
        return route.fulfill({
          status: 200,
          contentType: "application/json",
          body: JSON.stringify({ access_token: jwt, refresh_token: "r", expires_in: 86400, expires: new Date(Date.now() + 86_400_000).toUTCString() }),
        });
      }
      return route.fulfill({
        status: 502,
        contentType: "application/json",
        headers: { "x-edge-auth-proxy": "proxy_upstream_unreachable" },
        body: JSON.stringify({ error: "proxy_upstream_unreachable", message: "the local proxy could not reach https://api.us.sandbox.younium.com: ENOTFOUND api.us.sandbox.younium.com" }),
      });
    });

    await page.check("#vendor-younium");
    await page.selectOption("#environment", "sandbox");
    assert.equal(await page.locator("#proxy-note").isVisible(), true, "the page says requests go through the proxy");
    assert.match(await text(page, "#environment-hint"), /api\.sandbox\.younium\.com\/auth\/v2\/token/);
    await page.fill("#f-clientId", "real-client-id");
    await page.fill("#f-secret", "real-secret");
    await page.click("#get-token");
    await waitForToken(page);
    assert.equal(seen[0].url, `${demo.url}/proxy/${encodeURIComponent("https://api.sandbox.younium.com")}/auth/v2/token`);
    assert.deepEqual(seen[0].body, { clientId: "real-client-id", secret: "real-secret" });
    assert.equal(await text(page, "#token-request"), "POST https://api.sandbox.younium.com/auth/v2/token (through the local proxy)");
    assert.match(await text(page, "#jwt-claims"), /"sub": "real-tenant-user"/);
    await shot(page, "real-environment-via-proxy");

    // younium-v1's US sandbox host is the v1 guide's; offline, the proxy answers 502.
    await page.check("#vendor-younium-v1");
    await page.selectOption("#environment", "us-sandbox");
    await page.fill("#f-clientId", "real-client-id");
    await page.fill("#f-secret", "real-secret");
    await page.click("#get-token");
    await page.waitForSelector("#token-error:not([hidden])");
    assert.equal(seen.at(-1).url, `${demo.url}/proxy/${encodeURIComponent("https://api.us.sandbox.younium.com")}/auth/token`);
    const box = await text(page, "#token-error");
    assert.match(box, /server_error/);
    assert.match(box, /HTTP 502/);
    assert.match(box, /could not reach the vendor: you may be offline/);
    await shot(page, "real-environment-offline");
    assert.deepEqual(problems.filter((p) => !/status of 502/.test(p)), []);
  } finally {
    await close();
  }
});
