// AuthError: every rejection and throw of edge-auth is one of these.
// Defined in JavaScript so it truly extends Error (instanceof, stack traces);
// the wasm imports makeAuthError to create them.

export class AuthError extends Error {
  /**
   * @param {string} code one of the contract's codes, e.g. "invalid_credentials"
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
