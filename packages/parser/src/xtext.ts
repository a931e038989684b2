import { decodeUtf8, encodeUtf8 } from "./bytes.js";

const HEX = "0123456789ABCDEF";

function hexValue(c: number): number {
  // RFC 3461 §4: hexchar = "+" 2(%x30-39 / %x41-46), upper-case hex only
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/**
 * Decode xtext (RFC 3461 §4): `+HH` escapes (upper-case hex) for octets, every other character
 * printable US-ASCII except `+` and `=`. The octets are read as UTF-8. Undefined when `s` is not
 * valid xtext or its octets are not valid UTF-8.
 */
export function decodeXtext(s: string): string | undefined {
  const bytes = new Uint8Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2b) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      bytes[n++] = hi * 16 + lo;
      i += 2;
    } else if (c >= 33 && c <= 126 && c !== 0x3d) {
      bytes[n++] = c;
    } else {
      return undefined;
    }
  }
  return decodeUtf8(bytes.subarray(0, n));
}

/** Encode `s` (as UTF-8 octets) to xtext: `+`, `=`, controls, space and non-ASCII become `+HH`. */
export function encodeXtext(s: string): string {
  let out = "";
  for (const b of encodeUtf8(s)) {
    if (b >= 33 && b <= 126 && b !== 0x2b && b !== 0x3d) out += String.fromCharCode(b);
    else out += `+${HEX[b >> 4] ?? "0"}${HEX[b & 15] ?? "0"}`;
  }
  return out;
}
