// The zero-configuration path against a real authorization server, written
// once for the runtimes that cannot host the servers themselves (Deno, a
// Worker): only the library and fetch, no `node:` imports, nothing done at
// module load. The runner starts the servers (tests/servers/servers.mjs) in
// Node and checks their token logs with `expectedLog` afterwards.
//
//   const outcome = await zeroConfiguration({ AuthClient, server, client })   // server: { tokenUrl, apiUrl }
//   checkZeroConfiguration(outcome, tokenLogSinceStart, assert-like fail)

export const WRONG_SECRET = "wrong-secret-5e1f00d";

const describeError = (e) =>
  e && typeof e === "object" ? { name: e.name, code: e.code, status: e.status, messages: e.messages, message: e.message } : { thrown: String(e) };

/**
 * `new AuthClient({ provider: "oauth2", baseUrl, tokenUrl, clientId, clientSecret, scope })`
 * and nothing else: an API call, another after invalidate(), and two calls
 * with a wrong secret.
 */
export async function zeroConfiguration({ AuthClient, server, client }) {
  const options = { provider: "oauth2", baseUrl: server.apiUrl, tokenUrl: server.tokenUrl, clientId: client.clientId, clientSecret: client.clientSecret, scope: "read" };
  const out = {};
  const c = new AuthClient(options);
  try {
    const res = await c.fetch("/whoami");
    out.first = { status: res.status, body: await res.json() };
    out.tokenType = (await c.tokenInfo()).tokenType;
    c.invalidate();
    const again = await c.fetch("/whoami");
    await again.text();
    out.second = again.status;
  } catch (e) {
    out.failed = describeError(e);
  } finally {
    c.free();
  }
  const w = new AuthClient({ ...options, clientSecret: WRONG_SECRET });
  for (const key of ["wrong", "wrongAgain"]) {
    try {
      await w.getToken();
      out[key] = { resolved: true };
    } catch (e) {
      out[key] = describeError(e);
    }
  }
  w.free();
  return out;
}

const mediaType = (h) => String(h ?? "").split(";")[0].trim().toLowerCase();

/**
 * The checks of an outcome and of the token requests the server saw during
 * it; `fail(message)` throws. Returns a one-line summary.
 */
export function checkZeroConfiguration(out, tokenLog, { clientId, tokenUrl, fail }) {
  const check = (ok, message) => ok || fail(message);
  check(!out.failed, `the zero-configuration client failed: ${JSON.stringify(out.failed)}`);
  check(out.first?.status === 200, `the resource server answered ${out.first?.status}: ${JSON.stringify(out.first?.body)}`);
  check(out.first.body.client === clientId, `the token is not the client's: ${JSON.stringify(out.first.body)}`);
  check(out.tokenType === "Bearer", `tokenType ${out.tokenType}`);
  check(out.second === 200, `after invalidate(): ${out.second}`);
  for (const key of ["wrong", "wrongAgain"]) {
    const e = out[key];
    check(e?.name === "AuthError" && e.code === "invalid_credentials" && e.status === 401, `${key}: ${JSON.stringify(e)}`);
    check(e.messages.includes("invalid_client"), `${key}: messages ${JSON.stringify(e.messages)}`);
    check(e.message.includes(tokenUrl) && e.message.includes("Check clientId and clientSecret"), `${key}: message ${e.message}`);
    check(!e.message.includes(WRONG_SECRET) && !JSON.stringify(e.messages).includes(WRONG_SECRET), `${key}: the secret in the error`);
  }
  const sent = tokenLog.map((e) => `${mediaType(e.contentType) === "application/json" ? "json" : "form"}/${e.authScheme ? e.authScheme.toLowerCase() : "body"}`);
  const expected = ["json/body", "form/body", "form/body", "json/body", "form/body", "form/basic", "form/basic"];
  check(JSON.stringify(sent) === JSON.stringify(expected), `token requests ${JSON.stringify(sent)}, expected ${JSON.stringify(expected)}`);
  return `first call 2 requests, steady 1 per token, wrong secret 3 then 1 (statuses ${tokenLog.map((e) => e.status).join(",")})`;
}
