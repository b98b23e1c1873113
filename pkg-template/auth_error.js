// AuthError: every rejection and throw of edge-auth is one of these.
// Defined in JavaScript so it truly extends Error (instanceof, stack traces);
// the wasm imports makeAuthError to create them.

export class AuthError extends Error {
  /**
   * @param {string} code one of the codes of docs/API.md §5, e.g. "invalid_credentials"
   * @param {string} message for people: the status and the vendor's messages
   * @param {{ status?: number, messages?: string[] }} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    this.name = "AuthError";
    this.code = code;
    this.status = details.status;
    this.messages = details.messages ?? [];
  }
}

// Not part of the public API: the wasm's constructor for AuthError.
export function makeAuthError(code, message, status, messages) {
  return new AuthError(code, message, { status, messages });
}

// Not part of the public API: a short description of an exception
// (`name: message`), for wrapping it in an AuthError once the wasm has
// cleaned it (a custom fetch's error may quote what it was given).
export function describeError(error) {
  try {
    const name = typeof error?.name === "string" ? error.name : undefined;
    const message = typeof error?.message === "string" ? error.message : undefined;
    if (name !== undefined && message) return `${name}: ${message}`;
    if (message !== undefined) return message;
    if (typeof error === "string") return error;
  } catch {
    // A throwing getter: fall through.
  }
  return "unknown error";
}

// Not part of the public API: the AuthError for an API call whose fetch
// failed (`timeout` for an AbortSignal.timeout, else `network`). A custom
// fetch's error may quote the request (the token in its headers), so its
// text goes through `clean` (the wasm's redaction); without it (the client
// was freed meanwhile) the text is left out.
export function apiFailure(error, clean = (text) => text) {
  const text = clean(describeError(error));
  return new AuthError(abortCode(error), text === undefined ? "API request failed (details withheld: the client was freed)" : `API request failed: ${text}`);
}

// Not part of the public API: the rejection for a call whose caller aborted it.
export function abortedError(signal) {
  return new AuthError(abortCode(signal.reason), "the call was aborted by its signal");
}

// `timeout` for an AbortSignal.timeout (a TimeoutError), `network` otherwise.
function abortCode(error) {
  try {
    return error?.name === "TimeoutError" ? "timeout" : "network";
  } catch {
    return "network"; // a throwing getter
  }
}
