// Runs a bundled edge function (argv[2]) in Vercel's Edge Runtime (the
// edge-runtime package: a vm context with the edge globals) and prints what
// GET /?baseUrl=<argv[3]> answered.
import { EdgeRuntime } from "edge-runtime";
import { readFileSync } from "node:fs";

const runtime = new EdgeRuntime({ initialCode: readFileSync(process.argv[2], "utf8") });
const res = await runtime.dispatchFetch(`http://edge.test/?baseUrl=${encodeURIComponent(process.argv[3])}`);
console.log(`RESULT ${await res.text()}`);
// edge-runtime's AbortSignal.timeout is a plain (ref'd) setTimeout, so the
// token request's deadline would hold this process for timeoutMs more.
process.exit(0);
