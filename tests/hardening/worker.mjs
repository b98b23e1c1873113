// Test worker for tests/hardening/workerd.test.mjs and secrets.test.mjs,
// bundled by wrangler with edge-auth's "workerd" export condition. One case
// of the fault matrix per request (workerd's per-request limits stay far):
//
//   GET /list                                   → { ids }
//   GET /case?id=…&emu=…&prefix=…[&observe=1]   → { result, emitted, console, unhandled }
//
// With observe=1 the case's clients get a recording fetch (result.tokens: every
// token the emulator handed out), every rendering of every error is returned
// in `emitted`, and each error is also printed with workerd's own console.log
// so that workerd's formatting of it reaches the runtime's stdout, which the
// test captures. console.* calls made by anything else (the library) are
// recorded in `console` as well as printed. Nothing is done at global scope.
import { AuthClient, AuthError } from "edge-auth";
import { listCases, runCase } from "./matrix.mjs";

// Unhandled rejections of this isolate (registering a listener does no I/O).
const unhandled = [];
addEventListener("unhandledrejection", (event) => {
  const r = event.reason;
  unhandled.push(r instanceof Error ? `${r.name}: ${r.message}` : String(r));
});

let consoleLog = null; // console calls not made by this worker, since the last /case answer
let originalLog = null;

function wrapConsole() {
  if (consoleLog) return;
  consoleLog = [];
  originalLog = console.log.bind(console);
  for (const m of ["log", "info", "warn", "error", "debug", "trace", "dir", "table", "group", "groupCollapsed", "assert", "count", "timeLog"]) {
    const original = typeof console[m] === "function" ? console[m].bind(console) : null;
    if (!original) continue;
    console[m] = (...args) => {
      consoleLog.push(`[console.${m}] ${args.map(render).join(" ")}`);
      return original(...args);
    };
  }
}

function render(v) {
  if (typeof v === "string") return v;
  if (v instanceof Error) return `${v.name}: ${v.message}\n${v.stack ?? ""} ${JSON.stringify(v)}`;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

const json = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    wrapConsole();
    if (url.pathname === "/list") return json({ ids: listCases().map((c) => c.id) });
    if (url.pathname !== "/case") return json({ error: `no route ${url.pathname}` }, 404);
    const id = url.searchParams.get("id");
    const emulatorUrl = url.searchParams.get("emu");
    const prefix = url.searchParams.get("prefix");
    if (!id || !emulatorUrl || !prefix) return json({ error: "id, emu and prefix are required" }, 400);
    const observe = url.searchParams.get("observe") === "1";
    const emitted = [];
    const env = { AuthClient, AuthError, emulatorUrl, prefix, observe };
    if (observe) {
      env.emit = (record) => emitted.push(record);
      // No util.inspect here: each error goes through workerd's own console
      // formatting instead (once per error), to the captured runtime stdout.
      env.inspect = (err, options) => {
        if (!options) originalLog(`[hardening ${id}] an error as workerd's console.log prints it:`, err);
        return undefined;
      };
    }
    const result = await runCase(env, id);
    await new Promise((resolve) => setTimeout(resolve, 0)); // let the last turn's rejections surface
    return json({ result, emitted, console: consoleLog.splice(0), unhandled: unhandled.splice(0) });
  },
};
