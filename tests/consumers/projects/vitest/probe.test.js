// The probe as a Vitest test; the runner picks the environment (node, jsdom).
import { writeFileSync } from "node:fs";
import { expect, test } from "vitest";
import { probe } from "./probe.js";

test("edge-auth works in this Vitest environment", async () => {
  const result = await probe(process.env.EDGE_AUTH_BASE_URL);
  writeFileSync(process.env.PROBE_OUT, JSON.stringify({ ...result, environment: typeof window === "undefined" ? "node" : "jsdom" }));
  expect(result.wrongSecret).toBe("invalid_credentials");
});
