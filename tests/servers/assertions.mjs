// Client assertions (private_key_jwt RS256 and ES256, from a PEM and from a
// JWK; client_secret_jwt HS256) against the real oidc-provider of
// servers.mjs, written once for the runtimes that cannot host it (Deno, a
// Worker), as zero-config.mjs is: only the library and fetch, nothing done
// at module load. oidc-provider verifies every assertion (signature, iss,
// sub, aud, exp) and refuses a jti it has seen, so each token proves a fresh
// assertion signed by this runtime's crypto.subtle.
//
//   const outcome = await clientAssertions({ AuthClient, server, keyClients, hs256 })
//   checkClientAssertions(outcome, tokenLogSinceStart, { keyClients, hs256, fail })

const describeError = (e) => (e && typeof e === "object" ? { name: e.name, code: e.code, status: e.status, message: e.message, stack: String(e.stack) } : { thrown: String(e) });

/** keyClients: servers.mjs's `{ rs256, es256 }` ({ clientId, kid, pem, jwk }); hs256: { clientId, clientSecret }. */
export async function clientAssertions({ AuthClient, server, keyClients, hs256 }) {
  const base = { provider: "oauth2", baseUrl: server.apiUrl, tokenUrl: server.tokenUrl, autoRefresh: false };
  const run = async (options, rounds) => {
    const c = new AuthClient({ ...base, ...options });
    const tokens = [];
    try {
      for (let i = 0; i < rounds; i++) {
        if (i > 0) c.invalidate();
        tokens.push(await c.getToken());
      }
      const res = await c.fetch("/whoami");
      return { tokens, whoami: { status: res.status, body: await res.json() }, info: JSON.stringify(await c.tokenInfo()) };
    } catch (e) {
      return { tokens, failed: describeError(e) };
    } finally {
      c.free();
    }
  };
  const out = { keys: {} };
  for (const which of ["rs256", "es256"]) {
    for (const form of ["pem", "jwk"]) {
      const k = keyClients[which];
      out.keys[`${which} ${form}`] = await run({ clientId: k.clientId, clientAuth: "private_key_jwt", privateKey: k[form], keyId: k.kid }, 4);
    }
  }
  // A key the server has registered, but for another client.
  const wrong = await run({ clientId: keyClients.rs256.clientId, clientAuth: "private_key_jwt", privateKey: keyClients.es256.pem, keyId: keyClients.rs256.kid }, 1);
  out.wrongKey = wrong.failed ?? { resolved: true };
  out.hs256 = await run({ clientId: hs256.clientId, clientSecret: hs256.clientSecret, clientAuth: "client_secret_jwt" }, 2);
  return out;
}

/**
 * Checks an outcome and the token requests oidc-provider saw during it;
 * `fail(message)` throws. Returns a one-line summary.
 */
export function checkClientAssertions(out, tokenLog, { keyClients, hs256, fail }) {
  const check = (ok, message) => ok || fail(message);
  const material = [keyClients.rs256, keyClients.es256].flatMap((k) => [String(k.pem).split("\n").slice(1, 3).join(""), k.jwk.d]);
  for (const [label, r] of Object.entries(out.keys)) {
    const which = label.split(" ")[0];
    check(!r.failed, `${label}: ${JSON.stringify(r.failed)}`);
    check(new Set(r.tokens).size === 4, `${label}: ${new Set(r.tokens).size} distinct tokens of 4`);
    check(r.whoami.status === 200 && r.whoami.body.client === keyClients[which].clientId, `${label}: whoami ${JSON.stringify(r.whoami)}`);
    check(!material.some((m) => r.info.includes(m)), `${label}: key material in tokenInfo`);
  }
  const w = out.wrongKey;
  check(w.name === "AuthError" && w.code === "invalid_credentials" && /privateKey/.test(w.message), `wrong key: ${JSON.stringify(w)}`);
  check(!material.some((m) => w.message.includes(m) || w.stack.includes(m)), "wrong key: key material in the error");
  const h = out.hs256;
  check(!h.failed && new Set(h.tokens).size === 2 && h.whoami.body.client === hs256.clientId, `client_secret_jwt: ${JSON.stringify(h.failed ?? h.whoami)}`);
  check(!h.info.includes(hs256.clientSecret), "client_secret_jwt: the secret in tokenInfo");
  // 4 keys × 4 tokens, the wrong key refused once (not retried), 2 HS256 tokens.
  const statuses = tokenLog.map((e) => e.status);
  const expected = [...Array(16).fill(200), 401, 200, 200];
  check(JSON.stringify(statuses) === JSON.stringify(expected), `token request statuses ${JSON.stringify(statuses)}, expected ${JSON.stringify(expected)}`);
  check(tokenLog.every((e) => !e.authScheme), `an assertion client sent HTTP auth: ${JSON.stringify(tokenLog.map((e) => e.authScheme))}`);
  return "private_key_jwt RS256/ES256 × PEM/JWK: 4 tokens each from 4 fresh assertions; wrong key invalid_credentials (1 request); client_secret_jwt 2 tokens";
}
