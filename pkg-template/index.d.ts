// Type declarations for edge-auth. Hand-written to match docs/API.md; checked
// by `tsc --noEmit --strict` on tests/node/typed-example.ts in `make test`,
// and by the TypeScript consumers of tests/consumers/ (nodenext, node16
// CommonJS, bundler; with and without @types/node). make pkg copies this file
// to index.d.cts for CommonJS importers.

// `Symbol.dispose`, declared as lib.esnext.disposable and @types/node declare
// it (the declarations merge), so that `[Symbol.dispose]` below compiles in a
// project without either.
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** Which token dialect the client speaks. */
export type Provider = "younium" | "younium-v1" | "union" | "papaya" | "oauth2";

/** Younium's hosts: production `https://api.younium.com`, sandbox `https://api.sandbox.younium.com`, … */
export type YouniumEnvironment = "production" | "sandbox" | "us-production" | "us-sandbox";

/** The Workers KV namespace shape (`env.TOKENS` passes as it is). */
export interface TokenStore {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void> | void;
  /**
   * Optional (docs/API.md §7.1): take the key's lease for `ttlMs`; true when this caller
   * holds it now. One caller then asks the vendor; the others wait (bounded) for its token.
   * `put` ends the lease. The call may stay open up to `boundMs` until the token is in.
   */
  lease?(key: string, ttlMs: number, boundMs: number): Promise<boolean>;
}

/** A Durable Object namespace binding of the `TokenBroker` class (`env.TOKEN_BROKER`). */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: any): { fetch(input: string, init?: RequestInit): Promise<Response> };
}

// `string | URL | Request`, not `RequestInfo`: @types/node has no RequestInfo.
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

interface CommonOptions {
  /** API origin, optionally with a path prefix; relative URLs given to `client.fetch` are joined to it. */
  baseUrl?: string;
  /** Full token endpoint URL, used as given. */
  tokenUrl?: string;
  /** A token counts as expired this many seconds before it expires (default 60; at most half the token's lifetime). */
  refreshLeewaySeconds?: number;
  /** Refresh by timer before expiry (default: on where timers outlive a request, off in Workers). */
  autoRefresh?: boolean;
  /** Limit for one token request attempt, body included, in milliseconds (default 10000). */
  timeoutMs?: number;
  /**
   * The most one `getToken()` (and the token wait of any call) takes in all, every
   * attempt, retry, wait and store call included, in milliseconds
   * (default 30000, or `timeoutMs` if that is longer).
   */
  deadlineMs?: number;
  /**
   * Origins besides `baseUrl`'s to which `client.fetch` may send the token, e.g.
   * `["https://files.example.com"]` (each `https:`, or `http:` on loopback; no path).
   * Any other URL is refused with `invalid_config` before anything is sent.
   */
  allowedOrigins?: readonly string[];
  /** The fetch to use instead of `globalThis.fetch` (a Workers service binding's fetch, bound; a test double). */
  fetch?: FetchFunction;
  /**
   * Shared token cache with the Workers KV shape, e.g. `env.TOKENS` or `denoKvStore(kv)`.
   * It holds access tokens (and union's refresh tokens), never credentials; keys are SHA-256 hashes.
   */
  store?: TokenStore;
  /**
   * Workers: the `TokenBroker` Durable Object namespace (`env.TOKEN_BROKER`) as the shared
   * store with a lease: one token request per token lifetime across every isolate
   * (docs/API.md §7.1; wrangler.toml lines in the README). Exclusive with `store`.
   */
  broker?: DurableObjectNamespaceLike;
  /**
   * Called when the store throws, times out (1 s), holds a malformed entry or one
   * bound to another key; the call goes on as a miss. The Error's message describes
   * the store's own error, secrets redacted.
   */
  onStoreError?: (error: Error) => void;
  /** Called after every token acquired, refreshed or loaded from the store. Exceptions are contained. */
  onToken?: (info: TokenInfo) => void | Promise<void>;
}

export interface YouniumOptions extends CommonOptions {
  provider: "younium" | "younium-v1";
  /** Picks the host; default `"production"`. `baseUrl` overrides it. */
  environment?: YouniumEnvironment;
  clientId: string;
  secret: string;
  /** Sent as the `legal-entity` header on API calls. */
  legalEntity?: string;
  /** The `api-version` header on API calls; default `"2.1"`. */
  apiVersion?: string;
}

export interface UnionOptions extends CommonOptions {
  provider: "union";
  username: string;
  password: string;
  /** Full refresh endpoint URL; default derived from `tokenUrl` or `baseUrl`. */
  refreshUrl?: string;
  /** The `api-version` query parameter of the auth endpoints; default `"1.0"`. */
  apiVersion?: string;
}

export interface PapayaOptions extends CommonOptions {
  provider: "papaya";
  apiKey: string;
  clientSecret: string;
  tokenName?: string;
}

interface OAuth2BaseOptions extends CommonOptions {
  provider: "oauth2";
  clientId: string;
  /** Scopes to ask for: space-separated, or an array. */
  scope?: string | string[];
  /** Sent as `audience`, for servers that use that name. */
  audience?: string;
  /**
   * RFC 8707 resource indicator(s): absolute URIs without a fragment, each
   * sent as its own `resource` parameter.
   */
  resource?: string | string[];
  /**
   * Pins the body: JSON (as the seed vendor documents) or RFC 6749 form
   * encoding. Unset, JSON is sent first and, if the server refuses that
   * format, once more as a form; what worked is kept.
   */
  bodyEncoding?: "json" | "form";
}

/** An oauth2 client with a secret. */
export interface OAuth2SecretOptions extends OAuth2BaseOptions {
  clientSecret: string;
  /**
   * Pins the client's credentials: in the body or HTTP Basic (RFC 6749
   * §2.3.1). Unset, the body is tried first and HTTP Basic once after an
   * `invalid_client`; what worked is kept. `"client_secret_jwt"`: an HS256
   * client assertion made with the secret (RFC 7523 §2.2); no detection.
   */
  clientAuth?: "body" | "basic" | "client_secret_jwt";
  /** `client_secret_jwt`: must be `"HS256"` if given. */
  algorithm?: "HS256";
  /** `client_secret_jwt`: the assertion header's `kid`. */
  keyId?: string;
  privateKey?: never;
}

/** A private JWK (RSA or EC P-256), as `crypto.subtle.exportKey("jwk")` gives it. */
export interface PrivateJwk {
  kty: "RSA" | "EC";
  crv?: "P-256";
  d: string;
  kid?: string;
  alg?: string;
  [member: string]: unknown;
}

/**
 * An oauth2 client that authenticates with a key (`private_key_jwt`, RFC
 * 7523 §2.2): a JWT signed with `crypto.subtle` for every token request.
 */
export interface OAuth2KeyOptions extends OAuth2BaseOptions {
  /** Implied by `privateKey`. */
  clientAuth?: "private_key_jwt";
  /** A PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) or a private JWK. Never shown in any output. */
  privateKey: string | PrivateJwk;
  /** The assertion header's `kid`; default the JWK's `kid`. */
  keyId?: string;
  /** Default: ES256 for an EC key, else the JWK's `alg`, else RS256. */
  algorithm?: "RS256" | "PS256" | "ES256";
  clientSecret?: never;
}

export type OAuth2Options = OAuth2SecretOptions | OAuth2KeyOptions;

/** A Google service account's JSON key file (the members edge-auth reads). */
export interface GoogleServiceAccount {
  type?: "service_account";
  client_email: string;
  /** An RSA PKCS#8 PEM. */
  private_key: string;
  private_key_id?: string;
  /** Default `https://oauth2.googleapis.com/token`. */
  token_uri?: string;
  [member: string]: unknown;
}

/** A Google service account: the JWT-bearer grant (RFC 7523 §2.1), RS256 with `crypto.subtle`. */
export interface GoogleOptions extends CommonOptions {
  provider: "google";
  /** The JSON key file, as an object or as its text (e.g. a Workers secret binding). */
  serviceAccount: GoogleServiceAccount | string;
  /** The OAuth scopes: space-separated, or an array. */
  scope: string | string[];
  /** Domain-wide delegation: the user to act as. */
  subject?: string;
}

export type AuthClientOptions = YouniumOptions | UnionOptions | PapayaOptions | OAuth2Options | GoogleOptions;

export interface TokenInfo {
  accessToken: string;
  /** Always `"Bearer"` (a response's `bearer` in any case); other token types are refused. */
  tokenType: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** union: when the refresh token expires (absent when it has no time limit). */
  refreshExpiresAt?: number;
  /** The granted scope, space-separated (an array in the response is joined). */
  scope?: string;
}

export type AuthErrorCode =
  | "invalid_config"
  | "invalid_credentials"
  | "invalid_request"
  | "forbidden"
  | "rate_limited"
  | "server_error"
  | "invalid_response"
  | "network"
  | "timeout";

/** Every rejection and throw of edge-auth. Never contains a credential or token. */
export class AuthError extends Error {
  constructor(code: AuthErrorCode, message: string, details?: { status?: number; messages?: string[] });
  readonly name: "AuthError";
  readonly code: AuthErrorCode;
  /** The HTTP status of the response, where there was one. */
  readonly status: number | undefined;
  /** The vendor's own error strings, credentials redacted. */
  readonly messages: string[];
}

/** Per-call options (read from the object's own properties). */
export interface CallOptions {
  /**
   * Ends this caller's wait (code `network`, or `timeout` for `AbortSignal.timeout`)
   * without cancelling a token request others share; for `fetch`, also the API request
   * when `init.signal` is not given.
   */
  signal?: AbortSignal;
  /**
   * Workers: `ctx.waitUntil.bind(ctx)`. A token request this call starts
   * (including a background refresh) is kept alive after the response is sent.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export class AuthClient {
  /** @throws {AuthError} `invalid_config`, synchronously, naming the option at fault. */
  constructor(options: AuthClientOptions);
  /** A valid access token; concurrent callers share one token request. */
  getToken(call?: CallOptions): Promise<string>;
  tokenInfo(call?: CallOptions): Promise<TokenInfo>;
  /**
   * `fetch` with the auth headers set, only for URLs on `baseUrl`'s origin or in
   * `allowedOrigins` (else `invalid_config`, before anything is sent); relative URLs
   * are joined to `baseUrl`. Each call gets headers of its own. Bound, so it can be passed around.
   */
  fetch(input: string | URL | Request, init?: RequestInit, call?: CallOptions): Promise<Response>;
  /** The headers `fetch` would add, for another HTTP client (a new object on every call; any origin). */
  authHeaders(call?: CallOptions): Promise<Record<string, string>>;
  /** Drop the cached token. */
  invalidate(): void;
  /** Stop timers and release the client; later calls reject with `invalid_config`. */
  free(): void;
  [Symbol.dispose](): void;
}

/** The subset of `Deno.Kv` that `denoKvStore` uses. */
export interface DenoKvLike {
  get(key: readonly unknown[]): Promise<{ value: unknown; versionstamp?: string | null }>;
  set(key: readonly unknown[], value: unknown, options?: { expireIn?: number }): Promise<unknown>;
  /** With it (a real `Deno.Kv`), the store has a lease. */
  atomic?(): any;
}

/** Adapts a `Deno.Kv` to the `store` shape, with a lease (an atomic versionstamp check). */
export function denoKvStore(kv: DenoKvLike, options?: { prefix?: readonly unknown[] }): TokenStore;

/** What `redisStore` needs: a node-redis (v4 or later) or an ioredis client. */
export type RedisClientLike = { sendCommand(args: string[]): Promise<unknown> } | { call(command: string, ...args: string[]): Promise<unknown> };

/**
 * The `store` shape on Redis with a `SET NX PX` lease (docs/API.md §7.1), through your
 * node-redis or ioredis client. Exported by the node, bun, deno and require entries.
 */
export function redisStore(client: RedisClientLike): TokenStore;

/**
 * The Durable Object class behind the `broker` option: export it from your worker's main
 * module and bind it (wrangler.toml lines in the README). Exported by the workerd entry.
 * Keeps tokens in memory only, never in Durable Object storage.
 */
export class TokenBroker {
  constructor(state: unknown, env: unknown);
  fetch(request: Request): Promise<Response>;
}
