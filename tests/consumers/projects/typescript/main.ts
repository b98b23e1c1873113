// Compiled by tsc in every TypeScript set-up of the consumer suite (strict,
// skipLibCheck off), then run by Node: the declarations must type this
// ordinary use, and the compiled output must work.
import { AuthClient, AuthError, type AuthErrorCode, type CallOptions, type TokenInfo } from "edge-auth";

// No @types/node in some set-ups: process reached without its type.
const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
const baseUrl = env["EDGE_AUTH_BASE_URL"] ?? "";
const clientId = "demo-oauth2-client";

async function main(): Promise<void> {
  const controller = new AbortController();
  const call: CallOptions = { signal: controller.signal };
  const client = new AuthClient({ provider: "oauth2", baseUrl, clientId, clientSecret: "demo-oauth2-secret" });
  const wrong = new AuthClient({ provider: "oauth2", baseUrl, clientId, clientSecret: "not-the-secret" });
  try {
    const token: string = await client.getToken(call);
    const info: TokenInfo = await client.tokenInfo(call);
    const res: Response = await client.fetch("/v1/consumer-check", { headers: { accept: "application/json" } }, call);
    const echo = (await res.json()) as { headers: Record<string, string | undefined> };
    let wrongSecret: AuthErrorCode | string = "no error";
    try {
      await wrong.getToken();
    } catch (error) {
      wrongSecret = error instanceof AuthError ? error.code : `not an AuthError: ${String(error)}`;
    }
    const result = { token, status: res.status, authorization: echo.headers["authorization"] ?? null, wrongSecret, tokenType: info.tokenType };
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    client.free();
    wrong[Symbol.dispose]();
  }
}

main().catch((error: unknown) => console.log(`RESULT ${JSON.stringify({ error: String(error) })}`));
