// edge-auth in Deno: get a token, call the API with it, and see what a wrong
// secret gives. Against the local vendor emulator by default (README.md).
import { AuthClient, AuthError } from "edge-auth";

const baseUrl = Deno.env.get("EDGE_AUTH_BASE_URL") ?? "http://127.0.0.1:8790";
const clientId = Deno.env.get("EDGE_AUTH_CLIENT_ID") ?? "demo-oauth2-client";
const clientSecret = Deno.env.get("EDGE_AUTH_CLIENT_SECRET") ?? "demo-oauth2-secret";
const masked = (token) => `${token.slice(0, 10)}…`; // never print a whole token

const client = new AuthClient({ provider: "oauth2", baseUrl, clientId, clientSecret });
try {
  const info = await client.tokenInfo();
  console.log(`token: ${masked(info.accessToken)} (${info.tokenType}, expires in ${Math.round((info.expiresAt - Date.now()) / 1000)} s)`);

  // client.fetch adds the Authorization header; the emulator's API echoes what it received.
  const res = await client.fetch("/v1/hello");
  const echo = await res.json();
  console.log(`GET /v1/hello: ${res.status}, sent Authorization: Bearer ${masked(echo.headers.authorization.slice(7))}`);
} finally {
  client.free();
}

const wrong = new AuthClient({ provider: "oauth2", baseUrl, clientId, clientSecret: "not-the-secret" });
try {
  await wrong.getToken();
} catch (error) {
  if (!(error instanceof AuthError)) throw error;
  console.log(`a wrong secret: AuthError ${error.code} (status ${error.status})`);
} finally {
  wrong.free();
}
