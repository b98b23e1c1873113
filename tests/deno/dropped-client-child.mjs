// Run by tests/deno/scenarios.test.mjs as
//   deno run --allow-net=127.0.0.1 tests/deno/dropped-client-child.mjs <namespace base URL>
// A client with autoRefresh on (a refresh timer pending for an hour) that is
// dropped without free(): the timer is Deno.unrefTimer'd, so Deno exits.
import { AuthClient } from "edge-auth";
import { SAMPLE_CREDENTIALS } from "../emulator/credentials.mjs";

const client = new AuthClient({ provider: "younium", baseUrl: Deno.args[0], ...SAMPLE_CREDENTIALS.younium, autoRefresh: true });
console.log(`TOKEN=${await client.getToken()}`);
