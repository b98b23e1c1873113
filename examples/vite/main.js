// edge-auth in a page bundled by Vite: the package's "browser" entry, with
// the wasm inline, so Vite needs no plugin or configuration.
import { AuthClient, AuthError } from "edge-auth";

const baseUrl = new URLSearchParams(location.search).get("baseUrl") ?? "http://127.0.0.1:8790";
const credentials = { clientId: "demo-oauth2-client", clientSecret: "demo-oauth2-secret" }; // the emulator's sample ones
const masked = (token) => `${token.slice(0, 10)}…`; // never show a whole token
document.querySelector("#base").textContent = baseUrl;

async function run() {
  const client = new AuthClient({ provider: "oauth2", baseUrl, ...credentials });
  const info = await client.tokenInfo();
  const res = await client.fetch("/v1/hello");
  const echo = await res.json(); // the emulator's API echoes what it received
  client.free();

  const wrong = new AuthClient({ provider: "oauth2", baseUrl, clientId: credentials.clientId, clientSecret: "not-the-secret" });
  let wrongSecret;
  try {
    await wrong.getToken();
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    wrongSecret = { code: error.code, status: error.status };
  } finally {
    wrong.free();
  }
  return {
    token: masked(info.accessToken),
    expiresInSeconds: Math.round((info.expiresAt - Date.now()) / 1000),
    api: { status: res.status, sentAuthorization: `Bearer ${masked(echo.headers.authorization.slice(7))}` },
    wrongSecret,
  };
}

run().then(
  (report) => (document.querySelector("#result").textContent = JSON.stringify(report, null, 2)),
  (error) => (document.querySelector("#result").textContent = `failed: ${error}`),
);
