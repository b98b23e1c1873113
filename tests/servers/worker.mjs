// Test worker for tests/servers/workerd.test.mjs: the zero-configuration path
// and client assertions (/assertions) from a Worker, bundled by wrangler with edge-auth's "workerd" condition.
// The servers' URLs and a client arrive in the SERVERS binding (JSON);
// nothing is constructed at global scope.
import { AuthClient } from "edge-auth";
import { zeroConfiguration } from "./zero-config.mjs";
import { clientAssertions } from "./assertions.mjs";

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const info = JSON.parse(env.SERVERS);
    if (url.pathname === "/assertions") {
      const outcome = await clientAssertions({ AuthClient, server: info.oidc, keyClients: info.keyClients, hs256: info.hs256 });
      return new Response(JSON.stringify(outcome), { headers: { "content-type": "application/json" } });
    }
    const name = url.searchParams.get("server");
    const server = info[name];
    if (!server) return new Response(`no server ${name}`, { status: 404 });
    const outcome = await zeroConfiguration({ AuthClient, server, client: info.client });
    return new Response(JSON.stringify(outcome), { headers: { "content-type": "application/json" } });
  },
};
