// client.fetch: fetch with the auth headers added (docs/API.md §4).
//
// It lives in JavaScript because it is the hot path. With a fresh cached
// token, which the wasm publishes into `core.slot` (the token, until when it
// is fresh, and its headers) each time it changes, a call makes no wasm call
// at all. Everything else is the wasm's: getting a token (single flight,
// refresh, store: each caller's own promise, settled by the wasm), which
// headers an API call gets (`headerList`), which hosts are loopback
// (`isLoopbackHost`), and dropping a token an API refused.
//
// `core` is the AuthClient's internal state: { wasm, slot, fetch, base, allowed }.
// `core.wasm` is undefined once the client is freed.

import { isLoopbackHost } from "./edge_auth.js";
import { AuthError, abortedError, apiFailure, describeError } from "./auth_error.js";

export const freedError = () => new AuthError("invalid_config", "this AuthClient has been freed; create a new one");
const configError = (message) => new AuthError("invalid_config", message);

// axios's test for an absolute URL: a scheme, then "//".
const ABSOLUTE = /^[a-z][a-z\d+\-.]*:\/\//i;

export async function apiFetch(core, input, init, call) {
  const initGiven = init !== null && typeof init === "object";
  const body = initGiven ? init.body : undefined;
  const request = typeof Request === "function" && input instanceof Request ? input : undefined;

  // What to call fetch with, and for a Request with a body, a copy for the retry.
  let target;
  let replay;
  if (request) {
    checkTransport(core, request.url);
    replay = request.body !== null && body === undefined ? cloneOf(request) : input;
    target = input;
  } else {
    // A string, a URL object or anything with a string form, as fetch would read it.
    let text;
    if (typeof input === "string") text = input;
    else if (input instanceof Object) text = String(input.toString());
    else throw configError("client.fetch needs a URL string, a URL or a Request");
    target = resolve(core.base, text);
    checkTransport(core, target);
  }
  const canRetry = replayable(body) && (replay !== undefined || !request);
  // The caller's signal: it ends the wait for a token, and fetch gets it too.
  const signal = signalOf(init);
  const initHeaders = initGiven ? init.headers : undefined;
  const callerHeaders = request && initHeaders === undefined ? request.headers : initHeaders;
  const fetch = core.fetch ?? globalThis.fetch;
  if (typeof fetch !== "function") throw configError("no global fetch in this runtime: pass the `fetch` option");

  for (let retried = false; ; retried = true) {
    const token = await tokenFor(core, call, signal);
    const headers = headersFor(core, callerHeaders, token, typeof body === "string");
    const callInit = initGiven ? { ...init, headers } : { headers };
    let response;
    try {
      response = await fetch.call(globalThis, target, callInit);
    } catch (error) {
      throw apiFailure(error);
    }
    if (!isResponse(response)) throw apiFailure(new TypeError("fetch resolved to something that is not a Response"));
    if (response.status !== 401 || retried || !canRetry) return response;
    // The token was refused: drop it (unless someone already replaced it),
    // get another, and send the call again.
    cancel(response);
    core.wasm?.refuse(token);
    if (replay !== undefined) {
      target = replay;
      replay = undefined;
    }
  }
}

/** The token for a call: the published one while it is fresh, else the wasm's. */
function tokenFor(core, call, signal) {
  const slot = core.slot;
  if (slot.token !== undefined && Date.now() < slot.until && !signal?.aborted) return slot.token;
  if (!core.wasm) throw freedError();
  return askToken(core, call, signal);
}

/** The per-call options' signal, if it looks like an AbortSignal. */
export function signalOf(call) {
  const signal = call !== null && typeof call === "object" ? call.signal : undefined;
  return signal !== null && typeof signal === "object" && typeof signal.aborted === "boolean" ? signal : undefined;
}

/**
 * A token for one caller, on a promise of its own that the wasm settles
 * (made here, in the caller's own request: in workerd a promise made by a
 * request that has ended never settles). The caller's `signal` rejects it
 * as soon as it aborts (at once, without asking, if it already has) and
 * ends only this caller's wait: a token request other callers share goes on.
 */
export function askToken(core, call, signal) {
  if (signal?.aborted) return Promise.reject(abortedError(signal));
  return new Promise((resolve, reject) => {
    const waitUntil = call !== null && typeof call === "object" ? call.waitUntil : undefined;
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

/** [name, value, replace] for each header an API call gets with `token`. */
function headerList(core, token) {
  if (token === core.slot.token) return core.slot.list;
  if (!core.wasm) throw freedError();
  return core.wasm.headerList(token);
}

/** What authHeaders() returns: the headers an API call gets with `token`. */
export function headerObject(core, token) {
  return plainHeaders(headerList(core, token));
}

const plainHeaders = (list) => Object.fromEntries(list.map(([name, value]) => [name, value]));

function headersFor(core, caller, token, stringBody) {
  const slot = core.slot;
  // The common case: nothing of the caller's to merge; one object per token.
  if ((caller === undefined || caller === null) && token === slot.token) return stringBody ? slot.json : slot.headers;
  let headers;
  try {
    headers = new Headers(caller ?? undefined);
  } catch (error) {
    throw configError(`init.headers is not valid: ${describeError(error)}`);
  }
  for (const [name, value, replace] of headerList(core, token)) {
    if (replace || !headers.has(name)) {
      try {
        headers.set(name, value);
      } catch (error) {
        throw configError(describeError(error));
      }
    }
  }
  if (stringBody && !headers.has("content-type")) headers.set("content-type", "application/json");
  return headers;
}

/** The published slot's plain-object headers, from the wasm's list. */
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
 * A token goes over HTTPS only, except to loopback. Checked with the same
 * URL parser fetch uses, on the URL as fetch will see it; the last URL let
 * through is remembered, so a loop over one endpoint parses it once.
 */
function checkTransport(core, url) {
  if (url === core.allowed) return;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw configError("client.fetch was given a malformed URL");
  }
  const { protocol } = parsed;
  if (protocol !== "https:" && !(protocol === "http:" && isLoopbackHost(parsed.hostname))) {
    throw configError(`refusing to send a token to ${protocol}//${parsed.host}: only https: URLs (or http: to loopback) get one`);
  }
  core.allowed = url;
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
