// Measures the shared store's effect (the figure README's shared-store section quotes): N Deno processes,
// started together, over L token lifetimes of T seconds, each with an
// AuthClient against the vendor emulator; the total token requests the
// emulator saw, with `store: denoKvStore(Deno.openKv(file))` on one shared
// file and without a store.
//
//   node tests/store/measure.mjs [--n 8] [--lifetimes 3] [--ttl 4] [--mode timer|stream|both] [--json]
//
// mode "timer": autoRefresh: true (Deno's default), a getToken every 250 ms;
// mode "stream": autoRefresh: false, a getToken every 50 ms.
// The cold start is the requests of the first quarter lifetime (at most 1 s).
import { startEmulator } from "../emulator/server.mjs";
import { runDenoFleet, describeRun } from "./lib.mjs";

function args(argv) {
  const o = { n: 8, lifetimes: 3, ttl: 4, mode: "both", json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") o.json = true;
    else if (["--n", "--lifetimes", "--ttl"].includes(a)) o[a.slice(2)] = Number(argv[++i]);
    else if (a === "--mode") o.mode = argv[++i];
    else throw new Error(`unknown argument ${a}; usage: measure.mjs [--n 8] [--lifetimes 3] [--ttl 4] [--mode timer|stream|both] [--json]`);
  }
  if (![o.n, o.lifetimes, o.ttl].every((x) => Number.isInteger(x) && x > 0)) throw new Error("--n, --lifetimes, --ttl: positive integers");
  if (!["timer", "stream", "both"].includes(o.mode)) throw new Error("--mode: timer, stream or both");
  return o;
}

const o = args(process.argv.slice(2));
const modes = o.mode === "both" ? ["timer", "stream"] : [o.mode];
const emulator = await startEmulator();
const rows = [];
try {
  for (const mode of modes) {
    for (const withStore of [true, false]) {
      const r = await runDenoFleet({
        emulatorUrl: emulator.url,
        ns: `measure-${mode}-${withStore ? "store" : "nostore"}`,
        n: o.n,
        ttlSeconds: o.ttl,
        lifetimes: o.lifetimes,
        withStore,
        mode,
      });
      const sum = (k) => r.results.reduce((a, x) => a + (Array.isArray(x[k]) ? x[k].length : x[k]), 0);
      rows.push({
        mode,
        store: withStore,
        total: r.total,
        coldStart: r.cold,
        afterColdStart: r.afterCold,
        renewals: r.events,
        goalAfterColdStart: 2 * o.lifetimes,
        storeGets: sum("gets"),
        storePuts: sum("puts"),
        onToken: sum("onToken"),
        storeErrors: sum("storeErrors"),
        expiredHandedOut: sum("expired"),
        failures: sum("failures"),
        requestTimesMs: r.requestTimesMs,
      });
      if (!o.json) console.error(describeRun(r));
    }
  }
} finally {
  await emulator.close();
}

if (o.json) {
  console.log(JSON.stringify({ n: o.n, lifetimes: o.lifetimes, ttlSeconds: o.ttl, rows }, null, 2));
} else {
  console.log(`\n${o.n} Deno processes × ${o.lifetimes} token lifetimes of ${o.ttl} s (goal with the store: cold start ≤ ${o.n}, then ≤ ${2 * o.lifetimes})\n`);
  console.log("mode    store  total  cold start  after cold start  store gets  store puts  onToken  requests per renewal");
  for (const r of rows) {
    console.log(
      `${r.mode.padEnd(7)} ${(r.store ? "yes" : "no").padEnd(6)} ${String(r.total).padStart(5)}  ${String(r.coldStart).padStart(10)}  ${String(r.afterColdStart).padStart(16)}  ${String(r.storeGets).padStart(10)}  ${String(r.storePuts).padStart(10)}  ${String(r.onToken).padStart(7)}  ${r.renewals.join(" ")}`,
    );
  }
}
