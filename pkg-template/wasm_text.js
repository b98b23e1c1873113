// The inline entry's wasm travels as text inside a JS module
// (edge_auth_wasm.js, written by make pkg), so that every bundler carries it
// with no asset handling, no top-level await and no import.meta.url, and it
// instantiates synchronously. The text is printable ASCII with no `"`, `\`
// or line break, so no bundler or minifier re-escapes it, and it gzips to
// about 3% more than the .wasm itself (base64: 27% more).
//
// Encoding (tools/pkg.mjs encodeWasmText): each byte b is shifted,
// v = (b + 64) mod 256, which turns the commonest wasm bytes into letters.
// A v in "#".."~" other than "\" is written as itself. The other 165 values
// (0x00–0x22, "\", 0x7F–0xFF, in that order: index i) are written as two
// characters: " " for i < 91, else "!", then the i mod 91'th of the 91
// direct characters.

/** The bytes of the wasm, decoded from `text`, `length` bytes. */
export function decodeWasmText(text, length) {
  const bytes = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    let v = text.charCodeAt(i);
    if (v < 0x23) {
      const d = text.charCodeAt(++i);
      const index = d - 0x23 - (d > 0x5c ? 1 : 0) + (v === 0x21 ? 91 : 0);
      v = index < 35 ? index : index === 35 ? 0x5c : index + 0x7f - 36;
    }
    bytes[at++] = (v + 192) & 255;
  }
  if (at !== length) throw new Error(`the inline wasm text decodes to ${at} bytes, not ${length}: the package is damaged`);
  return bytes;
}
