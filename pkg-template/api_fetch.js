// client.fetch: fetch with the auth headers added (docs/API.md §4).
//
// It lives in JavaScript because it is the hot path. With a fresh cached
// token, which the wasm publishes into `core.slot` (the token, until when it
// is fresh, and its headers) each time it changes, a call makes no wasm call
// at all. Everything else is the wasm's: getting a token (single flight,
// refresh, store), which headers an API call gets (`headerList`), which
// origins the token may go to (`baseUrl`'s and `allowedOrigins`, validated
// by the wasm), dropping a token an API refused, and cleaning an error's text.
//
// - Each call gets headers of its own: nothing the client keeps is handed to
//   `fetch` or to the caller, so a `fetch` wrapper that edits `init.headers`
//   changes only its own call.
// - Values that may come from another realm (an iframe, Vercel's edge
//   sandbox, jsdom) are recognised by their shape or `Symbol.toStringTag`,
//   never with `instanceof`.
//
// `core` is the AuthClient's internal state: { wasm, slot, fetch, base,
// origins, checked, accepted } (`accepted`: the last token an API answered
// with anything but a 401).
// `core.wasm` is undefined once the client is freed.

import { AuthError, abortedError, apiFailure, describeError } from "./auth_error.js";

export const freedError = () => new AuthError("invalid_config", "this AuthClient has been freed; create a new one");
const configError = (message) => new AuthError("invalid_config", message);

// axios's test for an absolute URL: a scheme, then "//".
const ABSOLUTE = /^[a-z][a-z\d+\-.]*:\/\//i;

const toStringTag = (value) => Object.prototype.toString.call(value);
const isRequest = (value) => value !== null && typeof value === "object" && toStringTag(value) === "[object Request]";

export async function apiFetch(core, input, init, call) {
  const initGiven = init !== null && typeof init === "object";
  const body = initGiven ? init.body : undefined;
  const request = isRequest(input) ? input : undefined;

  // What to call fetch with, and for a Request with a body, a copy for the retry.
  let target;
  let replay;
  if (request) {
    checkOrigin(core, request.url);
    replay = request.body !== null && body === undefined ? cloneOf(request) : input;
    target = input;
  } else {
    // A string, a URL object or anything with a string form, as fetch would read it.
    let text;
    if (typeof input === "string") text = input;
    else if (input !== null && (typeof input === "object" || typeof input === "function")) text = String(input);
    else throw configError("client.fetch needs a URL string, a URL or a Request");
    target = resolve(core.base, text);
    checkOrigin(core, target);
  }
  const canRetry = replayable(body) && (replay !== undefined || !request);
  // The caller's signals end the wait for a token; fetch gets init.signal,
  // or call.signal when there is no init.signal.
  const initSignal = initGiven ? signalIn(init.signal) : undefined;
  const callSignal = ownSignal(call);
  const signal = initSignal ?? callSignal;
  const extraSignal = initSignal && callSignal !== initSignal ? callSignal : undefined;
  const initHeaders = initGiven ? init.headers : undefined;
  const callerHeaders = request && initHeaders === undefined ? request.headers : initHeaders;
  const fetch = core.fetch ?? globalThis.fetch;
  if (typeof fetch !== "function") throw configError("no global fetch in this runtime: pass the `fetch` option");

  for (let retried = false; ; retried = true) {
    // (No closures on the common path, where there is no second signal.)
    const token = await (extraSignal ? withSignal(() => tokenFor(core, call, signal), extraSignal) : tokenFor(core, call, signal));
    const headers = headersFor(core, callerHeaders, token, typeof body === "string");
    const callInit = initGiven ? { ...init, headers } : { headers };
    if (!initSignal && callSignal) callInit.signal = callSignal;
    let response;
    try {
      response = await (extraSignal ? withSignal(() => fetch.call(globalThis, target, callInit), extraSignal) : fetch.call(globalThis, target, callInit));
    } catch (error) {
      if (error instanceof AuthError) throw error;
      throw apiFailure(error, (text) => core.wasm?.safeMessage(text, token));
    }
    if (!isResponse(response)) throw apiFailure(new TypeError("fetch resolved to something that is not a Response"));
    if (response.status !== 401) {
      core.accepted = token;
      return response;
    }
    if (retried || !canRetry) return response;
    // The token was refused: drop it (unless someone already replaced it),
    // get another, and send the call again; but a token that replaced a
    // refused one moments ago and was never accepted is kept, and its 401
    // is the answer.
    if (core.wasm && !core.wasm.refuse(token, core.accepted === token)) return response;
    cancel(response);
    if (replay !== undefined) {
      target = replay;
      replay = undefined;
    }
  }
}

/** The token for a call: the published one while it is fresh, else the wasm's. */
function tokenFor(core, call, signal) {
  const { slot, wasm } = core;
  if (slot.token !== undefined && Date.now() < slot.until && !signal?.aborted) {
    // Tells the refresh timer that the token is in use (docs/API.md §6).
    slot.used = true;
    return slot.token;
  }
  if (!wasm) throw freedError();
  return askToken(core, call, signal);
}

/**
 * A token for one caller, on a promise of its own that the wasm settles
 * (made here, in the caller's own request: in workerd a promise made by a
 * request that has ended never settles). The caller's `signal` rejects it
 * as soon as it aborts (at once, without asking, if it already has) and
 * ends only this caller's wait: a token request other callers share goes on.
 * `waitUntil` is read as an own property, as every option is.
 */
export function askToken(core, call, signal) {
  if (signal?.aborted) return Promise.reject(abortedError(signal));
  return new Promise((resolve, reject) => {
    const waitUntil = call !== null && typeof call === "object" && Object.hasOwn(call, "waitUntil") ? call.waitUntil : undefined;
    const listens = typeof signal?.addEventListener === "function";
    let settled = false;
    const onAbort = () => {
      reject(abortedError(signal));
      core.wasm?.giveUp(caller);
    };
    const settle = (f) => (value) => {
      settled = true;
      if (listens) signal.removeEventListener("abort", onAbort);
      f(value);
    };
    const caller = core.wasm.getToken(typeof waitUntil === "function" ? waitUntil : undefined, settle(resolve), settle(reject));
    if (listens && !settled) signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** `value` if it looks like an AbortSignal. */
function signalIn(value) {
  return value !== null && typeof value === "object" && typeof value.aborted === "boolean" ? value : undefined;
}

/** The per-call options' `signal`: an own property, as every option is. */
export function ownSignal(call) {
  return call !== null && typeof call === "object" && Object.hasOwn(call, "signal") ? signalIn(call.signal) : undefined;
}

/**
 * `start()`'s promise, or a rejection as soon as the caller's `signal`
 * aborts (at once, without starting anything, if it already has). It ends
 * only the caller's wait: the token request other callers share goes on.
 */
export function withSignal(start, signal) {
  if (signal?.aborted) return Promise.reject(abortedError(signal));
  const promise = start();
  if (!signal || typeof signal.addEventListener !== "function") return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    Promise.resolve(promise).then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** [name, value, replace] for each header an API call gets with `token`. */
function headerList(core, token) {
  if (token === core.slot.token) return core.slot.list;
  if (!core.wasm) throw freedError();
  return core.wasm.headerList(token);
}

/** What authHeaders() returns: the headers an API call gets with `token`, in a new object. */
export function headerObject(core, token) {
  return plainHeaders(headerList(core, token));
}

const plainHeaders = (list) => Object.fromEntries(list.map(([name, value]) => [name, value]));

/** The headers of one call: always a new object, never one the client keeps. */
function headersFor(core, caller, token, stringBody) {
  const slot = core.slot;
  // The common case: nothing of the caller's to merge. A copy of the
  // published headers, which the caller's fetch may then edit freely.
  if ((caller === undefined || caller === null) && token === slot.token) return stringBody ? { ...slot.json } : { ...slot.headers };
  let headers;
  try {
    headers = new Headers(caller ?? undefined);
  } catch (error) {
    throw configError(`init.headers is not valid: ${core.wasm?.safeMessage(describeError(error), token) ?? "(details withheld)"}`);
  }
  for (const [name, value, replace] of headerList(core, token)) {
    if (replace || !headers.has(name)) {
      try {
        headers.set(name, value);
      } catch {
        throw configError(`header \`${name}\` has a value fetch cannot send`);
      }
    }
  }
  if (stringBody && !headers.has("content-type")) headers.set("content-type", "application/json");
  return headers;
}

/** The published slot's plain-object headers, from the wasm's list (copied for each call). */
export function slotHeaders(list) {
  const headers = plainHeaders(list);
  return { headers, json: { ...headers, "content-type": "application/json" } };
}

/** Resolves a string URL against the API base, as axios and ky do. */
function resolve(base, url) {
  if (url.startsWith("//")) {
    const at = base === undefined ? -1 : base.indexOf("://");
    return `${at >= 0 ? base.slice(0, at) : "https"}:${url}`;
  }
  if (ABSOLUTE.test(url)) return url;
  if (base === undefined) throw configError("a relative URL was given to client.fetch but no `baseUrl` is configured");
  return url === "" ? base : `${base.replace(/\/+$/, "")}/${url.replace(/^\/+/, "")}`;
}

/**
 * The token goes only to the API's origins: `baseUrl`'s and those listed in
 * `allowedOrigins` (each https:, or http: on loopback, as the wasm checked
 * them). Checked with the URL parser fetch uses, on the URL as fetch will
 * see it, before anything is sent; the last URL let through is remembered,
 * so a loop over one endpoint parses it once.
 */
function checkOrigin(core, url) {
  if (url === core.checked) return;
  let origin;
  try {
    origin = new URL(url).origin;
  } catch {
    throw configError("client.fetch was given a malformed URL");
  }
  if (!core.origins.has(origin)) {
    if (core.origins.size === 0) {
      throw configError(`refusing to send the token to ${origin}: client.fetch sends it only to the API's origins, and none is configured; set \`baseUrl\`, or list the origin in \`allowedOrigins\``);
    }
    throw configError(
      `refusing to send the token to ${origin}: client.fetch sends it only to ${[...core.origins].join(", ")}; ` +
        `add "${origin}" to \`allowedOrigins\` to allow it`,
    );
  }
  core.checked = url;
}

/** The origins `client.fetch` may send the token to, in the URL parser's form. */
export function apiOrigins(base, allowed) {
  const origins = new Set();
  for (const [url, option] of [[base, "baseUrl"], ...allowed.map((o) => [o, "allowedOrigins"])]) {
    if (typeof url !== "string") continue;
    try {
      origins.add(new URL(url).origin);
    } catch {
      throw configError(`invalid option \`${option}\`: this runtime's URL parser cannot read it`);
    }
  }
  return origins;
}

/** Whether `init.body` can be sent a second time: streams and async iterables cannot. */
function replayable(body) {
  if (body === undefined || body === null || typeof body === "string") return true;
  if (typeof body !== "object" && typeof body !== "function") return true;
  return !(typeof body.getReader === "function" || typeof body[Symbol.asyncIterator] === "function");
}

function cloneOf(request) {
  try {
    return request.clone();
  } catch {
    return undefined;
  }
}

const isResponse = (r) =>
  r !== null && typeof r === "object" && typeof r.status === "number" && r.headers !== null && typeof r.headers === "object";

/** Lets go of a body that will not be read. */
function cancel(response) {
  try {
    const body = response.body;
    if (body && !body.locked) body.cancel().catch(() => {});
  } catch {
    // A body that cannot be cancelled is left to the garbage collector.
  }
}
