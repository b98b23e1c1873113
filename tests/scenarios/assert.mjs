// Minimal, runtime-agnostic assertions for the scenario suite.
// No imports: this file runs in Node, Deno, workerd and a browser page.

export class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = "AssertionError";
  }
}

export function show(value, max = 400) {
  let s;
  try {
    if (typeof value === "string") s = JSON.stringify(value);
    else if (typeof value === "bigint") s = `${value}n`;
    else if (typeof value === "function") s = `[function ${value.name || "anonymous"}]`;
    else if (value instanceof Error) s = `${value.name}: ${value.message}`;
    else if (value === undefined) s = "undefined";
    else s = JSON.stringify(value);
    if (s === undefined) s = String(value);
  } catch {
    s = String(value);
  }
  return s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}

function prefix(msg) {
  return msg ? `${msg}: ` : "";
}

export function fail(msg) {
  throw new AssertionError(msg);
}

export function ok(value, msg = "expected a truthy value") {
  if (!value) throw new AssertionError(`${msg} (got ${show(value)})`);
}

export function equal(actual, expected, msg) {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${prefix(msg)}expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function notEqual(actual, unexpected, msg) {
  if (Object.is(actual, unexpected)) {
    throw new AssertionError(`${prefix(msg)}expected a value other than ${show(unexpected)}`);
  }
}

function deepEq(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    if (a.length !== b.length) return false;
    return a.every((v, i) => deepEq(v, b[i]));
  }
  const ka = Object.keys(a).filter((k) => a[k] !== undefined).sort();
  const kb = Object.keys(b).filter((k) => b[k] !== undefined).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => deepEq(a[k], b[k]));
}

export function deepEqual(actual, expected, msg) {
  if (!deepEq(actual, expected)) {
    throw new AssertionError(`${prefix(msg)}expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function includes(haystack, needle, msg) {
  const has = typeof haystack === "string" || Array.isArray(haystack) ? haystack.includes(needle) : false;
  if (!has) throw new AssertionError(`${prefix(msg)}expected ${show(haystack)} to include ${show(needle)}`);
}

export function notIncludes(haystack, needle, msg) {
  const has = typeof haystack === "string" || Array.isArray(haystack) ? haystack.includes(needle) : false;
  if (has) throw new AssertionError(`${prefix(msg)}expected ${show(haystack)} not to include ${show(needle)}`);
}

export function match(actual, re, msg) {
  if (typeof actual !== "string" || !re.test(actual)) {
    throw new AssertionError(`${prefix(msg)}expected ${show(actual)} to match ${re}`);
  }
}

export function type(value, typeName, msg) {
  if (typeof value !== typeName) {
    throw new AssertionError(`${prefix(msg)}expected typeof ${typeName}, got ${typeof value} (${show(value)})`);
  }
}

export function instanceOf(value, ctor, msg) {
  if (!(value instanceof ctor)) {
    const got = value && value.constructor ? value.constructor.name : typeof value;
    throw new AssertionError(`${prefix(msg)}expected an instance of ${ctor.name}, got ${got} (${show(value)})`);
  }
}

/** |actual - expected| <= tolerance */
export function near(actual, expected, tolerance, msg) {
  if (typeof actual !== "number" || !Number.isFinite(actual) || Math.abs(actual - expected) > tolerance) {
    throw new AssertionError(
      `${prefix(msg)}expected ${show(expected)} ± ${tolerance}, got ${show(actual)}` +
        (typeof actual === "number" ? ` (off by ${actual - expected})` : ""),
    );
  }
}

export function between(actual, lo, hi, msg) {
  if (typeof actual !== "number" || !(actual >= lo && actual <= hi)) {
    throw new AssertionError(`${prefix(msg)}expected a number in [${lo}, ${hi}], got ${show(actual)}`);
  }
}

/** Calls fn synchronously; it must throw. Returns the thrown value. */
export function throws(fn, msg = "expected a synchronous throw") {
  let result;
  try {
    result = fn();
  } catch (err) {
    return err;
  }
  if (result && typeof result.then === "function") {
    result.then(undefined, () => {});
    throw new AssertionError(`${msg}, but it returned a promise`);
  }
  throw new AssertionError(`${msg}, but it returned ${show(result)}`);
}

/**
 * fn must return a promise (not throw synchronously) and that promise must
 * reject. Returns the rejection reason. Accepts a promise directly too.
 */
export async function rejects(fnOrPromise, msg = "expected a rejection") {
  let p = fnOrPromise;
  if (typeof fnOrPromise === "function") {
    try {
      p = fnOrPromise();
    } catch (err) {
      throw new AssertionError(`${msg}: expected a rejected promise, but the call threw synchronously: ${show(err)}`);
    }
  }
  if (!p || typeof p.then !== "function") {
    throw new AssertionError(`${msg}: expected a promise, got ${show(p)}`);
  }
  let value;
  try {
    value = await p;
  } catch (err) {
    return err;
  }
  throw new AssertionError(`${msg}, but it resolved to ${show(value)}`);
}

/** Every text view of an error a person or a log could see. */
export function errorTexts(err, depth = 0) {
  const texts = [];
  const add = (label, f) => {
    try {
      const v = f();
      if (v !== undefined && v !== null) texts.push([label, String(v)]);
    } catch {
      /* a view that throws leaks nothing */
    }
  };
  if (err === null || err === undefined) return [["value", String(err)]];
  if (typeof err !== "object" && typeof err !== "function") return [["value", String(err)]];
  add("message", () => err.message);
  add("String(err)", () => String(err));
  add("toString()", () => err.toString());
  add("JSON.stringify(err)", () => JSON.stringify(err));
  add("stack", () => err.stack);
  add("messages", () => JSON.stringify(err.messages));
  add("code", () => err.code);
  add("status", () => err.status);
  let names = [];
  try {
    names = Object.getOwnPropertyNames(err);
  } catch {
    names = [];
  }
  for (const k of names) {
    add(`property ${k}`, () => {
      const v = err[k];
      return typeof v === "object" ? JSON.stringify(v) : v;
    });
  }
  if (depth < 3 && err.cause !== undefined) {
    for (const [label, t] of errorTexts(err.cause, depth + 1)) texts.push([`cause.${label}`, t]);
  }
  return texts;
}

// JWT-shaped strings (the emulator issues JWT-shaped tokens).
const JWT_RE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}/;

/** The error (in every text view) contains none of the secrets and no JWT. */
export function noSecrets(err, secrets, msg = "error leaks a secret") {
  for (const [label, text] of errorTexts(err)) {
    for (const s of secrets) {
      if (typeof s === "string" && s.length >= 4 && text.includes(s)) {
        throw new AssertionError(`${msg}: ${label} contains a credential or token (${s.slice(0, 3)}…, ${s.length} chars)`);
      }
    }
    if (JWT_RE.test(text)) throw new AssertionError(`${msg}: ${label} contains a JWT-shaped token`);
  }
}

/** Plain values (TokenInfo, headers) contain none of the secrets. */
export function valueHasNoSecrets(value, secrets, msg = "value leaks a secret") {
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    text = String(value);
  }
  for (const s of secrets) {
    if (typeof s === "string" && s.length >= 4 && text.includes(s)) {
      throw new AssertionError(`${msg}: contains a credential (${s.slice(0, 3)}…)`);
    }
  }
}

export const assert = {
  AssertionError,
  fail,
  ok,
  equal,
  notEqual,
  deepEqual,
  includes,
  notIncludes,
  match,
  type,
  instanceOf,
  near,
  between,
  throws,
  rejects,
  noSecrets,
  valueHasNoSecrets,
  errorTexts,
  show,
};

export default assert;
