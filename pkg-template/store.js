// The shared token store's I/O for the wasm (src/js/store.rs): hashing the
// key with crypto.subtle, and `get`/`put` on the store with a time bound.
// What the key is made of, what a value holds, when to read and write, and
// whether a stored token is usable are the wasm's decisions.
//
// A store that throws, hangs past the bound, or answers with something that
// is not a string is a miss: reported to `onStoreError` (never to the
// caller), and these functions resolve to undefined.

/** Calls `onStoreError` with an Error; whatever it throws or rejects with stays contained. */
export function reportStoreError(onError, message, cause) {
  if (typeof onError !== "function") return;
  const error = new Error(`edge-auth token store: ${message}`, cause === undefined ? undefined : { cause });
  try {
    Promise.resolve(onError(error)).catch(() => {});
  } catch {
    // The callback threw: contained.
  }
}

/** SHA-256 of the key material, or undefined (reported) without crypto.subtle. */
export async function storeDigest(material, onError) {
  try {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(material)));
  } catch (error) {
    reportStoreError(onError, "cannot hash the key (crypto.subtle unavailable?)", error);
  }
}

/** The stored value for `key`: a string, or undefined (a miss). */
export async function storeGet(store, key, boundMs, onError) {
  const value = await bounded(() => store.get(key), boundMs, "get", onError);
  if (value === miss || value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  reportStoreError(onError, "get returned something that is not a string");
}

export async function storePut(store, key, value, expirationTtl, boundMs, onError) {
  await bounded(() => store.put(key, value, { expirationTtl }), boundMs, "put", onError);
}

const miss = Symbol("miss");

/**
 * `call()`'s result, or `miss` (reported) when it throws, rejects or takes
 * longer than `ms`.
 */
async function bounded(call, ms, name, onError) {
  let pending;
  try {
    pending = Promise.resolve(call());
  } catch (error) {
    reportStoreError(onError, `${name} threw`, error);
    return miss;
  }
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(miss), ms);
  });
  try {
    const result = await Promise.race([pending, timeout]);
    if (result === miss) reportStoreError(onError, `${name} timed out`);
    return result;
  } catch (error) {
    reportStoreError(onError, `${name} failed`, error);
    return miss;
  } finally {
    clearTimeout(timer);
  }
}
