// Pure helpers of the page: masking, JWT decoding, durations. No DOM, so that
// tests can import them in Node.

/** "eyJhbGciOi…Q4xw": enough to recognise a token, not enough to use it. */
export function mask(token) {
  const s = String(token ?? "");
  if (s.length <= 16) return "•".repeat(Math.min(s.length, 8) || 0);
  return `${s.slice(0, 10)}…${s.slice(-4)}`;
}

/** Masks the credentials of an Authorization header value, keeping its scheme. */
export function maskAuthorization(value) {
  const m = /^(\S+)\s+(.+)$/.exec(String(value));
  if (!m) return mask(value);
  return /^basic$/i.test(m[1]) ? `${m[1]} ••••••••` : `${m[1]} ${mask(m[2])}`;
}

/** Replaces every occurrence of each secret (long enough to be one) in text by its mask. */
export function redact(text, secrets) {
  let out = String(text);
  for (const secret of secrets) {
    if (typeof secret === "string" && secret.length >= 8) out = out.split(secret).join(mask(secret));
  }
  return out;
}

function b64urlDecode(part) {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const binary = atob(b64);
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/**
 * Decodes a JWT's header and claims, without verifying anything.
 * Returns { header, claims } or null when the token is not a JWT.
 */
export function decodeJwt(token) {
  const parts = String(token ?? "").split(".");
  if (parts.length !== 3 || !parts[0] || !parts[1]) return null;
  try {
    const header = JSON.parse(b64urlDecode(parts[0]));
    const claims = JSON.parse(b64urlDecode(parts[1]));
    if (typeof header !== "object" || header === null || typeof claims !== "object" || claims === null) return null;
    return { header, claims };
  } catch {
    return null;
  }
}

/** Claims holding NumericDate seconds, annotated with a readable time. */
export const TIME_CLAIMS = ["exp", "iat", "nbf", "auth_time"];

/** "23 h 59 min 58 s", "4 min 02 s", "9 s". */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, "0");
  if (d > 0) return `${d} d ${h} h ${pad(m)} min`;
  if (h > 0) return `${h} h ${pad(m)} min ${pad(s)} s`;
  if (m > 0) return `${m} min ${pad(s)} s`;
  return `${s} s`;
}

/** "14:02:11" today, or "Mon 3 Mar 14:02:11" on another day, in local time. */
export function formatTime(ms, now = Date.now()) {
  const d = new Date(ms);
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  if (new Date(now).toDateString() === d.toDateString()) return time;
  return `${d.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" })} ${time}`;
}

/** Pretty JSON when the text is JSON, else the text as it is. */
export function prettyBody(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** "https://h/proxy/https%3A%2F%2Fapi.x.com/auth" → "https://api.x.com/auth (through the local proxy)". */
export function describeUrl(url, pageOrigin) {
  let u;
  try {
    u = new URL(url, pageOrigin);
  } catch {
    return String(url);
  }
  if (u.origin === pageOrigin) {
    const m = /^\/proxy\/([^/?]+)(.*)$/.exec(u.pathname + u.search);
    if (m) {
      try {
        return `${decodeURIComponent(m[1])}${m[2] || "/"} (through the local proxy)`;
      } catch {
        /* fall through */
      }
    }
    if (u.pathname.startsWith("/sandbox/") || u.pathname === "/sandbox") return `${u.href} (built-in sandbox)`;
  }
  return u.href;
}
