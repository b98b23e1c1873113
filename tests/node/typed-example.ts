// A typed user of edge-auth: every option and method of docs/API.md, with the
// types a user would write. Never run; type-checked by tests/node/package.test.mjs:
//
//   node_modules/.bin/tsc --noEmit --strict --module nodenext --moduleResolution nodenext \
//     --target es2022 --skipLibCheck false tests/node/typed-example.ts
//
// (Symbol.dispose is in TypeScript's esnext.disposable lib, as for any user of `using`.)
/// <reference lib="esnext.disposable" />
import { AuthClient, AuthError } from "edge-auth";

type Options = ConstructorParameters<typeof AuthClient>[0];
type Info = Awaited<ReturnType<AuthClient["tokenInfo"]>>;

// A Workers-KV-shaped store.
const memory = new Map<string, string>();
const store = {
  async get(key: string): Promise<string | null> {
    return memory.get(key) ?? null;
  },
  async put(key: string, value: string, options: { expirationTtl: number }): Promise<void> {
    if (options.expirationTtl >= 60) memory.set(key, value);
  },
};

const onToken = (info: Info): void => {
  const expires: Date = new Date(info.expiresAt);
  void expires;
};

const myFetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => fetch(input, init);

// Every option of every dialect.
const younium: Options = {
  provider: "younium",
  environment: "us-sandbox",
  baseUrl: "https://api.sandbox.younium.com/v2",
  tokenUrl: "https://api.sandbox.younium.com/auth/v2/token",
  clientId: "id",
  secret: "secret",
  legalEntity: "LE-1",
  apiVersion: "2.1",
  refreshLeewaySeconds: 60,
  autoRefresh: true,
  timeoutMs: 10_000,
  deadlineMs: 30_000,
  allowedOrigins: ["https://files.sandbox.younium.com", "http://127.0.0.1:8787"],
  fetch: myFetch,
  store,
  onToken,
};
const youniumV1: Options = { provider: "younium-v1", environment: "production", clientId: "id", secret: "s" };
const youniumEnvs: Options[] = (["production", "sandbox", "us-production", "us-sandbox"] as const).map((environment) => ({
  provider: "younium" as const,
  environment,
  clientId: "id",
  secret: "s",
}));
const union: Options = {
  provider: "union",
  baseUrl: "https://union.example.com",
  tokenUrl: "https://union.example.com/union-service/auth/token?api-version=1.0",
  refreshUrl: "https://union.example.com/union-service/auth/refresh-token?api-version=1.0",
  username: "u",
  password: "p",
  apiVersion: "1.0",
  refreshLeewaySeconds: 0,
  autoRefresh: false,
  timeoutMs: 5000,
};
const papaya: Options = {
  provider: "papaya",
  baseUrl: "https://auth.papaya.example.com",
  apiKey: "k",
  clientSecret: "s",
  tokenName: "my-token",
};
const oauth2: Options = {
  provider: "oauth2",
  baseUrl: "https://oauth.example.com",
  clientId: "id",
  clientSecret: "s",
  scope: "read write",
  audience: "https://api.example.com",
  bodyEncoding: "form",
  clientAuth: "basic",
};
const oauth2Defaults: Options = { provider: "oauth2", tokenUrl: "https://oauth.example.com/t", clientId: "id", clientSecret: "s", bodyEncoding: "json", clientAuth: "body" };
// Zero configuration: the body encoding and client authentication are detected.
const oauth2Detected: Options = { provider: "oauth2", tokenUrl: "https://idp.example.com/oauth/token", clientId: "id", clientSecret: "s", scope: "read" };
const oauth2Resource: Options = { provider: "oauth2", tokenUrl: "https://idp.example.com/t", clientId: "id", clientSecret: "s", resource: "https://api.example.com/" };
const oauth2Resources: Options = { provider: "oauth2", tokenUrl: "https://idp.example.com/t", clientId: "id", clientSecret: "s", resource: ["https://a.example.com/", "urn:b"] };
// Keys instead of secrets: private_key_jwt (a PEM or a JWK), client_secret_jwt, Google service accounts.
const pkjwt: Options = { provider: "oauth2", tokenUrl: "https://idp.example.com/t", clientId: "id", privateKey: "-----BEGIN PRIVATE KEY-----…", keyId: "k1", algorithm: "PS256" };
const pkjwtJwk: Options = { provider: "oauth2", tokenUrl: "https://idp.example.com/t", clientId: "id", clientAuth: "private_key_jwt", privateKey: { kty: "EC", crv: "P-256", x: "x", y: "y", d: "d" } };
const csjwt: Options = { provider: "oauth2", tokenUrl: "https://idp.example.com/t", clientId: "id", clientSecret: "s", clientAuth: "client_secret_jwt" };
const google: Options = { provider: "google", serviceAccount: { client_email: "sa@p.iam.gserviceaccount.com", private_key: "-----BEGIN PRIVATE KEY-----…" }, scope: ["https://www.googleapis.com/auth/cloud-platform"], subject: "admin@example.com" };
const googleText: Options = { provider: "google", serviceAccount: "{…}", scope: "https://www.googleapis.com/auth/drive.readonly", allowedOrigins: ["https://sheets.googleapis.com"] };
// @ts-expect-error: a private key and a secret at once
const keyAndSecret: Options = { provider: "oauth2", tokenUrl: "https://idp.example.com/t", clientId: "id", clientSecret: "s", privateKey: "k" };
// @ts-expect-error: google needs a scope
const googleNoScope: Options = { provider: "google", serviceAccount: "{…}" };

// Wrong options do not compile.
// @ts-expect-error: unknown provider
const badProvider: Options = { provider: "nope", clientId: "id", secret: "s" };
// @ts-expect-error: timeoutMs is a number
const badTimeout: Options = { provider: "younium", clientId: "id", secret: "s", timeoutMs: "x" };
// @ts-expect-error: autoRefresh is a boolean
const badAutoRefresh: Options = { provider: "younium", clientId: "id", secret: "s", autoRefresh: "yes" };
// @ts-expect-error: bodyEncoding is "json" or "form"
const badEncoding: Options = { provider: "oauth2", baseUrl: "https://o.example.com", clientId: "id", clientSecret: "s", bodyEncoding: "xml" };
// @ts-expect-error: environment is one of four
const badEnvironment: Options = { provider: "younium", environment: "mars", clientId: "id", secret: "s" };
// @ts-expect-error: allowedOrigins is a list of origins
const badOrigins: Options = { provider: "younium", clientId: "id", secret: "s", allowedOrigins: "https://x.example.com" };
// @ts-expect-error: deadlineMs is a number
const badDeadline: Options = { provider: "younium", clientId: "id", secret: "s", deadlineMs: "30s" };
// @ts-expect-error: resource is a string or an array of strings
const badResource: Options = { provider: "oauth2", tokenUrl: "https://o.example.com/t", clientId: "id", clientSecret: "s", resource: 42 };
void [badProvider, badTimeout, badAutoRefresh, badEncoding, badEnvironment, badOrigins, badDeadline, badResource];

async function main(): Promise<void> {
  const clients: AuthClient[] = [younium, youniumV1, ...youniumEnvs, union, papaya, oauth2, oauth2Defaults, oauth2Detected, oauth2Resource, oauth2Resources].map((o) => new AuthClient(o));
  const client = new AuthClient({ provider: "younium", clientId: "id", secret: "s" });

  const token: string = await client.getToken();
  const info: Info = await client.tokenInfo();
  const accessToken: string = info.accessToken;
  const tokenType: string = info.tokenType;
  const expiresAt: number = info.expiresAt;
  const refreshExpiresAt: number | undefined = info.refreshExpiresAt;
  const scope: string | undefined = info.scope;

  const r1: Response = await client.fetch("/Accounts");
  const r2: Response = await client.fetch(new URL("https://api.younium.com/Invoices"), { method: "POST", body: "{}" });
  const r3: Response = await client.fetch(new Request("https://api.younium.com/Orders"), { headers: { "legal-entity": "x" } });
  const controller = new AbortController();
  const r4: Response = await client.fetch("/Accounts", undefined, { signal: controller.signal, waitUntil: (p: Promise<unknown>) => void p });
  const t2: string = await client.getToken({ signal: AbortSignal.timeout(5000) });
  const headers: Record<string, string> = await client.authHeaders();
  const authorization: string | undefined = headers["Authorization"] ?? headers["authorization"];

  const v1: void = client.invalidate();
  const v2: void = client.free();
  const v3: void = client[Symbol.dispose]();
  {
    using scoped = new AuthClient({ provider: "papaya", baseUrl: "https://p.example.com", apiKey: "k", clientSecret: "s" });
    await scoped.getToken();
  }

  // A bound method can be passed where a fetch function is expected.
  const asFetch: (input: string, init?: RequestInit) => Promise<Response> = client.fetch;

  try {
    await client.getToken();
  } catch (e) {
    if (e instanceof AuthError) {
      const err: Error = e;
      const name: string = e.name;
      const code: string = e.code;
      const status: number | undefined = e.status;
      const messages: readonly string[] = e.messages;
      const message: string = e.message;
      if (e.code === "invalid_config" || e.code === "invalid_credentials" || e.code === "invalid_request" || e.code === "forbidden" || e.code === "rate_limited") void 0;
      if (e.code === "server_error" || e.code === "invalid_response" || e.code === "network" || e.code === "timeout") void 0;
      // @ts-expect-error: not one of docs/API.md's codes
      if (e.code === "no_such_code") void 0;
      void [err, name, code, status, messages, message];
    }
  }

  for (const c of clients) c.free();
  void [token, t2, accessToken, tokenType, expiresAt, refreshExpiresAt, scope, r1, r2, r3, r4, authorization, v1, v2, v3, asFetch];
}

void main;
