// The shared token store's I/O for the wasm (src/js/store.rs): hashing the
// key with crypto.subtle, and `get`/`put` on the store with a time bound.
// What the key is made of, what a value holds, when to read and write, and
// whether a stored token is usable are the wasm's decisions.
//
// A store that throws, hangs past the bound, or answers with something that
// is not a string is a miss. These functions never reject: they resolve to
// what they got, or to { failure } describing what went wrong, which the
// wasm cleans of secrets (a store's error may quote the value it was
// given: the token) before `onStoreError` sees it (reportStoreError).

import { describeError } from "./auth_error.js";

/** Calls `onStoreError` with an Error; whatever it throws or rejects with stays contained. */
export function reportStoreError(onError, message) {
  if (typeof onError !== "function") return;
  const error = new Error(`edge-auth token store: ${message}`);
  try {
    Promise.resolve(onError(error)).catch(() => {});
  } catch {
    // The callback threw: contained.
  }
}

/** SHA-256 of the key material (a Uint8Array), or { failure } without crypto.subtle. */
export async function storeDigest(material) {
  try {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(material)));
  } catch (error) {
    return { failure: `cannot hash the key (crypto.subtle unavailable?): ${describeError(error)}` };
  }
}

/** The stored value for `key`: a string, undefined (a miss), or { failure }. */
export async function storeGet(store, key, boundMs) {
  const value = await bounded(() => store.get(key), boundMs, "get");
  if (value === undefined || value === null || typeof value === "string" || isFailure(value)) return value ?? undefined;
  return { failure: "get returned something that is not a string" };
}

/** undefined, or { failure }. */
export async function storePut(store, key, value, expirationTtl, boundMs) {
  const result = await bounded(() => store.put(key, value, { expirationTtl }), boundMs, "put");
  return isFailure(result) ? result : undefined;
}

const failures = new WeakSet();
const failure = (text) => {
  const f = { failure: text };
  failures.add(f);
  return f;
};
const isFailure = (value) => failures.has(value);

/**
 * `call()`'s result, or a failure when it throws, rejects or takes longer
 * than `ms`.
 */
async function bounded(call, ms, name) {
  let pending;
  try {
    pending = Promise.resolve(call());
  } catch (error) {
    return failure(`${name} threw: ${describeError(error)}`);
  }
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(failure(`${name} timed out`)), ms);
  });
  try {
    return await Promise.race([pending, timeout]);
  } catch (error) {
    return failure(`${name} failed: ${describeError(error)}`);
  } finally {
    clearTimeout(timer);
  }
}
