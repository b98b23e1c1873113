// A CommonJS program: require("edge-auth") must give the CommonJS entry,
// with no require(esm) (the runner turns it off, as in Node 20.0–20.18).
const { probe } = require("./probe.cjs");

console.log(`RESOLVED ${require.resolve("edge-auth")}`);
probe(process.env.EDGE_AUTH_BASE_URL).then(
  (result) => console.log(`RESULT ${JSON.stringify(result)}`),
  (error) => console.log(`RESULT ${JSON.stringify({ error: String(error?.stack ?? error) })}`),
);
