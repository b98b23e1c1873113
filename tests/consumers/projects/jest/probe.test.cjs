// The probe as a Jest test, in Jest's default (CommonJS, node) environment.
const { writeFileSync } = require("node:fs");
const { probe } = require("./probe.cjs");

test("edge-auth works under Jest", async () => {
  const result = await probe(process.env.EDGE_AUTH_BASE_URL);
  writeFileSync(process.env.PROBE_OUT, JSON.stringify({ ...result, resolved: require.resolve("edge-auth") }));
  expect(result.wrongSecret).toBe("invalid_credentials");
});
