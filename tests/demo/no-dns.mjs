// Loaded with `node --import` into a demo server child by
// tests/demo/server.test.mjs: every DNS lookup of a name fails, loudly, so
// a test can show that the proxy reaches a loopback target without one.
// (An IP literal is answered as itself, as dns.lookup does without asking.)
import dns from "node:dns";
import net from "node:net";

const original = dns.lookup;
dns.lookup = (hostname, options, callback) => {
  if (net.isIP(hostname)) return original(hostname, options, callback);
  const done = typeof options === "function" ? options : callback;
  process.stdout.write(`[no-dns] lookup of ${hostname} refused\n`);
  const error = Object.assign(new Error(`DNS lookup of ${hostname} refused by the test`), { code: "ENOTFOUND", hostname });
  process.nextTick(() => done(error));
};
