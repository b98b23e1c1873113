// Cold-start worker for bench/lib/workerd.mjs: @badgateway/oauth2-client
// (OAuth2Client + OAuth2Fetch, client_credentials, form body), bundled by wrangler.
import { OAuth2Client, OAuth2Fetch } from "@badgateway/oauth2-client";

let wrapper = null;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const base = url.searchParams.get("base");
    if (!wrapper) {
      const client = new OAuth2Client({
        tokenEndpoint: `${base}/api/v2/oauth2/token`,
        clientId: "demo-oauth2-client",
        clientSecret: "demo-oauth2-secret",
        authenticationMethod: "client_secret_post",
      });
      wrapper = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials(), scheduleRefresh: false });
    }
    const token = await wrapper.getAccessToken();
    return Response.json({ tokenLength: token.length, parts: token.split(".").length });
  },
};
