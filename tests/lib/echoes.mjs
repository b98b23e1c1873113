// How a server (or a runtime) may echo a secret back: the encodings the
// library must redact from every error (docs/API.md §5). Shared by the
// scenarios (tests/scenarios/containment.mjs), the hardening matrix and its
// secret grep (tests/hardening/). No imports and only standard web APIs
// (TextEncoder, btoa, URLSearchParams), so it runs in Node, Deno, workerd
// and a page.

const utf8 = (s) => new TextEncoder().encode(s);
const fromBytes = (bytes) => {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return bin;
};
export const base64 = (s) => btoa(fromBytes(utf8(s)));
export const base64url = (s) => base64(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
export const formEncode = (s) => new URLSearchParams({ x: s }).toString().slice(2);
const unit = (u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** JSON with every non-ASCII character as \uXXXX: Python's json.dumps; with `\/` for `/`, PHP's json_encode. */
function asciiJson(s, slash) {
  return [...s]
    .map((c) => {
      if (c === '"') return '\\"';
      if (c === "\\") return "\\\\";
      if (c === "/") return slash;
      if (c.codePointAt(0) < 0x20) return unit(c);
      if (c.codePointAt(0) < 0x80) return c;
      return c.split("").map(unit).join("");
    })
    .join("");
}

const htmlEscape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** [name, echo] for every way of quoting `secret` (and an HTTP Basic header of `clientId:secret`). */
export function echoEncodings(secret, clientId = "client-id") {
  return [
    ["raw", secret],
    ["JSON-escaped", JSON.stringify(secret).slice(1, -1)],
    ["JSON, \\u for every character", secret.split("").map(unit).join("")],
    ["Python json.dumps", asciiJson(secret, "/")],
    ["PHP json_encode", asciiJson(secret, "\\/")],
    ["HTML entities", htmlEscape(secret)],
    ["HTML numeric references", [...secret].map((c) => `&#${c.codePointAt(0)};`).join("")],
    ["percent-encoded", encodeURIComponent(secret)],
    ["percent-encoded, lower-case", encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ["form-encoded", formEncode(secret)],
    ["base64", base64(secret)],
    ["base64url", base64url(secret)],
    ["HTTP Basic", `Basic ${base64(`${clientId}:${secret}`)}`],
    ["HTTP Basic, RFC 6749 form-encoded", `Basic ${base64(`${formEncode(clientId)}:${formEncode(secret)}`)}`],
  ];
}

/**
 * [name, needle] that no output may contain for `secret`: each encoding
 * (base64 without its padding, Basic without its scheme), at least 8 characters.
 */
export function echoNeedles(secret, clientId) {
  const out = [];
  for (const [name, e] of echoEncodings(secret, clientId)) {
    const needle = e.replace(/^Basic /, "").replace(/=+$/, "");
    if (needle.length >= 8 && !out.some(([, n]) => n === needle)) out.push([name, needle]);
  }
  return out;
}
