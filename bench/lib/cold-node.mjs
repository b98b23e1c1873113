// Cold start in a fresh Node process: from `import` to the first token in hand.
//   node bench/lib/cold-node.mjs <ours|anchor> <namespace base URL> <json|form>
// EDGE_AUTH_ENTRY picks the package's entry file (default node.js; browser.js
// for the inline-wasm entry), in EDGE_AUTH_DIR.
// Nothing is imported statically, so the first line runs before any library
// code is loaded; performance.now() counts from the process's time origin.
const tStart = performance.now();
const [which, base, encoding = "json"] = process.argv.slice(2);
const creds = { clientId: "demo-oauth2-client", clientSecret: "demo-oauth2-secret" };
let tImported, tToken, token;

if (which === "ours") {
  // The run's snapshot of the package when run.mjs gave one, else the package as installed.
  const dir = process.env.EDGE_AUTH_DIR;
  const entry = process.env.EDGE_AUTH_ENTRY;
  if (entry && !dir) throw new Error("EDGE_AUTH_ENTRY needs EDGE_AUTH_DIR");
  const { AuthClient } = await import(dir ? `file://${dir}/${entry ?? "node.js"}` : "edge-auth");
  tImported = performance.now();
  const client = new AuthClient({ provider: "oauth2", baseUrl: base, ...creds, bodyEncoding: encoding });
  token = await client.getToken();
  tToken = performance.now();
  client.free();
} else if (which === "anchor") {
  const { OAuth2Client, OAuth2Fetch } = await import("@badgateway/oauth2-client");
  tImported = performance.now();
  const client = new OAuth2Client({
    tokenEndpoint: `${base}/api/v2/oauth2/token`,
    ...creds,
    authenticationMethod: "client_secret_post",
  });
  const wrapper = new OAuth2Fetch({ client, getNewToken: () => client.clientCredentials() });
  token = await wrapper.getAccessToken();
  tToken = performance.now();
} else {
  throw new Error(`unknown library ${which}`);
}

if (typeof token !== "string" || token.split(".").length !== 3) throw new Error(`no token: ${token}`);
process.stdout.write(
  `RESULT ${JSON.stringify({
    firstLineMs: tStart, // process start → first line of this script
    importMs: tImported - tStart, // import() of the library (wasm compile + instantiate for ours)
    importToTokenMs: tToken - tStart, // import → token in hand
    processToTokenMs: tToken, // process start → token in hand
  })}\n`,
);
