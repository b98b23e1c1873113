// Cold-start worker for bench/lib/workerd.mjs: edge-auth, bundled by wrangler
// through the package's "workerd" condition. Nothing happens at global scope
// beyond the package's own wasm instantiation; the client is made per request.
import { AuthClient } from "edge-auth";

let client = null;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const base = url.searchParams.get("base");
    const bodyEncoding = url.searchParams.get("enc") ?? "json";
    client ??= new AuthClient({
      provider: "oauth2",
      baseUrl: base,
      clientId: "demo-oauth2-client",
      clientSecret: "demo-oauth2-secret",
      bodyEncoding,
    });
    const token = await client.getToken();
    return Response.json({ tokenLength: token.length, parts: token.split(".").length });
  },
};
