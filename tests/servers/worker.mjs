// Test worker for tests/servers/workerd.test.mjs: the zero-configuration path
// from a Worker, bundled by wrangler with edge-auth's "workerd" condition.
// The servers' URLs and a client arrive in the SERVERS binding (JSON);
// nothing is constructed at global scope.
import { AuthClient } from "edge-auth";
import { zeroConfiguration } from "./zero-config.mjs";

export default {
  async fetch(request, env) {
    const name = new URL(request.url).searchParams.get("server");
    const info = JSON.parse(env.SERVERS);
    const server = info[name];
    if (!server) return new Response(`no server ${name}`, { status: 404 });
    const outcome = await zeroConfiguration({ AuthClient, server, client: info.client });
    return new Response(JSON.stringify(outcome), { headers: { "content-type": "application/json" } });
  },
};
