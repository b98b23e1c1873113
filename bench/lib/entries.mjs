// Cold start of the inline-wasm entry (browser.js: the wasm as text in a JS
// module, decoded and compiled synchronously) against the entries that load
// the separate .wasm file: in fresh Node processes (node.js, which reads the
// file) and in fresh Chromium contexts, no cache (streaming.js, which
// compiles the .wasm while it downloads), both through an import map from a
// loopback server. Run by bench/run.mjs (section "entries").
//
//   node bench/lib/entries.mjs --emu URL --runs N      (needs EDGE_AUTH_DIR)
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { BENCH, OAUTH2, newNamespace, parseArgs, report, runChild } from "./common.mjs";
import { launchChromium } from "../../tests/lib/chromium.mjs";
import { startStaticServer } from "../../tests/lib/static-server.mjs";

const args = parseArgs(process.argv.slice(2));
const RUNS = Number(args.runs ?? 10);
const EMU = String(args.emu);
const DIR = process.env.EDGE_AUTH_DIR;
if (!DIR) throw new Error("EDGE_AUTH_DIR: the package snapshot (bench/run.mjs sets it)");

const NODE_ENTRIES = { inline: "browser.js", file: "node.js" };
const PAGE_ENTRIES = { inline: "browser.js", file: "streaming.js" };

async function node() {
  const samples = { inline: [], file: [] };
  const run = (which) => runChild(path.join(BENCH, "lib/cold-node.mjs"), ["ours", `${EMU}/t/${newNamespace("entries")}`, "json"], { env: { ...process.env, EDGE_AUTH_ENTRY: NODE_ENTRIES[which] } });
  for (const which of Object.keys(samples)) await run(which); // unmeasured: file system caches
  for (let i = 0; i < RUNS; i++) {
    for (const which of i % 2 ? ["file", "inline"] : ["inline", "file"]) samples[which].push({ ...(await run(which)), stderr: undefined });
  }
  return samples;
}

const page = (entry) => `<!doctype html><meta charset="utf-8"><title>edge-auth entry cold start</title>
<script type="importmap">{ "imports": { "edge-auth": "/pkg/${entry}" } }</script>
<script type="module">
  import { AuthClient } from "edge-auth";
  const importedMs = performance.now();
  const baseUrl = new URLSearchParams(location.search).get("base");
  const client = new AuthClient({ provider: "oauth2", baseUrl, clientId: ${JSON.stringify(OAUTH2.clientId)}, clientSecret: ${JSON.stringify(OAUTH2.clientSecret)} });
  client.getToken().then(
    () => {
      const files = performance.getEntriesByType("resource").filter((e) => e.name.includes("/pkg/")).map((e) => e.name.split("/pkg/")[1]);
      window.__bench = { importMs: importedMs, importToTokenMs: performance.now(), files };
      client.free();
    },
    (error) => (window.__bench = { error: String(error) }),
  );
</script>
`;

async function chromium() {
  const root = path.join(BENCH, "out", "entries-page");
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  cpSync(DIR, path.join(root, "pkg"), { recursive: true, dereference: true });
  for (const [which, entry] of Object.entries(PAGE_ENTRIES)) writeFileSync(path.join(root, `${which}.html`), page(entry));
  const server = await startStaticServer(root);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchChromium(60_000);
  const samples = { inline: [], file: [] };
  try {
    const run = async (which) => {
      const context = await browser.newContext(); // nothing cached: HTTP cache and wasm code cache are per context
      try {
        const tab = await context.newPage();
        await tab.goto(`${origin}/${which}.html?base=${encodeURIComponent(`${EMU}/t/${newNamespace("entries-page")}`)}`);
        await tab.waitForFunction(() => window.__bench !== undefined, null, { timeout: 30_000 });
        const r = await tab.evaluate(() => window.__bench);
        if (r.error) throw new Error(`${which}: ${r.error}`);
        return r;
      } finally {
        await context.close();
      }
    };
    for (const which of Object.keys(samples)) await run(which); // unmeasured
    for (let i = 0; i < RUNS; i++) {
      for (const which of i % 2 ? ["file", "inline"] : ["inline", "file"]) samples[which].push(await run(which));
    }
  } finally {
    await browser.close();
    server.closeAllConnections?.();
    server.close();
  }
  return samples;
}

report({ node: await node(), chromium: await chromium(), entries: { node: NODE_ENTRIES, chromium: PAGE_ENTRIES } });
