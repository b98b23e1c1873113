// The credential tester. Loads the real edge-auth package (the import map maps
// "edge-auth" to /pkg/streaming.js, the entry that fetches the .wasm file) and drives one AuthClient from the form.
//
// Secrets live in this module's memory only; storage is touched solely when
// the person ticks "Remember on this device".
import { VENDORS, COMMON_ADVANCED, ERROR_HINTS, PROXY_HINTS, SANDBOX, CUSTOM, apiHint } from "./vendors.mjs";
import { mask, maskAuthorization, redact, decodeJwt, TIME_CLAIMS, formatDuration, formatTime, prettyBody, describeUrl } from "./format.mjs";

const $ = (id) => document.getElementById(id);
const ORIGIN = location.origin;
const STORE_KEY = "edge-auth-demo";
const API_CALL = Symbol("edge-auth-demo: API call"); // marks the page's own client.fetch calls
const MAX_BODY_SHOWN = 200_000;

const state = {
  edgeAuth: null, // { AuthClient, AuthError }
  config: null, // /demo-config.json
  vendor: "younium",
  env: {}, // vendor → environment id
  customUrl: {}, // vendor → typed base URL
  values: {}, // vendor → { field → value }
  apiPath: {}, // vendor → path
  client: null,
  clientKey: null,
  info: null, // TokenInfo on display
  revealed: false,
  requests: [], // what the client sent, recorded by recordingFetch (no bodies)
  knownTokens: new Set(),
  userFlight: 0,
  apiFlight: 0,
  lastTokenAt: 0,
  // One emulator namespace per tab, so lifetimes set here never touch other users.
  namespace: `demo-${crypto.getRandomValues(new Uint32Array(1))[0].toString(36)}`,
  sandboxTtlSet: undefined,
  registered: new Set(),
};

// ---------------------------------------------------------------------------
// small DOM helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c);
  return node;
}

function announce(text) {
  const region = $("announce");
  region.textContent = "";
  setTimeout(() => (region.textContent = text), 30);
}

function show(id, visible) {
  $(id).hidden = !visible;
}

// ---------------------------------------------------------------------------
// the form

const vendor = () => VENDORS[state.vendor];
const envOf = (v = state.vendor) => VENDORS[v].environments.find((e) => e.id === (state.env[v] ?? SANDBOX)) ?? VENDORS[v].environments[0];
const valuesOf = (v = state.vendor) => (state.values[v] ??= {});

function renderVendors() {
  const grid = $("vendor-grid");
  grid.replaceChildren(
    ...Object.entries(VENDORS).map(([id, v]) =>
      el(
        "label",
        { class: "vendor-card", for: `vendor-${id}` },
        el("input", { type: "radio", name: "vendor", id: `vendor-${id}`, value: id, checked: id === state.vendor }),
        el("span", { class: "vendor-name", text: v.label }),
        el("span", { class: "vendor-tag", text: v.tagline }),
        el("code", { class: "vendor-id", text: id }),
      ),
    ),
  );
}

function fieldNode(f) {
  const id = `f-${f.name}`;
  const hintId = `h-${f.name}`;
  const value = valuesOf()[f.name] ?? "";
  if (f.choices) {
    const current = value || f.choices[0][0];
    return el(
      "fieldset",
      { class: "field choice", "aria-describedby": hintId },
      el("legend", { text: f.label }),
      el(
        "div",
        { class: "choice-row" },
        f.choices.map(([v, label]) =>
          el("label", { class: "choice-item" }, el("input", { type: "radio", name: f.name, value: v, checked: v === current, "data-field": f.name }), " ", label),
        ),
      ),
      el("p", { class: "hint", id: hintId, text: f.hint }),
    );
  }
  const input = el("input", {
    id,
    name: f.name,
    type: f.secret ? "password" : f.number ? "number" : "text",
    inputmode: f.url ? "url" : f.number ? "numeric" : undefined,
    autocomplete: "off",
    spellcheck: "false",
    autocapitalize: "off",
    placeholder: f.placeholder,
    "aria-describedby": hintId,
    "data-field": f.name,
  });
  input.value = value;
  const row = el("div", { class: "input-row" }, input);
  if (f.secret) {
    const toggle = el("button", { type: "button", class: "btn btn-small btn-quiet", "aria-pressed": "false", "aria-controls": id, text: "Show" });
    toggle.setAttribute("aria-label", `Show ${f.label}`);
    toggle.addEventListener("click", () => {
      const showing = input.type === "text";
      input.type = showing ? "password" : "text";
      toggle.setAttribute("aria-pressed", String(!showing));
      toggle.textContent = showing ? "Show" : "Hide";
    });
    row.append(toggle);
  }
  if (f.file) {
    // Read into the field (this page's memory), never uploaded or stored.
    const picker = el("input", { type: "file", hidden: true, "aria-hidden": "true", tabindex: "-1" });
    const choose = el("button", { type: "button", class: "btn btn-small btn-quiet", text: "File…" });
    choose.setAttribute("aria-label", `Pick ${f.label} from a file`);
    choose.addEventListener("click", () => picker.click());
    picker.addEventListener("change", async () => {
      const file = picker.files?.[0];
      if (!file) return;
      input.value = (await file.text()).trim();
      picker.value = "";
      readForm();
      announce(`${f.label} read from ${file.name}.`);
    });
    row.append(choose, picker);
  }
  return el(
    "div",
    { class: "field" },
    el("label", { for: id }, f.label, f.optional ? el("span", { class: "optional", text: " optional" }) : null),
    row,
    el("p", { class: "hint", id: hintId, text: f.hint }),
  );
}

function renderForm() {
  const v = vendor();
  const env = envOf();
  const select = $("environment");
  select.replaceChildren(...v.environments.map((e) => el("option", { value: e.id, selected: e.id === env.id, text: e.label })));
  $("environment-hint").textContent = env.hint;
  show("custom-url-field", env.id === CUSTOM);
  $("custom-url").placeholder = env.placeholder ?? "https://";
  $("custom-url").value = state.customUrl[state.vendor] ?? "";
  show("proxy-note", env.id !== SANDBOX);
  show("lifetime-field", env.id === SANDBOX);
  $("vendor-note").textContent = v.note;
  $("credential-fields").replaceChildren(...v.fields.filter((f) => !f.advanced).map(fieldNode));
  $("advanced-fields").replaceChildren(...[...v.fields.filter((f) => f.advanced), ...COMMON_ADVANCED].map(fieldNode));
  $("api-path").value = state.apiPath[state.vendor] ?? v.apiPath;
}

/** Reads the visible form into state.values. */
function readForm() {
  const values = valuesOf();
  for (const input of document.querySelectorAll("#setup [data-field]")) {
    if (input.type === "radio") {
      if (input.checked) values[input.dataset.field] = input.value;
    } else {
      values[input.dataset.field] = input.value;
    }
  }
  state.customUrl[state.vendor] = $("custom-url").value;
  state.apiPath[state.vendor] = $("api-path").value;
}

function clearInvalid() {
  for (const node of document.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

/** The sandbox's Google service account key file, its token_uri through the sandbox path. */
async function sampleServiceAccount() {
  const res = await fetch(`${sandboxBase()}/__emulator/google-service-account`);
  const account = await res.json();
  account.token_uri = `${sandboxBase()}/google/token`;
  return JSON.stringify(account);
}

/** A P-256 key made in the page, its public half registered with the sandbox: a private_key_jwt sample. */
async function sampleKeyPair() {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const pub = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const kid = `demo-${crypto.getRandomValues(new Uint32Array(1))[0].toString(36)}`;
  await fetch(`${sandboxBase()}/__emulator/client-key`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ alg: "ES256", kid, jwk: { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y } }) });
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const b64 = btoa(String.fromCharCode(...der));
  return { pem: `-----BEGIN PRIVATE KEY-----\n${b64.replace(/.{64}/g, "$&\n").trimEnd()}\n-----END PRIVATE KEY-----`, kid };
}

async function fillSamples() {
  readForm();
  if (state.vendor === "google") {
    state.env.google = SANDBOX;
    Object.assign(valuesOf(), { serviceAccount: await sampleServiceAccount(), scope: "https://www.googleapis.com/auth/cloud-platform" });
    renderForm();
    clearInvalid();
    saveIfRemembered();
    announce(`The sandbox's service account key filled in. Press Get token.`);
    $("get-token").focus();
    return;
  }
  if (state.vendor === "oauth2" && valuesOf().clientAuth === "private_key_jwt") {
    const { pem, kid } = await sampleKeyPair();
    Object.assign(valuesOf(), { privateKey: pem, keyId: kid });
  }
  const samples = state.config?.samples?.[state.vendor];
  if (!samples) return;
  state.env[state.vendor] = SANDBOX;
  const values = valuesOf();
  for (const f of vendor().fields) if (f.sample) values[f.name] = samples[f.sample];
  renderForm();
  clearInvalid();
  saveIfRemembered();
  announce(`Sample credentials for the built-in sandbox filled in. Press Get token.`);
  $("get-token").focus();
}

// ---------------------------------------------------------------------------
// remember on this device (off by default: then storage is never written)

function snapshot() {
  readForm();
  return { vendor: state.vendor, env: state.env, customUrl: state.customUrl, values: state.values, apiPath: state.apiPath, autoRefresh: $("auto-refresh").checked };
}

function storages() {
  const out = {};
  try {
    out.session = window.sessionStorage;
  } catch {
    /* storage disabled */
  }
  try {
    out.local = window.localStorage;
  } catch {
    /* storage disabled */
  }
  return out;
}

function saveIfRemembered() {
  if (!$("remember").checked) return;
  const where = $("remember-where").value;
  const s = storages();
  try {
    s[where]?.setItem(STORE_KEY, JSON.stringify(snapshot()));
    const other = where === "session" ? s.local : s.session;
    if (other?.getItem(STORE_KEY) !== null) other?.removeItem(STORE_KEY);
  } catch (e) {
    announce(`Could not save: ${e.message}`);
  }
}

function eraseStored() {
  for (const storage of Object.values(storages())) {
    try {
      if (storage.getItem(STORE_KEY) !== null) storage.removeItem(STORE_KEY);
    } catch {
      /* nothing to erase */
    }
  }
}

function restoreRemembered() {
  const s = storages();
  for (const where of ["session", "local"]) {
    let raw = null;
    try {
      raw = s[where]?.getItem(STORE_KEY) ?? null;
    } catch {
      raw = null;
    }
    if (!raw) continue;
    try {
      const saved = JSON.parse(raw);
      if (VENDORS[saved.vendor]) state.vendor = saved.vendor;
      Object.assign(state.env, saved.env);
      Object.assign(state.customUrl, saved.customUrl);
      Object.assign(state.values, saved.values);
      Object.assign(state.apiPath, saved.apiPath);
      $("auto-refresh").checked = saved.autoRefresh !== false;
      $("remember").checked = true;
      $("remember-where").value = where;
      show("remember-where-field", true);
      return true;
    } catch {
      /* unreadable: ignore */
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// the proxy and the sandbox

class PageError extends Error {
  constructor(code, message, { status, messages = [], field } = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.messages = messages;
    this.field = field;
  }
}

async function registerOrigin(origin) {
  if (state.registered.has(origin) || state.config?.vendorOrigins?.includes(origin)) return;
  let res;
  try {
    res = await fetch("/proxy-allow", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ origin }) });
  } catch (e) {
    throw new PageError("network", `The demo server did not answer (${e.message}). Is it still running?`);
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new PageError(body.error ?? "proxy_refused", body.message ?? `the proxy refused ${origin}`, { status: res.status, field: "customUrl" });
  state.registered.add(body.origin ?? origin);
}

/** A URL typed into the page, as the client should call it: same origin as is, anything else through the proxy. */
async function route(typed, field) {
  let text = String(typed).trim();
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) text = `https://${text}`;
  let u;
  try {
    u = new URL(text);
  } catch {
    throw new PageError("invalid_config", `${JSON.stringify(typed)} is not a URL`, { field });
  }
  if (u.origin === ORIGIN) return u.href.replace(/\/$/, "");
  await registerOrigin(u.origin);
  const rest = `${u.pathname === "/" ? "" : u.pathname}${u.search}`;
  return `${ORIGIN}/proxy/${encodeURIComponent(u.origin)}${rest}`;
}

/** An absolute URL typed as an API path goes through the proxy (never directly), which refuses what is not allowed. */
function routeApiPath(path) {
  const p = path.trim() || "/";
  if (/^https?:\/\//i.test(p)) {
    const u = new URL(p);
    if (u.origin === ORIGIN) return u.href;
    return `${ORIGIN}/proxy/${encodeURIComponent(u.origin)}${u.pathname}${u.search}`;
  }
  return p.startsWith("/") || p.startsWith("?") ? p : `/${p}`;
}

const sandboxBase = () => `${ORIGIN}/sandbox/t/${state.namespace}`;

async function applySandboxLifetime() {
  const value = $("lifetime").value;
  const ttl = value === "" ? null : Number(value);
  if (ttl === state.sandboxTtlSet || (ttl === null && state.sandboxTtlSet === undefined)) return;
  await fetch(`${sandboxBase()}/__emulator/config`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ttlSeconds: ttl }) });
  state.sandboxTtlSet = ttl;
}

// ---------------------------------------------------------------------------
// the client

/** Records what the client sends (method, URL, headers with credentials masked; never a body). */
function recordingFetch(input, init = {}) {
  const kind = init?.[API_CALL] ? "api" : "token";
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const method = init?.method ?? input?.method ?? "GET";
  const headers = [...new Headers(init?.headers ?? input?.headers ?? {})].map(([k, v]) => [k, k === "authorization" ? maskAuthorization(v) : v]);
  const started = performance.now();
  const record = { kind, url, method, headers, at: Date.now(), status: undefined, ms: undefined, error: undefined };
  state.requests.push(record);
  if (state.requests.length > 200) state.requests.splice(0, 100);
  const pending = fetch(input, init);
  pending.then(
    (res) => {
      record.status = res.status;
      record.ms = performance.now() - started;
    },
    (e) => {
      record.error = e?.name === "TimeoutError" ? "timed out" : "failed";
      record.ms = performance.now() - started;
    },
  );
  return pending;
}

async function buildOptions() {
  readForm();
  const v = vendor();
  const env = envOf();
  const values = valuesOf();
  const options = { provider: state.vendor, autoRefresh: $("auto-refresh").checked };
  for (const f of [...v.fields, ...COMMON_ADVANCED]) {
    const raw = values[f.name] ?? "";
    const text = typeof raw === "string" ? raw : String(raw);
    if (f.choices) {
      // "auto": the option is left out, so the library detects it.
      const chosen = text || f.choices[0][0];
      if (chosen !== "auto") options[f.name] = chosen;
    } else if (f.optional) {
      if (text.trim() === "") continue;
      if (f.number) options[f.name] = Number(text);
      else if (f.url) options[f.name] = await route(text, f.name);
      else options[f.name] = text;
    } else {
      options[f.name] = text; // empty or not: the library names what is missing
    }
  }
  if (env.id === SANDBOX) {
    options.baseUrl = sandboxBase();
  } else if (env.id === CUSTOM) {
    const typed = (state.customUrl[state.vendor] ?? "").trim();
    if (!typed) throw new PageError("invalid_config", "Type the base URL of your environment (or pick the built-in sandbox).", { field: "customUrl" });
    options.baseUrl = await route(typed, "customUrl");
  } else {
    options.baseUrl = `${ORIGIN}/proxy/${encodeURIComponent(env.origin)}`;
  }
  return options;
}

function onToken(info) {
  const request = state.requests.findLast((r) => r.kind === "token");
  const why = state.userFlight > 0 ? "acquired" : state.apiFlight > 0 ? "acquired for the API call" : "refreshed by the auto-refresh timer";
  state.knownTokens.add(info.accessToken);
  logEntry(info, why, request);
  state.lastTokenAt = Date.now();
  if (state.userFlight === 0 && state.info) {
    state.info = info;
    renderToken(info, { request, ms: request?.ms, cached: false, refreshed: true });
  }
}

async function ensureClient() {
  const { AuthClient } = state.edgeAuth;
  const options = await buildOptions();
  if (envOf().id === SANDBOX) await applySandboxLifetime();
  const key = JSON.stringify(options);
  if (state.client && state.clientKey === key) return state.client;
  releaseClient();
  state.client = new AuthClient({ ...options, fetch: recordingFetch, onToken });
  state.clientKey = key;
  return state.client;
}

function releaseClient() {
  state.client?.free();
  state.client = null;
  state.clientKey = null;
}

// ---------------------------------------------------------------------------
// results: token

function setBusy(text) {
  show("busy", Boolean(text));
  if (text) $("busy-text").textContent = text;
  for (const id of ["get-token", "new-token", "api-send"]) $(id).disabled = Boolean(text);
}

/** On a phone the results sit below the form: bring them into view (focus stays where it is). */
function revealIfBelow(node) {
  const box = node.getBoundingClientRect();
  if (box.top > window.innerHeight - 80 || box.bottom < 0) {
    const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    node.scrollIntoView({ block: "start", behavior: smooth ? "smooth" : "auto" });
  }
}

function tokenShown() {
  return state.revealed ? state.info.accessToken : mask(state.info.accessToken);
}

function jsonWithTimes(obj) {
  const text = JSON.stringify(obj, null, 2);
  // Annotate NumericDate claims: "exp": 1735689600  // 14:02:11
  return text.replace(/^(\s*"(\w+)": )(\d{9,11})(,?)$/gm, (line, head, name, num, comma) =>
    TIME_CLAIMS.includes(name) ? `${head}${num}${comma}  // ${new Date(Number(num) * 1000).toLocaleString()}` : line,
  );
}

function renderToken(info, { request, ms, cached, refreshed = false }) {
  state.info = info;
  show("token-empty", false);
  show("token-error", false);
  show("token-result", true);
  const status = $("token-status");
  status.className = "status status-ok";
  if (cached) status.textContent = "✓ Valid token from the client's cache — no request was needed";
  else if (refreshed) status.textContent = `✓ Token renewed${request?.status ? ` · HTTP ${request.status}` : ""}`;
  else status.textContent = `✓ Token acquired${request?.status ? ` · HTTP ${request.status}` : ""}`;
  $("token-request").textContent = request && !cached ? `${request.method} ${describeUrl(request.url, ORIGIN)}` : "";
  $("token-time").textContent = cached
    ? `${ms.toFixed(0)} ms (from cache)`
    : `${Math.round(ms ?? 0)} ms${request?.ms !== undefined && Math.abs(request.ms - ms) > 5 ? ` (HTTP ${Math.round(request.ms)} ms)` : ""}`;
  $("token-value").textContent = tokenShown();
  $("token-type").textContent = info.tokenType;
  show("scope-row", Boolean(info.scope));
  $("token-scope").textContent = info.scope ?? "";
  show("refresh-expiry-row", info.refreshExpiresAt !== undefined);
  const jwt = decodeJwt(info.accessToken);
  show("jwt", Boolean(jwt));
  show("jwt-opaque", !jwt);
  if (jwt) {
    $("jwt-header").textContent = jsonWithTimes(jwt.header);
    $("jwt-claims").textContent = jsonWithTimes(jwt.claims);
  }
  tick();
}

function tick() {
  const info = state.info;
  if (!info) return;
  const now = Date.now();
  const left = info.expiresAt - now;
  const countdown = $("countdown");
  countdown.textContent = left > 0 ? formatDuration(left) : "expired";
  countdown.classList.toggle("soon", left > 0 && left < 60_000);
  countdown.classList.toggle("expired", left <= 0);
  $("expires-at").textContent = `at ${formatTime(info.expiresAt, now)}`;
  if (info.refreshExpiresAt !== undefined) {
    const r = info.refreshExpiresAt - now;
    $("refresh-countdown").textContent = r > 0 ? `usable for ${formatDuration(r)} (until ${formatTime(info.refreshExpiresAt, now)})` : "expired: the next renewal signs in again";
  }
}

function errorBox(container, e, { context }) {
  const code = e?.code ?? "error";
  const messages = Array.isArray(e?.messages) ? e.messages : [];
  const proxyCode = messages.find((m) => PROXY_HINTS[m]) ?? (PROXY_HINTS[code] ? code : null);
  let hint = proxyCode ? PROXY_HINTS[proxyCode] : ERROR_HINTS[code] ?? "";
  if (code === "invalid_config" && /https|http:/i.test(e.message)) hint = "Tokens travel over HTTPS only: use an https:// URL (http:// is accepted for loopback hosts alone).";
  if (proxyCode === "proxy_refused" && /HTTPS|http:/.test(`${e.message} ${messages.join(" ")}`)) {
    hint = "Tokens travel over HTTPS only: type an https:// URL (http:// is accepted for loopback hosts alone).";
  }
  if (code === "forbidden" && !proxyCode && !state.vendor.startsWith("younium")) hint = "403 Forbidden: the endpoint refused this client. Check the user's permissions and the environment.";
  const vendorMessages = messages.filter((m) => m !== proxyCode);
  const parts = [
    el(
      "p",
      { class: "error-title" },
      el("span", { class: "badge badge-error", text: "Error" }),
      " ",
      el("code", { class: "error-code", text: code }),
      e?.status !== undefined ? el("span", { class: "error-status", text: ` HTTP ${e.status}` }) : null,
      el("span", { class: "muted", text: ` · ${context}` }),
    ),
    el("p", { class: "error-message", text: e?.message ?? String(e) }),
    vendorMessages.length
      ? el("div", { class: "vendor-messages" }, el("p", { class: "label", text: proxyCode ? "The local proxy said:" : "The vendor said:" }), el("ul", {}, vendorMessages.map((m) => el("li", { text: m }))))
      : null,
    hint ? el("p", { class: "error-hint" }, el("strong", { text: "Hint: " }), hint) : null,
  ];
  container.replaceChildren(...parts.filter(Boolean));
  container.hidden = false;
  container.setAttribute("role", "alert");
  // Point at the field the error names.
  const field = e?.field ?? /option `(\w+)`/.exec(e?.message ?? "")?.[1];
  const input = field === "customUrl" ? $("custom-url") : field === "baseUrl" && envOf().id === CUSTOM ? $("custom-url") : document.querySelector(`#setup [data-field="${field}"]`);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    if (input.closest("details")) input.closest("details").open = true;
  }
}

function showTokenError(e) {
  state.info = null;
  show("token-empty", false);
  show("token-result", false);
  errorBox($("token-error"), e, { context: "getting a token" });
  revealIfBelow($("token-title"));
  announce(`Error: ${e?.code ?? "error"}. ${e?.messages?.[0] ?? e?.message ?? ""}`);
}

async function getToken({ fresh = false } = {}) {
  if (!state.edgeAuth) return;
  clearInvalid();
  setBusy(fresh ? "Asking for a new token…" : "Asking for a token…");
  state.userFlight++;
  try {
    const client = await ensureClient();
    if (fresh) client.invalidate();
    const before = state.requests.length;
    const started = performance.now();
    await client.getToken();
    const info = await client.tokenInfo();
    const ms = performance.now() - started;
    const tokenRequests = state.requests.slice(before).filter((r) => r.kind === "token");
    state.knownTokens.add(info.accessToken);
    renderToken(info, { request: tokenRequests.at(-1), ms, cached: tokenRequests.length === 0 });
    revealIfBelow($("token-title"));
    announce(tokenRequests.length ? `Token acquired. Expires in ${formatDuration(info.expiresAt - Date.now())}.` : "The cached token is still valid.");
  } catch (e) {
    showTokenError(e);
  } finally {
    state.userFlight--;
    setBusy(null);
    saveIfRemembered();
  }
}

function forget() {
  releaseClient();
  state.info = null;
  state.revealed = false;
  $("reveal").setAttribute("aria-pressed", "false");
  $("reveal").textContent = "Reveal";
  show("token-result", false);
  show("token-error", false);
  show("token-empty", true);
  show("api-result", false);
  show("api-error", false);
  announce("Client released; token forgotten.");
}

// ---------------------------------------------------------------------------
// refresh log

function logEntry(info, why, request) {
  const item = el(
    "li",
    { class: why.startsWith("refreshed") ? "log-refresh" : "" },
    el("time", { datetime: new Date().toISOString(), text: formatTime(Date.now()) }),
    " ",
    el("span", { class: "log-vendor", text: state.vendor }),
    " ",
    el("strong", { text: why }),
    ` · ${mask(info.accessToken)} · expires ${formatTime(info.expiresAt)}`,
    request ? el("span", { class: "muted", text: ` · ${request.method} ${describeUrl(request.url, ORIGIN).replace(/\?.*$/, "")}` }) : null,
  );
  const log = $("refresh-log");
  log.prepend(item);
  while (log.children.length > 50) log.lastElementChild.remove();
  show("log-empty", false);
}

// ---------------------------------------------------------------------------
// results: API call

function headerRows(tbody, entries) {
  tbody.replaceChildren(
    ...entries.map(([k, v]) => el("tr", {}, el("th", { scope: "row", text: k }), el("td", {}, el("code", { text: v })))),
  );
}

async function sendApi() {
  if (!state.edgeAuth) return;
  clearInvalid();
  show("api-error", false);
  setBusy("Calling the API…");
  state.apiFlight++;
  try {
    const client = await ensureClient();
    const method = $("api-method").value;
    const target = routeApiPath($("api-path").value);
    const init = { method, [API_CALL]: true };
    const body = $("api-body").value;
    if (!["GET", "HEAD"].includes(method) && body.trim() !== "") init.body = body;
    const before = state.requests.length;
    const started = performance.now();
    const res = await client.fetch(target, init);
    const text = await res.text();
    const ms = performance.now() - started;
    const sent = state.requests.slice(before).filter((r) => r.kind === "api");
    const last = sent.at(-1);
    const secrets = [...state.knownTokens];
    const proxyRefused = res.headers.get("x-edge-auth-proxy") === "refused";

    const status = $("api-status");
    status.className = `status ${res.ok ? "status-ok" : "status-bad"}`;
    status.textContent = `${res.ok ? "✓" : "✗"} ${res.status} ${res.statusText || ""} · ${Math.round(ms)} ms${sent.length > 1 ? " · retried once with a fresh token after a 401" : ""}`;
    const hint = apiHint(res.status, { vendor: state.vendor, proxyRefused });
    $("api-hint").textContent = hint;
    show("api-hint", Boolean(hint));
    $("api-request-line").textContent = last ? `${last.method} ${describeUrl(last.url, ORIGIN)}` : `${method} ${target}`;
    headerRows($("api-sent-headers").tBodies[0], last?.headers ?? []);
    headerRows($("api-response-headers").tBodies[0], [...res.headers].map(([k, v]) => [k, redact(v, secrets)]));
    let shown = redact(prettyBody(text), secrets);
    if (shown.length > MAX_BODY_SHOWN) shown = `${shown.slice(0, MAX_BODY_SHOWN)}\n… (${shown.length - MAX_BODY_SHOWN} more characters not shown)`;
    $("api-response-body").textContent = shown || "(empty body)";
    show("api-result", true);
    revealIfBelow($("api-status"));
    announce(`API answered ${res.status}.`);
  } catch (e) {
    show("api-result", false);
    errorBox($("api-error"), e, { context: "calling the API" });
    announce(`Error: ${e?.code ?? "error"}.`);
  } finally {
    state.apiFlight--;
    setBusy(null);
  }
}

// ---------------------------------------------------------------------------
// wiring

function wire() {
  $("vendor-grid").addEventListener("change", (ev) => {
    if (ev.target.name !== "vendor") return;
    readForm();
    state.vendor = ev.target.value;
    forget();
    renderForm();
    saveIfRemembered();
  });
  $("environment").addEventListener("change", () => {
    readForm();
    state.env[state.vendor] = $("environment").value;
    renderForm();
    saveIfRemembered();
    if (envOf().id === CUSTOM) $("custom-url").focus();
  });
  $("setup").addEventListener("input", (ev) => {
    if (ev.target.getAttribute("aria-invalid")) ev.target.removeAttribute("aria-invalid");
    if (ev.target.id === "remember" || ev.target.id === "remember-where") return;
    readForm();
    saveIfRemembered();
  });
  $("setup").addEventListener("submit", (ev) => {
    ev.preventDefault();
    getToken();
  });
  $("use-sample").addEventListener("click", fillSamples);
  $("new-token").addEventListener("click", () => getToken({ fresh: true }));
  $("forget").addEventListener("click", forget);
  $("auto-refresh").addEventListener("change", () => {
    saveIfRemembered();
    // autoRefresh is a constructor option: a new client takes it up.
    if (state.client && state.info) getToken();
  });
  $("remember").addEventListener("change", () => {
    const on = $("remember").checked;
    show("remember-where-field", on);
    if (on) {
      saveIfRemembered();
      announce("The form is now remembered on this device.");
    } else {
      eraseStored();
      announce("Erased from this device's storage.");
    }
  });
  $("remember-where").addEventListener("change", saveIfRemembered);
  $("reveal").addEventListener("click", () => {
    if (!state.info) return;
    state.revealed = !state.revealed;
    $("reveal").setAttribute("aria-pressed", String(state.revealed));
    $("reveal").textContent = state.revealed ? "Hide" : "Reveal";
    $("token-value").textContent = tokenShown();
    $("token-value").setAttribute("aria-label", state.revealed ? "Access token" : "Access token (masked)");
  });
  $("copy").addEventListener("click", async () => {
    if (!state.info) return;
    const button = $("copy");
    try {
      await navigator.clipboard.writeText(state.info.accessToken);
      button.textContent = "Copied ✓";
      announce("Token copied to the clipboard.");
    } catch {
      button.textContent = "Copy failed";
      announce("The browser refused the clipboard; use Reveal and select the token.");
    }
    setTimeout(() => (button.textContent = "Copy"), 1800);
  });
  $("api-method").addEventListener("change", () => show("api-body-field", !["GET", "HEAD"].includes($("api-method").value)));
  $("api-path").addEventListener("input", () => (state.apiPath[state.vendor] = $("api-path").value));
  $("api-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sendApi();
  });
  setInterval(tick, 1000);
}

async function main() {
  restoreRemembered();
  renderVendors();
  renderForm();
  wire();
  try {
    const res = await fetch("/demo-config.json");
    state.config = await res.json();
  } catch {
    state.config = null;
    $("use-sample").disabled = true;
  }
  try {
    state.edgeAuth = await import("edge-auth");
  } catch (e) {
    const box = $("load-error");
    box.replaceChildren(
      el("strong", { text: "The edge-auth package did not load. " }),
      "Build it with ",
      el("code", { text: "make pkg" }),
      " (or run ",
      el("code", { text: "make demo" }),
      `), then reload. (${e.message})`,
    );
    box.hidden = false;
    for (const id of ["get-token", "new-token", "api-send"]) $(id).disabled = true;
    return;
  }
  document.documentElement.dataset.ready = "true";
}

main();
