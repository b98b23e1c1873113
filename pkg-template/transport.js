// Sends one token request for the wasm (src/js/transport.rs) and reports
// what arrived. The wasm decides everything about it (which request, whether
// a redirect or a status is acceptable, what the body means, retries); this
// is the JS-shaped I/O: fetch, Headers, AbortSignal.timeout, reading a stream.
//
// - a deadline (AbortSignal.timeout) that covers the body too;
// - `redirect: "manual"`: a redirect would carry the credentials to wherever
//   it points, so none is followed (the wasm refuses it);
// - the body is read through its stream, at most `cap` bytes.
//
// It never rejects. A failure is { code, error } (code "timeout", "network"
// or "invalid_config"; error: a message without secrets); a response is
// { status, at, date, retryAfter, wwwAuthenticate, body } or, when its declared length is
// over the cap, { ..., tooLarge: true } without a body.

import { describeError } from "./auth_error.js";
import { isBytes } from "./realm.js";

// In a page, no cookies for token requests, and no login dialog: a browser
// answers a same-origin 401 with `WWW-Authenticate: Basic` by prompting for a
// password unless credentials are omitted (Fetch, HTTP-network-or-cache
// fetch). Only there: workerd refuses `credentials` under older
// compatibility dates.
const PAGE_INIT = typeof document === "object" ? { credentials: "omit" } : {};

export async function sendTokenRequest(configured, url, method, headerPairs, body, timeoutMs, cap) {
  const fetch = configured ?? globalThis.fetch;
  if (typeof fetch !== "function") return { code: "invalid_config", error: "no global fetch in this runtime: pass the `fetch` option" };
  const headers = new Headers();
  for (const [name, value] of headerPairs) {
    try {
      headers.set(name, value);
    } catch {
      return { code: "invalid_config", error: `header \`${name}\` has a value fetch cannot send` };
    }
  }
  const signal = AbortSignal.timeout(timeoutMs);
  const failed = (error, during) =>
    signal.aborted
      ? { code: "timeout", error: `token request timed out after ${timeoutMs} ms (${during})` }
      : { code: "network", error: `token request failed ${during}: ${describeError(error)}` };

  let response;
  try {
    response = await fetch.call(globalThis, url, { method, headers, body, redirect: "manual", signal, ...PAGE_INIT });
    // A configured fetch may return anything; only a Response-like value is read.
    if (!isResponse(response)) throw new TypeError("fetch resolved to something that is not a Response");
  } catch (error) {
    return failed(error, "before a response arrived");
  }
  const at = Date.now();
  const { status } = response;
  const header = (name) => {
    try {
      return response.headers.get(name) ?? undefined;
    } catch {
      return undefined;
    }
  };
  const arrived = { status, at, date: header("date"), retryAfter: header("retry-after"), wwwAuthenticate: header("www-authenticate") };
  if (status === 0 || (status >= 300 && status < 400)) {
    cancel(response);
    return arrived;
  }
  const length = header("content-length")?.trim();
  if (length !== undefined && /^\+?\d+$/.test(length) && Number(length) >= cap) {
    cancel(response);
    return { ...arrived, tooLarge: true };
  }
  try {
    return { ...arrived, body: await readCapped(response, cap) };
  } catch (error) {
    return failed(error, "while reading the response");
  }
}

/** At most `cap` bytes of the body; the stream is cancelled there. */
async function readCapped(response, cap) {
  const stream = response.body;
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks = [];
  let length = 0;
  while (length < cap) {
    const { done, value } = await reader.read();
    if (done) break;
    // A chunk may come from another realm (a host's fetch seen from jsdom,
    // Jest or an edge sandbox): no instanceof.
    if (!isBytes(value)) {
      reader.cancel().catch(() => {});
      throw new TypeError("response body stream gave a chunk that is not a Uint8Array");
    }
    const take = Math.min(value.length, cap - length);
    chunks.push(take === value.length ? value : value.subarray(0, take));
    length += take;
  }
  if (length >= cap) reader.cancel().catch(() => {});
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export const isResponse = (r) =>
  r !== null && typeof r === "object" && typeof r.status === "number" && r.headers !== null && typeof r.headers === "object";

/** Lets go of a body that will not be read. */
export function cancel(response) {
  try {
    const body = response.body;
    if (body && !body.locked) body.cancel().catch(() => {});
  } catch {
    // A body that cannot be cancelled is left to the garbage collector.
  }
}
