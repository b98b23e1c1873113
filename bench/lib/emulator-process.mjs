// The vendor emulator (tests/emulator/server.mjs) in a process of its own,
// started with a listen backlog of 4096 instead of Node's default 511: a
// burst of 1,000 simultaneous connections (every emulator response is
// `Connection: close`, so each call is a new connection) would otherwise
// overflow the accept queue, and the kernel's 1-second SYN retransmit would
// be measured instead of the libraries. Prints EMULATOR_URL=… like the CLI.
import net from "node:net";

const BACKLOG = 4096;
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (port, host, callback) {
  if (typeof port === "number" && typeof host === "string" && typeof callback === "function") {
    return listen.call(this, { port, host, backlog: BACKLOG }, callback);
  }
  return listen.apply(this, arguments);
};

const { startEmulator } = await import("../../tests/emulator/server.mjs");
const emu = await startEmulator({ port: 0, host: "127.0.0.1" });
process.stdout.write(`EMULATOR_URL=${emu.url}\n`);
const stop = () => emu.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
