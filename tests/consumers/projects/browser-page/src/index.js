// A page's script, bundled by webpack, Rollup, esbuild or Parcel with its
// default configuration: runs the probe and leaves the result for the runner.
import { probe } from "./probe.js";

const baseUrl = new URLSearchParams(location.search).get("baseUrl");
probe(baseUrl).then(
  (result) => (window.__probe = result),
  (error) => (window.__probe = { error: String(error?.stack ?? error) }),
);
