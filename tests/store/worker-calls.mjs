// What the Workers store tests (workers-kv.test.mjs, broker.test.mjs) share:
// a call to a route of tests/store/worker.mjs in one isolate, and the check
// that no isolate saw an unhandled rejection.

import assert from "node:assert/strict";
import { withTimeout } from "../lib/workerd.mjs";

/** GET `route` with `params` on a miniflare worker; its JSON body (a 200, or the test fails). */
export async function call(fetcher, route, params) {
  const res = await withTimeout(fetcher.fetch(`http://store-test.local${route}?${new URLSearchParams(params)}`), 30_000, route);
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${route} answered ${res.status}: ${text}`);
  }
  assert.equal(res.status, 200, `${route} answered ${res.status}: ${text}`);
  return body;
}

/** Fails if any of `isolates` (name → worker) recorded an unhandled rejection. */
export async function assertNoUnhandled(isolates) {
  for (const [name, w] of Object.entries(isolates)) {
    const { unhandled } = await call(w, "/unhandled", {}).catch(() => ({ unhandled: [] }));
    assert.deepEqual(unhandled, [], `unhandled rejections in worker ${name}`);
  }
}
