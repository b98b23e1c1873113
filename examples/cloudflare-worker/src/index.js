// edge-auth in a Cloudflare Worker: one client per isolate (created on the
// first request, never at global scope), its tokens shared across isolates
// through the TOKENS KV namespace. GET / answers with what it did.
import { AuthClient, AuthError } from "edge-auth";

let client;
const masked = (token) => `${token.slice(0, 10)}…`; // never show a whole token

export default {
  async fetch(request, env, ctx) {
    client ??= new AuthClient({
      provider: "oauth2",
      baseUrl: env.EDGE_AUTH_BASE_URL,
      clientId: env.CLIENT_ID,
      clientSecret: env.CLIENT_SECRET,
      store: env.TOKENS,
    });
    // A token request this call starts may outlive the response.
    const call = { waitUntil: ctx.waitUntil.bind(ctx) };

    const info = await client.tokenInfo(call);
    const res = await client.fetch("/v1/hello", undefined, call);
    const echo = await res.json(); // the emulator's API echoes what it received

    // What a wrong secret gives (no store: the store is keyed by the client id, not the secret).
    const wrong = new AuthClient({ provider: "oauth2", baseUrl: env.EDGE_AUTH_BASE_URL, clientId: env.CLIENT_ID, clientSecret: "not-the-secret" });
    let wrongSecret;
    try {
      await wrong.getToken();
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      wrongSecret = { code: error.code, status: error.status };
    } finally {
      wrong.free();
    }

    return Response.json({
      token: masked(info.accessToken),
      expiresInSeconds: Math.round((info.expiresAt - Date.now()) / 1000),
      api: { status: res.status, sentAuthorization: `Bearer ${masked(echo.headers.authorization.slice(7))}` },
      wrongSecret,
    });
  },
};
