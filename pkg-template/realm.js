// Type checks that hold across realms (docs/API.md §1).
//
// `instanceof` compares prototypes, so it is false for an object made in
// another realm: a WebAssembly.Module compiled by Vercel's edge sandbox or
// Next.js outside the code's vm context, a body chunk from the host's fetch
// seen by code running in jsdom or Jest, a Response from an iframe. The
// internal tag that Object.prototype.toString reads is the same in every
// realm. make pkg rewrites wasm-bindgen's glue to use these too.

const tagOf = (value) => Object.prototype.toString.call(value);

/** Whether `value` is a `tag` ("WebAssembly.Module", "Response", …) from any realm. */
export const isA = (value, tag) => tagOf(value) === `[object ${tag}]`;

/** Whether `value` is a Uint8Array (a Node Buffer included) from any realm. */
export const isBytes = (value) => ArrayBuffer.isView(value) && tagOf(value) === "[object Uint8Array]";
