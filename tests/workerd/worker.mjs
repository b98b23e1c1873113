// Test worker for tests/workerd/workerd.test.mjs, bundled by wrangler with the
// "workerd" export condition of edge-auth. Nothing is constructed, fetched,
// timed or randomised at global scope: the shared client is created lazily by
// the first request that needs it.
import { AuthClient, AuthError } from "edge-auth";
import { scenarios, makeContext } from "../scenarios/index.mjs";
import { SAMPLE_CREDENTIALS } from "../emulator/credentials.mjs";

// Module-level client shared by every request of this isolate (/shared*).
let shared = null; // { key, client }

// Unhandled rejections seen by this isolate (registering a listener at global
// scope does no I/O). /run reports those raised while its scenario ran;
// /unhandled lists them all.
const unhandled = [];
addEventListener("unhandledrejection", (event) => {
  unhandled.push(describe(event.reason));
});

function sharedClient(url) {
  const emu = required(url, "emu");
  const ns = required(url, "ns");
  const leeway = url.searchParams.get("leeway");
  const key = `${emu}|${ns}|${leeway}`;
  if (!shared || shared.key !== key) {
    const options = { provider: "younium", baseUrl: `${emu}/t/${ns}`, ...SAMPLE_CREDENTIALS.younium };
    if (leeway !== null) options.refreshLeewaySeconds = Number(leeway);
    shared = { key, client: new AuthClient(options) };
  }
  return shared.client;
}

function required(url, name) {
  const v = url.searchParams.get(name);
  if (!v) throw new Error(`missing query parameter ${name}`);
  return v;
}

function describe(e) {
  if (!(e instanceof Error)) return `non-Error thrown: ${String(e)}`;
  const parts = [`${e.name}: ${e.message}`];
  if (e instanceof AuthError || e?.name === "AuthError") {
    parts.push(`code=${e.code} status=${e.status} messages=${JSON.stringify(e.messages)}`);
  }
  if (e.stack) parts.push(e.stack);
  return parts.join("\n");
}

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const routes = {
  // Names of the scenarios compiled into this bundle.
  "/list": async () => json({ names: scenarios.map((s) => s.name) }),

  // Run one scenario of the suite in this request.
  "/run": async (url) => {
    const name = required(url, "name");
    const scenario = scenarios.find((s) => s.name === name);
    if (!scenario) return json({ ok: false, error: `unknown scenario ${JSON.stringify(name)}` }, 404);
    const ctx = makeContext({ AuthClient, AuthError, emulatorUrl: required(url, "emu"), ns: required(url, "ns") });
    const seen = unhandled.length;
    let error = null;
    try {
      await scenario.run(ctx);
    } catch (e) {
      error = describe(e);
    }
    // Let rejections of the scenario's last turn be reported before judging.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const stray = unhandled.slice(seen);
    if (stray.length) error = `${error ? `${error}\n` : ""}unhandled rejection(s) while the scenario ran:\n${stray.join("\n")}`;
    return json({ ok: error === null, error });
  },

  // Every unhandled rejection this isolate has seen.
  "/unhandled": async () => json({ unhandled }),

  // Token from the isolate-wide client (cross-request single flight).
  "/shared": async (url) => json({ token: await sharedClient(url).getToken() }),

  // API call through the isolate-wide client; `path` is relative to baseUrl.
  "/shared-fetch": async (url) => {
    const res = await sharedClient(url).fetch(url.searchParams.get("path") ?? "/ping");
    return json({ status: res.status, body: await res.text() });
  },

  // Drop the isolate-wide client's cached token.
  "/shared-invalidate": async (url) => {
    sharedClient(url).invalidate();
    return json({ ok: true });
  },
};

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const route = routes[url.pathname];
    if (!route) return json({ error: `no route ${url.pathname}` }, 404);
    try {
      return await route(url);
    } catch (e) {
      return json({ error: describe(e) }, 500);
    }
  },
};
