// What every consumer of tests/consumers/ runs, bundled or not: a token, a
// client.fetch the emulator's API answers 200 (it echoes the headers it got),
// and the AuthError a wrong secret gives. The runner checks the result
// against the emulator's own record (consumers.test.mjs, checkProbe).
import { AuthClient, AuthError } from "edge-auth";

const CLIENT_ID = "demo-oauth2-client";
const CLIENT_SECRET = "demo-oauth2-secret"; // the emulator's sample credentials

export async function probe(baseUrl) {
  const client = new AuthClient({ provider: "oauth2", baseUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const wrong = new AuthClient({ provider: "oauth2", baseUrl, clientId: CLIENT_ID, clientSecret: "not-the-secret" });
  try {
    const token = await client.getToken();
    const res = await client.fetch("/v1/consumer-check");
    const echo = await res.json();
    let wrongSecret;
    try {
      await wrong.getToken();
      wrongSecret = "no error";
    } catch (error) {
      wrongSecret = error instanceof AuthError ? error.code : `not an AuthError: ${error}`;
    }
    return { token, status: res.status, authorization: echo?.headers?.authorization ?? null, wrongSecret };
  } finally {
    client.free();
    wrong.free();
  }
}
