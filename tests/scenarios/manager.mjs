// The token manager's rules, end to end in every runtime (docs/API.md §4, §6):
// each scenario here is a behaviour the shell once got wrong, which the
// state machine in the core (src/core/manager.rs) gets right.
// Runtime-agnostic like the rest. A scenario tagged "exclusive" changes a
// global (Date.now) for a moment: runners that run scenarios concurrently
// run those alone.

import { scenario } from "./cases.mjs";

/** A fetch that counts the requests it has out at once (token requests here). */
function countingFetch() {
  const state = { out: 0, most: 0, calls: 0 };
  const fetch = async (input, init) => {
    state.calls++;
    state.out++;
    state.most = Math.max(state.most, state.out);
    try {
      return await globalThis.fetch(input, init);
    } finally {
      state.out--;
    }
  };
  return { fetch, state };
}

scenario("free(): a token request in flight is stopped: its caller is rejected at once, and nothing follows", ["lifecycle"], async (ctx, assert) => {
  await ctx.control.config({ tokenDelayMs: 1_500 });
  const delivered = [];
  const c = ctx.dialectClient("oauth2", { onToken: (info) => delivered.push(info) });
  const outcome = c.getToken().then((t) => ctx.track(t), (e) => e);
  await ctx.sleep(200); // the token request is out
  const freedAt = Date.now();
  c.free();
  const result = await outcome;
  ctx.checkAuthError(result, { code: "invalid_config", status: null, label: "the caller waiting when free() came" });
  assert.ok(Date.now() - freedAt < 500, `the caller was rejected ${Date.now() - freedAt} ms after free(), not when the token arrived`);
  await ctx.sleep(1_600); // past when the answer would have come
  assert.equal(delivered.length, 0, "onToken calls after free()");
});

scenario("invalidate() during a token request: one request at a time, and the callers get a token asked for after it", ["single-flight"], async (ctx, assert) => {
  await ctx.control.config({ tokenDelayMs: 400 });
  const { fetch, state } = countingFetch();
  const c = ctx.dialectClient("younium", { fetch });
  const first = c.getToken();
  await ctx.sleep(100); // its token request is out
  c.invalidate();
  const second = c.getToken();
  const [a, b] = await Promise.all([first, second]);
  ctx.track(a);
  ctx.track(b);
  assert.equal(state.most, 1, "token requests in flight at once");
  assert.equal(a, b, "the caller from before invalidate() gets the token asked for after it, as the other does");
  await ctx.expectTokenRequests({ younium: 2 }, "the one out when invalidate() came, then one more");
});

scenario("a token request whose answer never comes does not hang the caller that started it, and the next call gets a token", ["single-flight", "faults"], async (ctx, assert) => {
  // The first token request never settles and ignores its abort signal, as
  // a promise of a workerd request that has ended does. Its timeoutMs (50)
  // still ends the caller's wait: a moment after the abort it counts as
  // timed out (docs/API.md §4).
  let calls = 0;
  const fetch = (input, init) => (++calls === 1 ? new Promise(() => {}) : globalThis.fetch(input, init));
  const c = ctx.dialectClient("papaya", { fetch, timeoutMs: 50 });
  const started = Date.now();
  await ctx.expectAuthError(c.getToken(), { code: "timeout", label: "the caller whose request never answers" });
  assert.ok(Date.now() - started < 3_000, `settled after ${Date.now() - started} ms`);
  ctx.track(await c.getToken());
  assert.equal(calls, 2, "fetch calls: the lost one, then one more");
});

scenario("clock set back: a caller waiting for a token is served as soon as the cached one is fresh again", ["expiry", "exclusive"], async (ctx, assert) => {
  const c = ctx.dialectClient("oauth2", { autoRefresh: false, refreshLeewaySeconds: 60 });
  const cached = ctx.track(await c.getToken());
  // Half a minute before it expires: within its 60 s leeway, so a caller then waits for a new one.
  const ahead = (await c.tokenInfo()).expiresAt - Date.now() - 30_000;
  assert.ok(ahead > 60_000, `the token lives long enough for the test (${ahead} ms)`);
  await ctx.control.fault({ target: "token", kind: "delay", delayMs: 3_000 });
  const realNow = Date.now;
  let waiting;
  try {
    Date.now = () => realNow.call(Date) + ahead;
    waiting = c.getToken().then((t) => ctx.track(t));
    await ctx.sleep(50); // however the client takes the call up, it has by now
  } finally {
    Date.now = realNow; // and back: the cached token is fresh again
  }
  const askedAt = Date.now();
  assert.equal(await c.getToken(), cached, "a caller asking now gets the cached token");
  assert.equal(await waiting, cached, "the caller already waiting is served by it too");
  assert.ok(Date.now() - askedAt < 1_500, `served after ${Date.now() - askedAt} ms, not when the token request (3 s) answered`);
});

scenario("union: a refresh token echoed by the vendor after invalidate() is still redacted", ["union", "secrets"], async (ctx, assert) => {
  // 2 s tokens: past 1 s (half the life) the next call uses the refresh grant.
  await ctx.control.config({ ttlSeconds: 2, refreshTtlSeconds: 60 });
  const sent = [];
  const fetch = async (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    if (!url.includes("/refresh-token")) return globalThis.fetch(input, init);
    // The refresh endpoint answers late, with a 403 (no fallback, no retry)
    // that echoes the refresh token it was sent.
    const { refreshToken } = JSON.parse(init.body);
    sent.push(ctx.track(refreshToken));
    await ctx.sleep(300);
    const body = { error: "access_denied", error_description: `refresh token ${refreshToken} is not allowed here` };
    return new Response(JSON.stringify(body), { status: 403, headers: { "content-type": "application/json" } });
  };
  const c = ctx.dialectClient("union", { fetch, autoRefresh: false });
  ctx.track(await c.getToken());
  await ctx.sleep(1_200);
  const outcome = c.getToken().then((token) => ({ token }), (error) => ({ error }));
  await ctx.sleep(100);
  assert.equal(sent.length, 1, "the refresh grant is out");
  c.invalidate(); // drops the cached refresh token while the vendor still has it
  const { token, error } = await outcome;
  if (error) ctx.checkAuthError(error, { label: "the refresh grant's echo" });
  assert.type(token, "string", "the caller gets a token from the password grant started after invalidate()");
  ctx.track(token);
  assert.equal(sent.length, 1, "the refresh grant is not sent again with the dropped refresh token");
});
