import type { Reply } from "./reply.js";

/** RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets including its CRLF. */
export const MAX_REPLY_LINE_BYTES = 512;

/** Options for {@link formatReply}. */
export interface FormatOptions {
  /**
   * Put the reply's enhanced status code before the text of every line (RFC 2034 §4), as a server
   * does once it has advertised ENHANCEDSTATUSCODES. Default: true.
   */
  readonly enhancedStatusCodes?: boolean;
}

// Every C0 control but TAB, DEL, and the C1 controls: RFC 5321's textstring is HT and %d32-126
// (plus UTF-8 under SMTPUTF8). CR, LF and NUL are the ones that could split or forge a reply.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/** Replace every character that could break a reply line (CR, LF, NUL, other controls) with a space. */
export function neutraliseText(text: string): string {
  return text.replace(UNSAFE, " ");
}

function utf8Length(codePoint: number): number {
  return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
}

/**
 * Split `text` into pieces of at most `budget` UTF-8 octets, breaking at the last space that
 * fits, or inside a word (between code points, never inside one) when a word alone is too long.
 */
export function wrapText(text: string, budget: number): string[] {
  if (budget < 4) throw new RangeError("wrap budget must leave room for one code point");
  const pieces: string[] = [];
  let start = 0; // index in text of the current piece
  let bytes = 0; // octets in the current piece
  let lastSpace = -1; // index of the last space in the current piece
  let bytesAtSpace = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) ?? 0;
    const width = cp > 0xffff ? 2 : 1;
    const size = utf8Length(cp);
    if (bytes + size > budget) {
      if (cp === 0x20) {
        // the overflowing character is itself a space: break right here
        pieces.push(text.slice(start, i));
        start = i + 1;
        bytes = 0;
        i += 1;
      } else if (lastSpace > start) {
        pieces.push(text.slice(start, lastSpace));
        start = lastSpace + 1;
        bytes -= bytesAtSpace + 1;
      } else {
        pieces.push(text.slice(start, i));
        start = i;
        bytes = 0;
      }
      lastSpace = -1;
      continue;
    }
    if (cp === 0x20) {
      lastSpace = i;
      bytesAtSpace = bytes;
    }
    bytes += size;
    i += width;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/**
 * Format a reply as it goes on the wire: `code-` on every line but the last, `code ` on the last,
 * the enhanced code before each line's text, CRLF after each line. Text is neutralised (no CR, LF,
 * NUL or other control character survives) and lines longer than 512 octets are wrapped, so that
 * no text, whoever supplied it, can split or forge a reply.
 */
export function formatReply(r: Reply, options: FormatOptions = {}): string {
  const prefix = options.enhancedStatusCodes !== false && r.enhanced !== undefined ? `${r.enhanced} ` : "";
  const budget = MAX_REPLY_LINE_BYTES - 4 - prefix.length - 2;
  const source = r.lines;
  // A line of at most budget/3 UTF-16 units fits in budget octets (3 octets per unit at most):
  // such lines, the usual case, need no wrapping and skip the per-code-point scan.
  let short = true;
  for (const line of source) {
    if (line.length * 3 > budget) {
      short = false;
      break;
    }
  }
  const lines = short ? source : source.flatMap((line) => wrapText(neutraliseText(line), budget));
  const head = `${String(r.code)}-${prefix}`;
  const last = lines.length - 1;
  if (last < 0) return "";
  let out = "";
  for (let i = 0; i < last; i++) out += `${head}${short ? neutraliseText(lines[i]!) : lines[i]!}`.trimEnd() + "\r\n";
  const text = lines[last] ?? "";
  out += `${String(r.code)} ${prefix}${short ? neutraliseText(text) : text}`.trimEnd() + "\r\n";
  return out;
}

const encoder = new TextEncoder();

/** {@link formatReply} encoded as UTF-8 bytes. */
export function encodeReply(r: Reply, options: FormatOptions = {}): Uint8Array {
  return encoder.encode(formatReply(r, options));
}
