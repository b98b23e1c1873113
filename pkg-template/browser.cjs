"use strict";
// CommonJS browser entry ("browser" + "require" conditions: Jest's jsdom
// environment, require() in code bundled for the browser): the wasm inline,
// as in browser.js.
const edgeAuth = require("./edge_auth.cjs");
const { wasmText, wasmLength } = require("./edge_auth_wasm.cjs");

edgeAuth.start("browser (CommonJS)", () => edgeAuth.decodeWasmText(wasmText, wasmLength), "reinstall edge-auth: its inline wasm is damaged");

exports.AuthClient = edgeAuth.AuthClient;
exports.AuthError = edgeAuth.AuthError;
exports.denoKvStore = edgeAuth.denoKvStore;
