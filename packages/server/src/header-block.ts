/**
 * The header block at the start of a message (RFC 5322 §2.2): fields unfolded, up to the empty
 * line. A stand-in with the shape of @lmail/parser's `parseHeaderBlock`, used until the server
 * depends on the parser directly.
 */
import type { HeaderField } from "@lmail/session";

export interface HeaderBlock {
  readonly fields: HeaderField[];
  /** Offset just past the empty line that ends the block; undefined when it was not found. */
  readonly end: number | undefined;
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

/** Parse the fields of the header block at the start of `bytes`. Lines that are not fields are skipped. */
export function parseHeaderBlock(bytes: Uint8Array): HeaderBlock {
  const fields: HeaderField[] = [];
  let name: string | undefined;
  let value = "";
  let at = 0;
  const push = (): void => {
    if (name !== undefined) fields.push({ name, value: value.replace(/^[ \t]+/, "").replace(/[ \t]+$/, "") });
    name = undefined;
    value = "";
  };
  while (at < bytes.length) {
    const lf = bytes.indexOf(0x0a, at);
    if (lf < 0) break;
    const lineEnd = lf > at && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
    if (lineEnd === at) {
      push();
      return { fields, end: lf + 1 };
    }
    const first = bytes[at];
    const line = bytes.subarray(at, lineEnd);
    if (first === 0x20 || first === 0x09) {
      if (name !== undefined) value += decode(line);
    } else {
      push();
      const colon = line.indexOf(0x3a);
      if (colon > 0) {
        name = latin1.decode(line.subarray(0, colon)).trimEnd();
        value = decode(line.subarray(colon + 1));
      }
    }
    at = lf + 1;
  }
  push();
  return { fields, end: undefined };
}

function decode(bytes: Uint8Array): string {
  for (const b of bytes) if (b >= 0x80) return utf8.decode(bytes);
  return latin1.decode(bytes);
}
