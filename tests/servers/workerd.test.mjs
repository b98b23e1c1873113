// The zero-configuration path and client assertions from a Worker: tests/servers/worker.mjs bundled
// by wrangler ("workerd" condition, the .wasm as a module) and run by
// miniflare, against the real authorization servers of servers.mjs started
// in this process.
//
//   node --test tests/servers/workerd.test.mjs        (Node 22; after make pkg)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { bundleWorker, compatDate, workerOptions, workerGet, LOOPBACK_ONLY } from "../lib/workerd.mjs";
import { startServers, assertionClients, CLIENTS } from "./servers.mjs";
import { checkZeroConfiguration } from "./zero-config.mjs";
import { checkClientAssertions } from "./assertions.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WRANGLER_TOML = path.join(HERE, "wrangler.toml");

let servers;
let bundleDir;
let mf;

before(async () => {
  servers = await startServers();
  bundleDir = await mkdtemp(path.join(os.tmpdir(), "edge-auth-servers-worker-"));
  const { scriptPath } = await bundleWorker(WRANGLER_TOML, path.join(bundleDir, "out"));
  const describe = (s) => ({ name: s.name, tokenUrl: s.tokenUrl, apiUrl: s.apiUrl });
  mf = new Miniflare({
    ...LOOPBACK_ONLY,
    ...workerOptions(scriptPath, compatDate(WRANGLER_TOML)),
    bindings: { SERVERS: JSON.stringify({ oidc: describe(servers.oidc), node: describe(servers.node), client: CLIENTS.post, ...assertionClients(servers.oidc) }) },
  });
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
  await servers?.close();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

for (const name of ["oidc", "node"]) {
  test(`zero configuration from a Worker: ${name === "oidc" ? "oidc-provider" : "@node-oauth/oauth2-server"}`, async (t) => {
    const s = servers[name];
    const before = s.tokenLog.length;
    const r = await workerGet(mf, `/?server=${name}`, 30_000);
    assert.equal(r.status, 200, r.text);
    const summary = checkZeroConfiguration(r.body, s.tokenLog.slice(before), {
      clientId: CLIENTS.post.clientId,
      tokenUrl: s.tokenUrl,
      fail: (message) => assert.fail(`${s.name}: ${message}`),
    });
    t.diagnostic(`${s.name} from a Worker: ${summary}`);
  });
}

test("client assertions from a Worker (workerd's crypto.subtle): oidc-provider", async (t) => {
  const s = servers.oidc;
  const before = s.tokenLog.length;
  const r = await workerGet(mf, "/assertions", 30_000);
  assert.equal(r.status, 200, r.text);
  const { keyClients, hs256 } = assertionClients(s);
  const summary = checkClientAssertions(r.body, s.tokenLog.slice(before), { keyClients, hs256, fail: (message) => assert.fail(`${s.name}: ${message}`) });
  t.diagnostic(`${s.name} from a Worker: ${summary}`);
});
