// Child process of secrets.test.mjs: runs the whole fault matrix in Node with
// recording clients (observe mode) and prints every rendering of every error
// the library produced (message, String, JSON.stringify, stack, messages,
// util.inspect…) to stdout, where the parent captures it with stderr and
// greps both for every credential and token.
//
//   node tests/hardening/secrets-child.mjs --emu URL --prefix P --side FILE
//
// The tokens the emulator issued (which the parent greps for) travel in the
// side file, never on stdout or stderr. console.* is wrapped: calls are
// counted (the library makes none) and still printed. The process must exit
// by itself once the matrix is done (every client freed).
import { writeFileSync } from "node:fs";
import { inspect } from "node:util";
import { AuthClient, AuthError } from "edge-auth";
import { runMatrix } from "./matrix.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
for (const k of ["emu", "prefix", "side"]) if (!args[k]) throw new Error(`missing --${k}`);

const out = (line) => process.stdout.write(`${line}\n`);
const consoleCalls = [];
for (const m of ["log", "info", "warn", "error", "debug", "trace", "dir", "dirxml", "table", "group", "groupCollapsed", "assert", "count", "timeLog"]) {
  const original = console[m];
  if (typeof original !== "function") continue;
  console[m] = function (...a) {
    consoleCalls.push(m);
    out(`[console.${m} called]`);
    return original.apply(this, a);
  };
}

const t0 = Date.now();
const summary = await runMatrix(
  {
    AuthClient,
    AuthError,
    emulatorUrl: args.emu,
    prefix: args.prefix,
    observe: true,
    inspect,
    emit: ({ case: id, what, text }) => out(`[emit ${id} ${what}] ${text}`),
  },
  { concurrency: 8 },
);
const tokens = new Map();
for (const r of summary.results) for (const t of r.tokens ?? []) tokens.set(t.value, t.field);
const results = summary.results.map(({ tokens: _t, ...rest }) => rest);
writeFileSync(
  args.side,
  JSON.stringify({
    node: process.version,
    ms: Date.now() - t0,
    summary: { cases: summary.cases, passed: summary.passed, failures: summary.failures, results },
    tokens: [...tokens].map(([value, field]) => ({ value, field })),
    consoleCalls,
  }),
);
out(`[done] ${summary.passed}/${summary.cases} cases passed`);
