// Run by tests/deno/scenarios.test.mjs as
//   deno run --allow-net=127.0.0.1 tests/deno/no-read-child.mjs <namespace base URL>
// with no --allow-read: loading edge-auth (and its .wasm) must not need it.
import { AuthClient } from "edge-auth";
import { SAMPLE_CREDENTIALS } from "../emulator/credentials.mjs";

const base = Deno.args[0];
const client = new AuthClient({ provider: "younium", baseUrl: base, ...SAMPLE_CREDENTIALS.younium });
try {
  const token = await client.getToken();
  console.log(`TOKEN=${token}`);
} finally {
  client.free();
}
