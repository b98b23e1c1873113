// "edge-auth/streaming" has the package's declarations (for TypeScript's
// node10 resolution, which finds this file beside streaming.js).
export * from "./index.js";
