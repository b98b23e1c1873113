"use strict";
// CommonJS entry ("require" condition): for Jest, CommonJS projects and Node
// before 20.19, whose require() cannot load an ES module. The shared code is
// edge_auth.cjs (the ES modules bundled as CommonJS by make pkg); the .wasm
// is read from beside this file, synchronously.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const edgeAuth = require("./edge_auth.cjs");

edgeAuth.start(
  "require",
  () => readFileSync(join(__dirname, "edge_auth_bg.wasm")),
  "edge_auth_bg.wasm must sit beside node.cjs; if a bundler moved this entry into a bundle, keep edge-auth external or copy the .wasm beside the bundle",
);

exports.AuthClient = edgeAuth.AuthClient;
exports.AuthError = edgeAuth.AuthError;
exports.denoKvStore = edgeAuth.denoKvStore;
exports.redisStore = edgeAuth.redisStore;
