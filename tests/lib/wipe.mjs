// What is left of credentials, request bodies and tokens in the wasm's
// linear memory after clients are freed (docs/API.md §8). Shared by the Node
// and Deno tests (tests/node/memory.test.mjs, tests/deno/memory.test.mjs):
// `memory` is the package's WebAssembly.Memory, reached through the glue's
// initSync(), which returns the instance the package already initialised.
//
// The clients use a `fetch` of their own (no network): each answers a
// first token request with a 401 quoting the secret, then issues a token,
// then answers an API call; so every buffer a credential passes through is
// used: the options read, the JSON, form and HTTP Basic bodies and headers,
// the vendor's echo and its redaction, the token response, the store value.
import { base64, formEncode } from "./echoes.mjs";

const encoder = new TextEncoder();

function find(memory, needle) {
  const haystack = new Uint8Array(memory.buffer);
  const bytes = encoder.encode(needle);
  const hits = [];
  const first = bytes[0];
  outer: for (let i = haystack.indexOf(first); i >= 0 && i <= haystack.length - bytes.length; i = haystack.indexOf(first, i + 1)) {
    for (let j = 1; j < bytes.length; j++) if (haystack[i + j] !== bytes[j]) continue outer;
    hits.push(i);
  }
  return hits;
}

/** Needles for one client's secret, in the forms the wasm builds or receives. */
function forms(id, secret, token) {
  return [
    ["the secret", secret],
    ["the secret, JSON-escaped", JSON.stringify(secret).slice(1, -1)],
    ["the secret, form-encoded", formEncode(secret)],
    ["id:secret (HTTP Basic, base64)", base64(`${formEncode(id)}:${formEncode(secret)}`)],
    ["the access token", token],
  ];
}

function client(AuthClient, n, provider) {
  const tag = `${n}-${Math.random().toString(36).slice(2, 10)}`;
  const id = `wipe-client-${tag}`;
  const secret = `wipe-SECRET-${tag}-\u00fc"/&+ x`;
  const token = `wipe-token-${tag}-${"t".repeat(20)}`;
  let tokenRequests = 0;
  const fetch = async (input, init) => {
    const url = String(input?.url ?? input);
    if (url.includes("/token")) {
      tokenRequests += 1;
      if (tokenRequests === 1) {
        return new Response(JSON.stringify({ error: "invalid_client", error_description: `secret ${secret} of ${id} is wrong` }), { status: 401 });
      }
      return Response.json({ access_token: token, token_type: "Bearer", expires_in: 3600 });
    }
    return Response.json({ ok: true });
  };
  const store = { map: new Map(), async get(k) { return this.map.get(k) ?? null; }, async put(k, v) { this.map.set(k, v); } };
  const options =
    provider === "oauth2"
      ? { provider, baseUrl: "https://api.example.test", clientId: id, clientSecret: secret, bodyEncoding: "form", clientAuth: "basic" }
      : { provider, baseUrl: "https://api.example.test", clientId: id, secret };
  const c = new AuthClient({ ...options, fetch, store, autoRefresh: false });
  return { c, id, secret, token };
}

/**
 * Runs `count` clients through their whole life and frees them. Returns the
 * needles still found in linear memory: [{ client, what, hits }].
 */
export async function leftoversAfterFree(AuthClient, memory, count = 1) {
  const all = [];
  for (let n = 0; n < count; n++) {
    const k = client(AuthClient, n, n % 2 ? "younium" : "oauth2");
    await k.c.getToken().then(
      () => {
        throw new Error("the first token request should have failed");
      },
      (e) => {
        if (e?.code !== "invalid_credentials") throw e;
      },
    );
    await k.c.getToken();
    await (await k.c.fetch("/x")).text();
    k.c.free();
    all.push(k);
  }
  // Let every settled flight's last references go.
  await new Promise((resolve) => setTimeout(resolve, 20));
  const found = [];
  for (const [i, k] of all.entries()) {
    for (const [what, needle] of forms(k.id, k.secret, k.token)) {
      const hits = find(memory, needle);
      if (hits.length) found.push({ client: i, what, hits: hits.length });
    }
  }
  return found;
}
