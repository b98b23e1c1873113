// Timer scenarios: refresh ahead of expiry, contained callbacks, clock skew.
// Runtime-agnostic like the rest; where docs/API.md ties behaviour to timers
// (never in Workers), the scenario says so and checks the Workers behaviour.

import { scenario } from "./cases.mjs";

scenario("autoRefresh: calls across token expiries never wait on a token request", ["timers", "latency"], async (ctx, assert) => {
  if (ctx.runtime === "workerd") return; // no timers in Workers: a caller there waits once per lifetime (docs/API.md §6)
  // 3 s tokens, token responses delayed by 500 ms: a call that waited on a
  // token request takes at least 500 ms; a call served from the cache a few.
  await ctx.control.config({ ttlSeconds: 3, tokenDelayMs: 500 });
  const c = ctx.dialectClient("oauth2", { autoRefresh: true, refreshLeewaySeconds: 1.5 });
  ctx.track(await c.getToken()); // the cold start waits, by definition
  const durations = [];
  const tokens = new Set();
  const until = Date.now() + 7_000; // more than two lifetimes
  while (Date.now() < until) {
    const t0 = Date.now();
    tokens.add(ctx.track(await c.getToken()));
    durations.push(Date.now() - t0);
    await ctx.sleep(40);
  }
  const waited = durations.filter((d) => d >= 400).length;
  assert.equal(waited, 0, `calls that waited on a token request (slowest ${Math.max(...durations)} ms of ${durations.length})`);
  assert.ok(tokens.size >= 3, `the timer replaced the token across the run (${tokens.size} distinct tokens)`);
  const st = await ctx.control.stats();
  assert.between(st.totalTokenRequests, 4, 7, "token requests: the cold one plus about one per 1.6 s");
});

scenario("onToken: a callback that throws or rejects is contained", ["lifecycle", "timers"], async (ctx, assert) => {
  let calls = 0;
  const throwing = ctx.dialectClient("papaya", { onToken: () => { calls++; throw new Error("callback bug"); } });
  assert.equal(await ctx.apiStatus(ctx.track(await throwing.getToken())), 200, "a throwing onToken does not fail the call");
  const rejecting = ctx.dialectClient("union", { onToken: async () => { calls++; throw new Error("async callback bug"); } });
  assert.equal(await ctx.apiStatus(ctx.track(await rejecting.getToken())), 200, "a rejecting onToken does not fail the call");
  await ctx.sleep(20); // the runner fails the scenario on any unhandled rejection
  assert.equal(calls, 2, "both callbacks ran");
});

scenario("clock skew: an absolute expiry is corrected by the response's Date header", ["expiry", "timers"], async (ctx, assert) => {
  // The vendor's clock is 10 minutes ahead: its Date header and valid_until
  // both say so. The token still lives ttlSeconds by our clock.
  await ctx.control.config({ clockSkewSeconds: 600, papayaSeconds: true, ttlSeconds: 120 });
  const c = ctx.dialectClient("papaya");
  const t0 = Date.now();
  ctx.track(await c.getToken());
  const info = await c.tokenInfo();
  assert.between(info.expiresAt - t0, 117_000, 122_000, "expiresAt is about now + 120 s, not + 10 min");
  // Without a Date header there is nothing to correct by: the vendor's time is taken as given.
  const sub = ctx.sub("nodate");
  await sub.control.reset();
  await sub.control.config({ clockSkewSeconds: 600, papayaSeconds: true, ttlSeconds: 120, omitDateHeader: true });
  const raw = ctx.client({ provider: "papaya", baseUrl: sub.base, ...ctx.creds.papaya });
  ctx.track(await raw.getToken());
  const rawInfo = await raw.tokenInfo();
  // (The emulator runs on Node in every runner, where it can omit the header.)
  assert.between(rawInfo.expiresAt - t0, 717_000, 724_000, "uncorrected without a Date header");
});

scenario("autoRefresh: a page made visible again refreshes a due token at once", ["timers", "browser"], async (ctx, assert) => {
  if (ctx.runtime !== "browser") return; // visibilitychange is a page event
  // Throttled background tabs fire timers late. Simulate that: long timers
  // never fire, so only the visibilitychange listener can start the refresh.
  const realSetTimeout = globalThis.setTimeout;
  const wait = (ms) => new Promise((resolve) => realSetTimeout(resolve, ms));
  await ctx.control.config({ ttlSeconds: 2 });
  globalThis.setTimeout = (fn, ms, ...args) => (ms >= 200 ? 0 : realSetTimeout(fn, ms, ...args));
  try {
    const c = ctx.dialectClient("younium", { autoRefresh: true, refreshLeewaySeconds: 1 });
    ctx.track(await c.getToken());
    await wait(1200); // past the refresh point; the suppressed timer did not fire
    assert.equal((await ctx.control.stats()).totalTokenRequests, 1, "no refresh while the timer is throttled");
    document.dispatchEvent(new Event("visibilitychange"));
    await wait(400);
    assert.equal((await ctx.control.stats()).totalTokenRequests, 2, "the visibilitychange listener refreshed the due token");
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
});
