// Deno runner for the runtime-agnostic scenario suite (tests/scenarios/).
//
//   node_modules/.bin/deno test -A tests/deno/       (from the repository root)
//
// `edge-auth` resolves from node_modules through the repository's package.json
// (Deno's "bring your own node_modules" mode), with the package's "deno"
// export condition, exactly as in a user's project. The vendor emulator runs
// as a child Node process (tests/emulator/server.mjs --port 0), started once
// at module load and stopped by the last test (and on unload, as a backstop).
import { AuthClient, AuthError } from "edge-auth";
import { scenarios, makeContext, assert } from "../scenarios/index.mjs";
import { SAMPLE_CREDENTIALS } from "../emulator/credentials.mjs";

const ROOT = new URL("../../", import.meta.url);
const SERVER = new URL("../emulator/server.mjs", import.meta.url);
const NO_READ_CHILD = new URL("./no-read-child.mjs", import.meta.url);
const DROPPED_CLIENT_CHILD = new URL("./dropped-client-child.mjs", import.meta.url);
const RUN = Date.now().toString(36);

// The emulator runs in a child Node process: tests/emulator/server.mjs's
// startEmulator(), printing its EMULATOR_URL= line like the CLI does, and
// exiting when its stdin closes. Deno holds the write end of that pipe, so
// the child goes away with this process however it ends (a --filter that
// skips the last test, a crash), not only through stop().
const CHILD_MAIN = `
import { startEmulator } from ${JSON.stringify(SERVER.href)};
const emu = await startEmulator({ port: 0 });
process.stdout.write("EMULATOR_URL=" + emu.url + "\\n");
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  emu.close().then(() => process.exit(0));
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
process.once("SIGTERM", stop);
`;

async function startEmulatorChild() {
  const child = new Deno.Command("node", {
    args: ["--input-type=module", "-e", CHILD_MAIN],
    cwd: ROOT.pathname,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  };
  let text = "";
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("the emulator printed no EMULATOR_URL line within 15 s")), 15_000);
  });
  try {
    while (!text.includes("\n")) {
      const { value, done } = await Promise.race([reader.read(), deadline]);
      if (done) break;
      text += value;
    }
  } catch (e) {
    kill();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const m = /^EMULATOR_URL=(\S+)/m.exec(text);
  if (!m) {
    kill();
    throw new Error(`the emulator's first line was not EMULATOR_URL=…: ${JSON.stringify(text.slice(0, 200))}`);
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await child.stdin.close().catch(() => {});
    await reader.cancel().catch(() => {});
    let timer2;
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise((resolve) => {
        timer2 = setTimeout(() => resolve(false), 5000);
      }),
    ]);
    clearTimeout(timer2);
    if (!exited) {
      kill();
      await child.status;
    }
  };
  return { url: m[1], stop };
}

const emulator = await startEmulatorChild();

// An uncaught error or unhandled rejection (from the library's own tasks)
// would otherwise end the whole module's run; record it and fail the test
// during which it happened instead.
const stray = [];
const describe = (e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
globalThis.addEventListener("error", (event) => {
  event.preventDefault();
  stray.push(`uncaught error: ${describe(event.error ?? event.message)}`);
});
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  stray.push(`unhandled rejection: ${describe(event.reason)}`);
});

scenarios.forEach((scenario, index) => {
  Deno.test(`scenario: ${scenario.name}`, async () => {
    const ctx = makeContext({ AuthClient, AuthError, emulatorUrl: emulator.url, ns: `deno-${RUN}-${index}` });
    const seen = stray.length;
    let failure = null;
    try {
      await scenario.run(ctx);
    } catch (e) {
      failure = e;
    } finally {
      ctx.cleanup();
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    const extra = stray.slice(seen);
    if (extra.length && failure) failure.message += `\nwhile the scenario ran:\n${extra.join("\n")}`;
    if (failure) throw failure;
    if (extra.length) throw new Error(`while the scenario ran:\n${extra.join("\n")}`);
  });
});

Deno.test("a child `deno run --allow-net=127.0.0.1` (no --allow-read) loads edge-auth and gets a token", async () => {
  const base = `${emulator.url}/t/deno-${RUN}-no-read`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-net=127.0.0.1", NO_READ_CHILD.pathname, base],
    cwd: ROOT.pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `child deno exit code (stderr: ${stderr.slice(0, 2000)})`);
  const m = /^TOKEN=(\S+)$/m.exec(stdout);
  assert.ok(m, `the child printed TOKEN=… (stdout: ${JSON.stringify(stdout.slice(0, 300))}, stderr: ${stderr.slice(0, 1000)})`);
  const token = m[1];
  // It is the emulator's token: one younium token request, and the API accepts it.
  const stats = await (await fetch(`${base}/__emulator/stats`)).json();
  assert.equal(stats.tokenRequests.younium, 1, "token requests made by the child");
  const res = await fetch(`${base}/whoami`, { headers: { authorization: `Bearer ${token}` } });
  await res.text();
  assert.equal(res.status, 200, "the emulator accepts the child's token");
  assert.ok(!stdout.includes(SAMPLE_CREDENTIALS.younium.secret), "the child printed no secret");
});

Deno.test("a child Deno that drops an autoRefresh client without free() exits by itself within 3 s", async () => {
  const base = `${emulator.url}/t/deno-${RUN}-dropped`;
  await fetch(`${base}/__emulator/config`, { method: "POST", body: JSON.stringify({ ttlSeconds: 7200 }) }).then((r) => r.text());
  const started = Date.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-net=127.0.0.1", DROPPED_CLIENT_CHILD.pathname, base],
    cwd: ROOT.pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  }).spawn();
  let timer;
  const killed = new Promise((resolve) => {
    timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      resolve("timeout");
    }, 3000);
  });
  const outcome = await Promise.race([child.output(), killed]);
  clearTimeout(timer);
  assert.ok(outcome !== "timeout", `the child was still running after 3 s (an un-unref'd refresh timer holds it)`);
  const stdout = new TextDecoder().decode(outcome.stdout);
  assert.equal(outcome.code, 0, `child exit code (stderr: ${new TextDecoder().decode(outcome.stderr).slice(0, 1000)})`);
  assert.match(stdout, /^TOKEN=\S+$/m, "the child got its token");
  assert.ok(Date.now() - started < 3000, "exited within 3 s");
});

Deno.test({
  name: "stop the emulator",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await emulator.stop();
  },
});
