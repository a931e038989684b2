/** Small byte helpers shared by the parser's modules (internal). */

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const DOT = 0x2e;

// fatal: invalid UTF-8 is an error, never silently replaced; ignoreBOM: a BOM stays a character
// (and is then rejected by the grammar) instead of vanishing.
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Decode strict UTF-8; undefined when `bytes` is not valid UTF-8 (overlongs, surrogates, truncation). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** UTF-8 encoding of `text`. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Octets of `text` in UTF-8, without allocating. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Longest run {@link asciiRun} turns into a string (a bound on `String.fromCharCode`'s argument count). */
const MAX_ASCII_RUN = 4096;
/** Runs up to this long are built a character at a time (no view, no spread of arguments). */
const SHORT_RUN = 32;

/**
 * `bytes[from, to)` as a string, one character per octet, when every octet lies in `low..high`
 * (a US-ASCII range, so the result is what a UTF-8 decoder would give); undefined when one does
 * not, or when the run is longer than 4096 octets. The fast path of the parser's decoders: the
 * caller's general path decides whatever this refuses.
 */
export function asciiRun(bytes: Uint8Array, from: number, to: number, low: number, high: number): string | undefined {
  if (to - from > MAX_ASCII_RUN) return undefined;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c < low || c > high) return undefined;
  }
  if (to - from > SHORT_RUN) return String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[]);
  let text = "";
  for (let i = from; i < to; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

/** True when `text` holds a character outside US-ASCII. */
export function hasNonAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return true;
  return false;
}

/** True when `text` holds a C0 control, DEL or a C1 control (U+0080–U+009F). */
export function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
