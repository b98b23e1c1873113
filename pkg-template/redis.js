// redisStore(client): the shared store (docs/API.md §7) on Redis, through
// the application's own node-redis (v4 or later) or ioredis client. Tokens
// are written with `SET key value PX ms` (they expire with the token); the
// lease is `SET key:lease 1 NX PX ttlMs`, which one caller wins, and a
// token's write ends it (`DEL key:lease`: the token it was for is in). Raw
// commands, so that the two clients' option spellings do not matter.
import { AuthError } from "./auth_error.js";

export function redisStore(client) {
  let send;
  if (typeof client?.call === "function") {
    // ioredis: call(name, ...args).
    send = (...args) => client.call(...args);
  } else if (typeof client?.sendCommand === "function") {
    // node-redis v4+: sendCommand([name, ...args]).
    send = (...args) => client.sendCommand(args);
  } else {
    throw new AuthError("invalid_config", "redisStore(client) needs a node-redis (createClient(), v4 or later) or an ioredis client");
  }
  return {
    async get(key) {
      const value = await send("GET", key);
      return value == null ? null : String(value);
    },
    async put(key, value, { expirationTtl } = {}) {
      const ms = Math.floor(Number(expirationTtl) * 1000);
      await (ms > 0 ? send("SET", key, value, "PX", String(ms)) : send("SET", key, value));
      await send("DEL", `${key}:lease`);
    },
    async lease(key, ttlMs) {
      return (await send("SET", `${key}:lease`, "1", "NX", "PX", String(Math.max(1, Math.floor(ttlMs))))) === "OK";
    },
  };
}
