// Secret grep for signing keys: a child Node process (keys-child.mjs) runs
// every signing client through faults, wrong and malformed keys and an
// echoing server, printing every rendering of every outcome; its whole
// stdout and stderr must hold no part of any private key: the PKCS#8
// base64 body (as 32-character windows, so a partial echo is found too),
// every PEM line, every private JWK member, and the emulator's Google
// service account key. The keys are made here with WebCrypto.
//
//   node --test tests/hardening/keys.test.mjs      (after make pkg)
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startEmulator, SAMPLE_CREDENTIALS } from "../emulator/server.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const subtle = globalThis.crypto.subtle;
const b64 = (buf) => Buffer.from(buf).toString("base64");
const PARAMS = {
  RS256: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  PS256: { name: "RSA-PSS", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
  ES256: { name: "ECDSA", namedCurve: "P-256" },
};

async function pair(alg) {
  const keys = await subtle.generateKey(PARAMS[alg], true, ["sign", "verify"]);
  const der = b64(await subtle.exportKey("pkcs8", keys.privateKey));
  const jwk = await subtle.exportKey("jwk", keys.privateKey);
  const pub = await subtle.exportKey("jwk", keys.publicKey);
  const pem = `-----BEGIN PRIVATE KEY-----\n${der.replace(/.{64}/g, "$&\n").trimEnd()}\n-----END PRIVATE KEY-----\n`;
  return { alg, kid: `hard-${alg}`, pem, jwk, pub: { kty: pub.kty, crv: pub.crv, n: pub.n, e: pub.e, x: pub.x, y: pub.y }, der };
}

/** Every piece of a key that must not appear: 32-char windows of its base64, its PEM lines, its private JWK members. */
function needles(der, jwk = {}) {
  // 32-character windows every 16: any echo of 48 characters or more holds one.
  const out = new Set();
  const windows = (text) => {
    for (let i = 0; i + 32 <= text.length; i += 16) out.add(text.slice(i, i + 32));
    if (text.length < 32 && text.length >= 16) out.add(text);
  };
  windows(der);
  for (const line of der.match(/.{1,64}/g)) if (line.length >= 32) out.add(line);
  for (const m of ["d", "p", "q", "dp", "dq", "qi"]) if (typeof jwk[m] === "string") windows(jwk[m]);
  return [...out];
}

test("no output of a signing client holds any part of a private key", { timeout: 180_000 }, async () => {
  const emu = await startEmulator();
  try {
    const pairs = await Promise.all(["RS256", "PS256", "ES256"].map(pair));
    const account = emu.googleServiceAccount(`keys-${process.pid}`);
    const accountDer = account.private_key.split("\n").filter((l) => !l.startsWith("-----")).join("");
    const all = [...pairs.flatMap((p) => needles(p.der, p.jwk)), ...needles(accountDer)];
    let stdout = "";
    let stderr = "";
    const code = await new Promise((resolve) => {
      const child = spawn("node", [path.join(HERE, "keys-child.mjs")], {
        cwd: path.resolve(HERE, "../.."),
        env: { ...process.env, NODE_OPTIONS: "", EMU: emu.url, NS: `keys-${process.pid}`, CLIENT_ID: SAMPLE_CREDENTIALS.oauth2.clientId, CLIENT_SECRET: SAMPLE_CREDENTIALS.oauth2.clientSecret, KEYS_JSON: JSON.stringify({ pairs }) },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
      child.on("close", resolve);
    });
    assert.equal(code, 0, `the child failed:\n${stderr.slice(0, 2000)}`);
    assert.match(stdout, /\nDONE\n/, "the child ran to its end");
    // It did exercise what it claims: tokens, server refusals, malformed keys, the echo.
    for (const seen of ["RS256 pem token", "PS256 jwk token", "ES256 pem token", "HS256 token", "google token", "invalid_credentials", "invalid_config", "google wrong key", "Invalid JWT Signature.", "echo", "store edge-auth:v2:"]) {
      assert.ok(stdout.includes(seen), `the child's output shows ${seen}`);
    }
    const output = stdout + stderr;
    const hits = all.filter((n) => output.includes(n));
    assert.deepEqual(hits.map((h) => `${h.slice(0, 4)}… (${h.length} chars)`), [], "private key material in the output");
    assert.ok(!/PRIVATE KEY-----\s*[A-Za-z0-9+/]{16}/.test(output), "a PEM in the output");
    // The echoing server quoted the assertion: it was redacted.
    assert.ok(!/client_assertion=eyJ/.test(output), "an assertion in the output");
    console.log(`keys grep: ${all.length} needles over ${output.length} characters of output, 0 hits`);
  } finally {
    await emu.close();
  }
});
