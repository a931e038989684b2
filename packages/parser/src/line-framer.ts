import { CR, LF } from "./bytes.js";
import { ParserReplies } from "./replies.js";
import type { BareLineEndingPolicy, FramedLine, LineFramerOptions } from "./types.js";

/** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including its CRLF. */
export const DEFAULT_MAX_COMMAND_LINE_BYTES = 512;

const TLS_HANDSHAKE = 0x16;
const TLS_MAJOR = 0x03;

const TOO_LONG: FramedLine = Object.freeze({ kind: "too-long", reply: ParserReplies.lineTooLong });
const BARE: FramedLine = Object.freeze({ kind: "bare-line-ending", reply: ParserReplies.bareLineEnding });
const EMPTY = new Uint8Array(0);

/**
 * A streaming splitter of SMTP command lines. Push the bytes as they come, then call
 * {@link LineFramer.next} until it returns `undefined` (it needs more bytes).
 *
 * - A line ends at CRLF only (policy `"reject"`, the default). A bare LF is reported as
 *   `bare-line-ending` as soon as it arrives (as Postfix does), and everything after it up to the
 *   next CRLF is discarded, so nothing after a bare LF is ever taken as a command. A line with a
 *   bare CR is reported when its CRLF arrives. With `"accept"`, a bare LF also ends a line (an
 *   optional CR before it is removed).
 * - A line longer than `maxLineBytes` (counting its CRLF) is reported once, as soon as that is
 *   certain, as `too-long`; its remainder up to the next line end is discarded as it arrives, never
 *   held. Memory held for a line is thus at most `maxLineBytes`.
 * - A line that begins with a TLS record header (0x16 0x03: a client speaking TLS to a plain
 *   port) is framed at once as those two octets, without waiting for a CRLF the client will never
 *   send; {@link parseCommand} reports it as cross-protocol. The rest, up to a line end, is discarded.
 * - Any split of the same bytes into chunks gives the same sequence of results.
 *
 * Pushed chunks are kept by reference until framed: do not modify them afterwards. A `line`'s bytes
 * may be a view into a pushed chunk; copy them if you keep them.
 */
export class LineFramer {
  /** The line limit in octets, CRLF included. Settable, e.g. raised to 12288 during AUTH (RFC 4954 §4). */
  maxLineBytes: number;
  readonly #bare: BareLineEndingPolicy;
  /** Pushed chunks not yet framed; the first is read from #head. */
  #chunks: Uint8Array[] = [];
  #head = 0;
  /** Octets in #chunks after #head. */
  #queued = 0;
  /** The start of the current line, copied out of chunks that ended before its end (at most maxLineBytes). */
  #acc: Uint8Array = EMPTY;
  #accLength = 0;
  /** Discarding the remainder of an over-long line up to its end. */
  #discarding = false;
  /** While discarding: the last octet discarded was a CR (a CRLF may straddle chunks). */
  #discardAfterCr = false;

  constructor(options: LineFramerOptions = {}) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_COMMAND_LINE_BYTES;
    this.#bare = options.bareLineEndings ?? "reject";
    if (!Number.isSafeInteger(this.maxLineBytes) || this.maxLineBytes < 3) {
      throw new RangeError("maxLineBytes must be an integer of at least 3");
    }
  }

  /** Octets pushed and not yet framed (held by reference; the session's pending-input limit). */
  get bufferedBytes(): number {
    return this.#accLength + this.#queued;
  }

  /** Append bytes; they may hold any number of lines, or part of one. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
  }

  /** The next complete line or report, or `undefined` when more bytes are needed. */
  next(): FramedLine | undefined {
    for (;;) {
      const chunk = this.#chunks[0];
      if (chunk === undefined) return undefined;
      const start = this.#head;

      if (this.#discarding) {
        const end = this.#findEnd(chunk, start, this.#discardAfterCr);
        if (end === -1) {
          this.#discardAfterCr = chunk[chunk.length - 1] === CR;
          this.#dropFirstChunk();
          continue;
        }
        this.#consumeTo(chunk, end + 1);
        this.#discarding = false;
        continue;
      }

      // A TLS ClientHello on the plain port: frame its first two octets at once.
      if (this.#accLength < 2) {
        const first = this.#accLength === 1 ? this.#acc[0] : chunk[start];
        if (first === TLS_HANDSHAKE) {
          const second = this.#accLength === 1 ? chunk[start] : chunk[start + 1];
          if (second === TLS_MAJOR) {
            this.#consumeTo(chunk, start + (this.#accLength === 1 ? 1 : 2));
            this.#accLength = 0;
            this.#discarding = true;
            this.#discardAfterCr = false;
            return { kind: "line", line: Uint8Array.of(TLS_HANDSHAKE, TLS_MAJOR) };
          }
        }
      }

      const prevIsCr = this.#accLength > 0 && this.#acc[this.#accLength - 1] === CR;
      const lf = chunk.indexOf(LF, start);
      const stop = lf === -1 ? chunk.length : lf;
      // A bare LF (policy reject) is reported at once, not when a CRLF finally comes.
      const bareLf = lf !== -1 && this.#bare === "reject" && !(lf > start ? chunk[lf - 1] === CR : prevIsCr);
      // Octets of the line before its LF (CR included); the line is too long once this reaches the limit.
      const pending = this.#accLength + (stop - start);
      if (pending >= this.maxLineBytes || bareLf) {
        this.#accLength = 0;
        if (lf === -1) {
          this.#discarding = true;
          this.#discardAfterCr = chunk[chunk.length - 1] === CR;
          this.#dropFirstChunk();
        } else {
          this.#consumeTo(chunk, lf + 1);
          // the line has not ended: after a bare LF, discard up to the next CRLF
          this.#discarding = bareLf;
          this.#discardAfterCr = false;
        }
        return pending >= this.maxLineBytes ? TOO_LONG : BARE;
      }
      if (lf === -1) {
        this.#append(chunk, start, chunk.length);
        this.#dropFirstChunk();
        continue;
      }
      const end = lf;
      let line: Uint8Array;
      if (this.#accLength === 0) {
        // The common case, a whole line inside one chunk: one view, its CR already left out.
        const content = end > start && chunk[end - 1] === CR ? end - 1 : end;
        this.#consumeTo(chunk, end + 1);
        if (this.#bare === "reject" && hasCrOrLf(chunk, start, content)) return BARE;
        return { kind: "line", line: chunk.subarray(start, content) };
      } else {
        this.#append(chunk, start, end);
        line = this.#acc.slice(0, this.#accLength);
        this.#accLength = 0;
      }
      this.#consumeTo(chunk, end + 1);
      return this.#finish(line);
    }
  }

  /**
   * Remove and return every octet not yet framed (the start of a partial line included), and reset
   * the framer. Used when DATA or BDAT begins, and to discard what was pipelined after STARTTLS.
   * Octets of an over-long line already being discarded are gone.
   */
  takeBuffered(): Uint8Array {
    const parts: Uint8Array[] = [];
    if (this.#accLength > 0) parts.push(this.#acc.slice(0, this.#accLength));
    this.#chunks.forEach((c, i) => parts.push(i === 0 ? c.subarray(this.#head) : c));
    this.#chunks = [];
    this.#head = 0;
    this.#queued = 0;
    this.#accLength = 0;
    this.#discarding = false;
    this.#discardAfterCr = false;
    if (parts.length === 0) return EMPTY;
    if (parts.length === 1) return parts[0] ?? EMPTY;
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /** Index of the LF that ends the line in `chunk` from `from`, or -1. `prevIsCr`: the octet before `from` is a CR. */
  #findEnd(chunk: Uint8Array, from: number, prevIsCr: boolean): number {
    let i = chunk.indexOf(LF, from);
    if (this.#bare === "accept") return i;
    while (i !== -1) {
      const crBefore = i > from ? chunk[i - 1] === CR : prevIsCr;
      if (crBefore) return i;
      i = chunk.indexOf(LF, i + 1);
    }
    return -1;
  }

  #finish(line: Uint8Array): FramedLine {
    const content = line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line;
    if (this.#bare === "reject" && hasCrOrLf(content, 0, content.length)) return BARE;
    return { kind: "line", line: content };
  }

  #append(chunk: Uint8Array, from: number, to: number): void {
    const need = this.#accLength + (to - from);
    if (need > this.#acc.length) {
      const grown = new Uint8Array(Math.max(need, Math.min(this.maxLineBytes, 2 * this.#acc.length + 64)));
      grown.set(this.#acc.subarray(0, this.#accLength));
      this.#acc = grown;
    }
    this.#acc.set(chunk.subarray(from, to), this.#accLength);
    this.#accLength = need;
  }

  #consumeTo(chunk: Uint8Array, index: number): void {
    this.#queued -= index - this.#head;
    if (index >= chunk.length) {
      this.#chunks.shift();
      this.#head = 0;
    } else {
      this.#head = index;
    }
  }

  #dropFirstChunk(): void {
    const chunk = this.#chunks[0];
    if (chunk !== undefined) this.#consumeTo(chunk, chunk.length);
  }
}

/**
 * True when `bytes[from, to)` holds a CR or an LF. A loop for command-sized lines (two native
 * `indexOf` calls cost more than scanning a few dozen octets), `indexOf` for long ones.
 */
function hasCrOrLf(bytes: Uint8Array, from: number, to: number): boolean {
  if (to - from > 256) {
    const cr = bytes.indexOf(CR, from);
    if (cr !== -1 && cr < to) return true;
    const lf = bytes.indexOf(LF, from);
    return lf !== -1 && lf < to;
  }
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c === CR || c === LF) return true;
  }
  return false;
}
