// The edge-auth behaviour scenarios: written once, run by every runtime runner
// (tests/node, tests/deno, tests/workerd, tests/browser) against the vendor
// emulator (tests/emulator). See docs/TESTING.md.
//
// Runtime-agnostic on purpose: only `fetch`, standard web APIs, the library
// (passed in through makeContext) and the emulator's HTTP control endpoints.
// No `node:` imports and nothing timed, fetched or random at module top level,
// so the module can be bundled into a Cloudflare worker or loaded by a page.
//
//   export const scenarios: { name, tags, run(ctx) }[]
//   export function makeContext({ AuthClient, AuthError, emulatorUrl, ns }) → ctx
//
// A scenario throws an Error with a readable message on failure. Every
// scenario resets and uses only its own namespace (ctx.ns, plus `${ns}-…`
// sub-namespaces), so scenarios may run concurrently, and frees every client
// it created before it returns.
import { SAMPLE_CREDENTIALS } from "../emulator/credentials.mjs";
import { assert } from "./assert.mjs";
import { scenarios as allScenarios } from "./cases.mjs";
import "./timers.mjs"; // registers the timer scenarios into the same list
import "./oauth2.mjs"; // registers the oauth2 detection and error scenarios
import "./manager.mjs"; // the token manager's rules, into the same list
import "./containment.mjs"; // and the containment ones (origins, headers, redaction, store, deadline)
import "./signing.mjs"; // keys instead of secrets: private_key_jwt, client_secret_jwt, Google service accounts

export { assert };
export const scenarios = allScenarios;

export const DIALECTS = ["younium", "younium-v1", "union", "papaya", "oauth2"];

/** Token endpoint of each dialect, relative to the namespace base. */
export const TOKEN_PATHS = {
  younium: "/auth/v2/token",
  "younium-v1": "/auth/token",
  union: "/union-service/auth/token?api-version=1.0",
  papaya: "/token",
  oauth2: "/api/v2/oauth2/token",
};
export const UNION_REFRESH_PATH = "/union-service/auth/refresh-token?api-version=1.0";

/** Every credential value the library must never reveal (section 5). */
const SECRET_FIELDS = ["secret", "password", "clientSecret", "apiKey"];
function credentialSecrets(creds) {
  const out = [];
  for (const dialect of Object.values(creds)) {
    for (const f of SECRET_FIELDS) if (typeof dialect[f] === "string") out.push(dialect[f]);
  }
  return out;
}

/** Wrong credentials used by the scenarios; never to appear in an error either. */
export const WRONG = Object.freeze({
  secret: "wrong-secret-7c1e9a44",
  password: "wrong-password-5b2d81",
  clientSecret: "wrong-client-secret-3f8a",
});

function makeControl(base) {
  const call = async (method, path, body) => {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(`${base}/__emulator/${path}`, init);
    } catch (e) {
      throw new Error(`emulator control ${method} ${path} failed: ${e && e.message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator control ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return text;
    }
  };
  return {
    config: (obj) => call("POST", "config", obj),
    fault: (obj) => call("POST", "fault", obj),
    revoke: () => call("POST", "revoke", {}),
    stats: () => call("GET", "stats"),
    reset: () => call("POST", "reset", {}),
  };
}

/** Which runtime runs the suite (called from makeContext, never at module load). */
export function detectRuntime() {
  if (typeof navigator !== "undefined" && navigator.userAgent === "Cloudflare-Workers") return "workerd";
  if (typeof Deno !== "undefined") return "deno";
  if (typeof process !== "undefined" && process.versions && process.versions.node) return "node";
  if (typeof window !== "undefined") return "browser";
  return "unknown";
}

const CALL_LIMIT_MS = 8000;

/** p, or a rejection if p has not settled within ms. */
export function settleWithin(p, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

function watchClient(client) {
  return new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      const name = typeof prop === "symbol" ? `[${prop.description}]` : prop;
      return function watched(...args) {
        const result = value.apply(target, args);
        if (result && typeof result.then === "function") {
          return settleWithin(result, CALL_LIMIT_MS, `client.${name}(${args.map((a) => describeArg(a)).join(", ")})`);
        }
        return result;
      };
    },
  });
}

function describeArg(a) {
  if (typeof a === "string") return JSON.stringify(a.length > 60 ? `${a.slice(0, 60)}…` : a);
  if (typeof URL !== "undefined" && a instanceof URL) return `URL(${a.href})`;
  if (typeof Request !== "undefined" && a instanceof Request) return `Request(${a.method} ${a.url})`;
  if (a && typeof a === "object") return "{…}";
  return String(a);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The code for a token endpoint's status when its body names no OAuth2 error other than invalid_client/invalid_grant. */
function statusCode(status) {
  if (status === 400 || status === 401) return "invalid_credentials";
  if (status === 415) return "invalid_request";
  if (status === 403) return "forbidden";
  if (status === 429) return "rate_limited";
  if (status >= 500 && status <= 599) return "server_error";
  return undefined;
}

/**
 * The scenario context. Additions beyond the documented shape (helpers used
 * by the scenarios) are fine: runners only pass the four inputs.
 */
export function makeContext({ AuthClient, AuthError, emulatorUrl, ns }) {
  if (typeof AuthClient !== "function") throw new Error("makeContext: AuthClient is missing");
  if (typeof AuthError !== "function") throw new Error("makeContext: AuthError is missing");
  const emu = String(emulatorUrl).replace(/\/+$/, "");
  const base = `${emu}/t/${ns}`;
  const creds = SAMPLE_CREDENTIALS;
  const secrets = new Set([...credentialSecrets(creds), ...Object.values(WRONG)]);
  const clients = [];

  const ctx = {
    AuthClient,
    AuthError,
    emulatorUrl: emu,
    ns,
    base,
    creds,
    /** "node", "deno", "workerd", "browser": only for behaviour docs/API.md ties to a runtime. */
    runtime: detectRuntime(),
    control: makeControl(base),
    assert,
    sleep,
    secrets,
    DIALECTS,
    TOKEN_PATHS,
    UNION_REFRESH_PATH,
    WRONG,
    /** Credential values only (no tokens): what TokenInfo may never contain. */
    credentialSecrets: [...credentialSecrets(creds), ...Object.values(WRONG)],

    /** Another namespace owned by this scenario. */
    sub(suffix) {
      const b = `${emu}/t/${ns}-${suffix}`;
      return { base: b, control: makeControl(b) };
    },

    /** Remember a token (or refresh token) as a secret no error may contain. */
    track(value) {
      if (typeof value === "string" && value.length >= 8) secrets.add(value);
      return value;
    },

    /**
     * new AuthClient(options), freed when the scenario ends. Returned behind a
     * thin proxy: a method's promise that does not settle within
     * CALL_LIMIT_MS fails the scenario with a clear message instead of
     * hanging it (synchronous results and throws pass through unchanged).
     */
    client(options) {
      const c = arguments.length === 0 ? new AuthClient() : new AuthClient(options);
      clients.push(c);
      return watchClient(c);
    },

    /** Options for a dialect against this namespace, with the sample credentials. */
    options(provider, extra = {}) {
      return { provider, baseUrl: base, ...creds[provider], ...extra };
    },

    dialectClient(provider, extra = {}) {
      return ctx.client(ctx.options(provider, extra));
    },

    /** Free every client this scenario created (idempotent; errors ignored). */
    cleanup() {
      while (clients.length) {
        const c = clients.pop();
        try {
          c.free();
        } catch {
          /* free() of a freed client is tested separately */
        }
      }
    },

    /** Checks an AuthError: class, name, code, status, messages, no secrets. */
    checkAuthError(err, { code, status, label } = {}) {
      const where = label ? `${label}: ` : "";
      if (!(err instanceof AuthError)) {
        assert.fail(
          `${where}expected an AuthError${code ? ` with code ${code}` : ""}, got ` +
            (err instanceof Error ? `${err.name}: ${err.message}` : assert.show(err)),
        );
      }
      assert.ok(err instanceof Error, `${where}AuthError must extend Error`);
      assert.equal(err.name, "AuthError", `${where}err.name`);
      if (code !== undefined) {
        assert.equal(err.code, code, `${where}err.code (message: ${assert.show(err.message)})`);
      }
      if (status === null) {
        assert.ok(err.status === undefined || err.status === null, `${where}err.status should be absent, got ${assert.show(err.status)}`);
      } else if (status !== undefined) {
        assert.equal(err.status, status, `${where}err.status (code ${err.code}, message ${assert.show(err.message)})`);
      }
      assert.ok(Array.isArray(err.messages), `${where}err.messages must be an array, got ${assert.show(err.messages)}`);
      for (const m of err.messages) assert.type(m, "string", `${where}each of err.messages`);
      assert.type(err.message, "string", `${where}err.message`);
      assert.ok(err.message.length > 0, `${where}err.message must not be empty`);
      if (typeof err.status === "number" && err.status >= 400) {
        assert.includes(err.message, String(err.status), `${where}err.message names the status`);
      }
      for (const m of err.messages) assert.includes(err.message, m, `${where}err.message includes the vendor message`);
      assert.noSecrets(err, [...secrets], `${where}AuthError leaks`);
      return err;
    },

    /** fnOrPromise must reject (not throw synchronously) with an AuthError. */
    async expectAuthError(fnOrPromise, expected = {}) {
      const err = await assert.rejects(fnOrPromise, `${expected.label ? `${expected.label}: ` : ""}expected an AuthError ${expected.code ?? ""}`);
      return ctx.checkAuthError(err, expected);
    },

    /** fn must throw synchronously an AuthError invalid_config naming `option`. */
    expectConfigError(fn, option, label) {
      const where = label ?? `invalid option ${option}`;
      const err = assert.throws(fn, `${where}: new AuthClient should throw synchronously`);
      ctx.checkAuthError(err, { code: "invalid_config", status: null, label: where });
      if (option) assert.includes(err.message, option, `${where}: the message names the option`);
      return err;
    },

    /** Expected error code for an HTTP status from a token endpoint. */
    statusCode,

    async stats(control = ctx.control) {
      return control.stats();
    },

    /** Asserts the namespace's token request counters. */
    async expectTokenRequests(expected, label = "token requests", control = ctx.control) {
      const st = await control.stats();
      if (typeof expected === "number") {
        assert.equal(st.totalTokenRequests, expected, `${label}: totalTokenRequests`);
      } else {
        const counts = {};
        for (const k of Object.keys(expected)) counts[k] = st.tokenRequests?.[k] ?? 0;
        assert.deepEqual(counts, expected, `${label}: tokenRequests`);
        const total = Object.values(expected).reduce((a, b) => a + b, 0);
        assert.equal(st.totalTokenRequests, total, `${label}: totalTokenRequests`);
      }
      return st;
    },

    /** Parses an emulator API echo, asserting 200. */
    async echo(res, label = "API response") {
      assert.ok(res && typeof res.status === "number", `${label}: expected a Response, got ${assert.show(res)}`);
      const text = await res.text();
      assert.equal(res.status, 200, `${label}: status (body ${assert.show(text, 200)})`);
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        assert.fail(`${label}: the emulator's echo is not JSON: ${assert.show(text, 200)}`);
      }
      return body;
    },

    /** The echoed path relative to this namespace (the emulator may or may not strip /t/<ns>). */
    echoPath(echo, nsBase = base) {
      const prefix = new URL(nsBase).pathname;
      const p = String(echo.path);
      return p.startsWith(`${prefix}/`) || p === prefix ? p.slice(prefix.length) || "/" : p;
    },

    /** Calls the emulator's API directly with a token; returns the status. */
    async apiStatus(token, path = "/whoami", nsBase = base) {
      const res = await fetch(`${nsBase}${path}`, { headers: { authorization: `Bearer ${token}` } });
      await res.text();
      return res.status;
    },

    /** POSTs a raw token request (to learn what the emulator answers). */
    async rawToken(provider, body, nsBase = base) {
      const res = await fetch(`${nsBase}${TOKEN_PATHS[provider]}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      let json;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, text, json };
    },

    /**
     * A fetch that records each request (url, method, headers, body) and
     * remembers tokens seen in JSON responses as secrets. Wraps `inner`
     * (default: globalThis.fetch at call time). Not for streaming bodies.
     */
    recorder(inner) {
      const log = [];
      const f = async (input, init) => {
        const entry = { url: undefined, method: undefined, headers: {}, body: undefined, status: undefined, response: undefined };
        log.push(entry);
        try {
          const req = new Request(input instanceof Request ? input.clone() : input, init);
          entry.url = req.url;
          entry.method = req.method;
          req.headers.forEach((v, k) => {
            entry.headers[k] = v;
          });
          entry.body = req.body ? await req.text() : undefined;
        } catch (e) {
          entry.recordError = String(e && e.message);
        }
        const res = await (inner ?? ((i, n) => globalThis.fetch(i, n)))(input, init);
        entry.status = res.status;
        try {
          const text = await res.clone().text();
          entry.response = text;
          const j = JSON.parse(text);
          for (const k of ["access_token", "accessToken", "token", "refresh_token", "refreshToken"]) ctx.track(j?.[k]);
        } catch {
          /* not JSON */
        }
        return res;
      };
      f.log = log;
      return f;
    },

    /**
     * A fake fetch (never touches the network): handler(entry) returns
     * { status, json?, text?, headers? }. Entries are recorded like recorder().
     */
    fakeFetch(handler) {
      const log = [];
      const f = async (input, init) => {
        const req = new Request(input instanceof Request ? input.clone() : input, init);
        const entry = { url: req.url, method: req.method, headers: {}, body: undefined };
        req.headers.forEach((v, k) => {
          entry.headers[k] = v;
        });
        entry.body = req.body ? await req.text() : undefined;
        log.push(entry);
        const out = (await handler(entry)) ?? { status: 404, json: { errors: ["not found"] } };
        const headers = { ...(out.headers ?? {}) };
        let body = out.text;
        if (out.json !== undefined) {
          body = JSON.stringify(out.json);
          headers["content-type"] ??= "application/json";
        }
        return new Response(body ?? null, { status: out.status ?? 200, headers });
      };
      f.log = log;
      return f;
    },
  };
  return ctx;
}
