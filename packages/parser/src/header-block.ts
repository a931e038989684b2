import { asciiRun, CR, LF } from "./bytes.js";

/** One header field, unfolded. */
export interface HeaderField {
  /** The field name as given (case kept). */
  readonly name: string;
  /** The value: unfolded (CRLF before whitespace removed, RFC 5322 §2.2.3), outer whitespace trimmed, UTF-8 decoded with U+FFFD for invalid octets. */
  readonly value: string;
}

/** The result of {@link parseHeaderBlock}. */
export interface HeaderBlock {
  readonly fields: HeaderField[];
  /** Octets of the header block including the empty line, or undefined when no complete block is in the input. */
  readonly end: number | undefined;
}

const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
// Non-fatal: header octets from the wire may be anything; invalid UTF-8 becomes U+FFFD.
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

const isWsp = (c: number) => c === SP || c === HTAB;

/** Trim SP and HTAB at both ends, in linear time (a regex like /[ \t]+$/ backtracks quadratically on long runs). */
function trimWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isWsp(text.charCodeAt(start))) start++;
  while (end > start && isWsp(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

function validName(bytes: Uint8Array, from: number, to: number): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const b = bytes[i] ?? 0;
    // RFC 5322 §3.6.8: ftext = %d33-57 / %d59-126
    if (b < 33 || b > 126) return false;
  }
  return true;
}

/**
 * `bytes[from, to)` decoded as the lenient decoder would: a run of US-ASCII octets (the common
 * case) without the decoder, anything else with it.
 */
function decodeRun(bytes: Uint8Array, from: number, to: number): string {
  return asciiRun(bytes, from, to, 0x00, 0x7f) ?? lenient.decode(bytes.subarray(from, to));
}

/**
 * Parse the header block at the start of a message (RFC 5322 §2.2, §3.6.8): fields up to the empty
 * line. Lines may end in CRLF or LF. A line that is neither a field nor a continuation (no colon,
 * a bad name, a continuation before any field) ends the block there: it is the start of the body,
 * and `end` points at it. With no complete block in `bytes` (no empty line or body line yet),
 * `end` is undefined and `fields` holds the fields known to be complete. Never throws.
 */
export function parseHeaderBlock(bytes: Uint8Array): HeaderBlock {
  const fields: HeaderField[] = [];
  let name: string | undefined;
  // The open field's value: the run valueFrom..valueTo of `bytes` while it has one line (the common
  // case, decoded without a copy); its lines in `parts` once it has continuation lines.
  let valueFrom = 0;
  let valueTo = 0;
  let parts: Uint8Array[] | undefined;
  const close = () => {
    if (name === undefined) return;
    let value: string;
    if (parts === undefined) value = decodeRun(bytes, valueFrom, valueTo);
    else {
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        joined.set(p, at);
        at += p.length;
      }
      value = decodeRun(joined, 0, joined.length);
    }
    fields.push(Object.freeze({ name, value: trimWhitespace(value) }));
    name = undefined;
    parts = undefined;
  };
  let pos = 0;
  for (;;) {
    const lf = bytes.indexOf(LF, pos);
    if (lf === -1) {
      // the open field is complete if a line that is no continuation has begun after it
      if (pos < bytes.length && !isWsp(bytes[pos] ?? 0)) close();
      return { fields, end: undefined };
    }
    const contentEnd = lf > pos && bytes[lf - 1] === CR ? lf - 1 : lf;
    if (contentEnd === pos) {
      close();
      return { fields, end: lf + 1 };
    }
    const first = bytes[pos];
    if (first === SP || first === HTAB) {
      if (name === undefined) return { fields, end: pos };
      (parts ??= [bytes.subarray(valueFrom, valueTo)]).push(bytes.subarray(pos, contentEnd));
    } else {
      let colon = pos;
      while (colon < contentEnd && bytes[colon] !== COLON) colon++;
      let nameEnd = colon;
      // RFC 5322 §4.5.8 (obsolete syntax): whitespace before the colon is tolerated
      while (colon < contentEnd && colon > pos && nameEnd > pos && isWsp(bytes[nameEnd - 1] ?? 0)) nameEnd--;
      if (colon === contentEnd || !validName(bytes, pos, nameEnd)) {
        close();
        return { fields, end: pos };
      }
      close();
      // validName: printable US-ASCII only
      name = decodeRun(bytes, pos, nameEnd);
      valueFrom = colon + 1;
      valueTo = contentEnd;
    }
    pos = lf + 1;
  }
}
