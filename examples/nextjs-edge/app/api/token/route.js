// edge-auth in a Next.js edge route (also Vercel Edge Functions): the
// package's "edge-light" entry, chosen by Next.js itself. GET /api/token
// answers with what it did.
import { AuthClient, AuthError } from "edge-auth";

export const runtime = "edge";
export const dynamic = "force-dynamic";

const options = () => ({
  provider: "oauth2",
  baseUrl: process.env.EDGE_AUTH_BASE_URL ?? "http://127.0.0.1:8790",
  clientId: process.env.EDGE_AUTH_CLIENT_ID ?? "demo-oauth2-client",
  clientSecret: process.env.EDGE_AUTH_CLIENT_SECRET ?? "demo-oauth2-secret",
});
let client; // one per isolate, created on the first request
const masked = (token) => `${token.slice(0, 10)}…`; // never show a whole token

export async function GET() {
  client ??= new AuthClient(options());
  const info = await client.tokenInfo();
  const res = await client.fetch("/v1/hello");
  const echo = await res.json(); // the emulator's API echoes what it received

  const wrong = new AuthClient({ ...options(), clientSecret: "not-the-secret" });
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
}
