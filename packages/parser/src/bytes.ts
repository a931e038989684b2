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
