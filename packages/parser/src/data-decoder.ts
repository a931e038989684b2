import type { Reply } from "@lmail/codes";
import { CR, DOT, LF } from "./bytes.js";
import { ParserReplies } from "./replies.js";
import type { BodyLineEndingPolicy, BodySummary, DataDecoderOptions, DecodeStep } from "./types.js";

/** RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including its CRLF. */
export const DEFAULT_MAX_TEXT_LINE_BYTES = 1000;

// Decoder states. Only CRLF "." CRLF ends the data; a line start is only ever after a CRLF.
/** At the start of a line (after CRLF, or at the very beginning). */
const LINE_START = 0;
/** Saw "." at a line start; the dot is never emitted (stuffing dot, or part of the end marker). */
const DOT_SEEN = 1;
/** Saw "." CR at a line start: LF next ends the data. */
const DOT_CR = 2;
/** Inside a line. */
const MID = 3;
/** Saw a CR inside a line: LF next ends the line, anything else makes it a bare CR. */
const CR_SEEN = 4;
type State = typeof LINE_START | typeof DOT_SEEN | typeof DOT_CR | typeof MID | typeof CR_SEEN;

// Shared constants for octets that are not in the current chunk (a CR held over a chunk boundary)
// or are inserted (normalisation). Consumers must not modify output arrays.
const CRLF_BYTES = Uint8Array.of(CR, LF);
const CR_BYTES = Uint8Array.of(CR);
const NO_OUTPUT: readonly Uint8Array[] = Object.freeze([]);

/**
 * The DATA body decoder (RFC 5321 §4.5.2, §3.3): turns the raw octets after `354` into the message,
 * undoing dot-stuffing, and stops exactly after CRLF "." CRLF.
 *
 * - Smuggling-safe: only CRLF "." CRLF ends the data. `<LF>.<LF>`, `<LF>.<CR><LF>`, `<CR>.<CR>`,
 *   `<CR><LF>.<LF>` and the like never do, wherever chunk boundaries fall; after a bare CR or LF no
 *   line starts (so neither end marker nor dot-unstuffing applies there).
 * - The message keeps its final CRLF (the one before the end marker); the marker is not output.
 * - Bare CR / LF: `"reject"` (default) passes them through and refuses the message at the end with
 *   550 5.5.2; `"normalize"` replaces each with CRLF.
 * - Line limit (`maxLineBytes`, default 1000 with CRLF, RFC 5321 §4.5.3.1.6): a longer line is
 *   passed through and the message refused at the end with 500 5.5.2 (the RFC's "500 Line too long").
 * - Size limit (`maxMessageBytes`): output stops at the limit, counting goes on, the message is
 *   refused at the end with 552 5.3.4.
 * - Hot path: output is views into the input chunks (a run between dots is one view), CR/LF found
 *   with `indexOf`, no allocation per octet or per line, no buffering at all.
 */
export class DataDecoder {
  readonly #maxLineBytes: number;
  readonly #maxMessageBytes: number;
  readonly #normalize: boolean;
  #state: State = LINE_START;
  #done = false;
  /** Decoded octets, all of them (also those past the size limit). */
  #bytes = 0;
  /** Octets output so far (at most maxMessageBytes when that is set). */
  #emitted = 0;
  /** Decoded octets of the current line so far, its CRLF included once seen. */
  #lineBytes = 0;
  #sawBare = false;
  #sawLongLine = false;

  constructor(options: DataDecoderOptions = {}) {
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_TEXT_LINE_BYTES;
    this.#maxMessageBytes = options.maxMessageBytes ?? 0;
    const policy: BodyLineEndingPolicy = options.bareLineEndings ?? "reject";
    this.#normalize = policy === "normalize";
    if (!Number.isSafeInteger(this.#maxLineBytes) || this.#maxLineBytes < 0) throw new RangeError("maxLineBytes must be a non-negative integer");
    if (!Number.isSafeInteger(this.#maxMessageBytes) || this.#maxMessageBytes < 0) throw new RangeError("maxMessageBytes must be a non-negative integer");
  }

  /** True once CRLF "." CRLF was seen. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Decode the next chunk of the DATA stream. `output` holds the message octets (views into
   * `chunk` or shared constants: do not modify them); `consumed` is how much of `chunk` belonged to
   * the body, the rest being the next commands. After `done`, further pushes consume nothing.
   */
  push(chunk: Uint8Array): DecodeStep {
    if (this.#done) return { output: NO_OUTPUT, consumed: 0, done: true };
    const out: Uint8Array[] = [];
    const n = chunk.length;
    const maxLine = this.#maxLineBytes;
    let state = this.#state;
    let lineBytes = this.#lineBytes;
    let i = 0;
    let run = 0; // start of the octets of `chunk` passed through as they are, not yet output
    let nextCr = -1;
    let nextLf = -1;
    while (i < n) {
      switch (state) {
        case MID: {
          // The common line, ordinary octets then CRLF within this chunk, is one turn of this loop:
          // one search for each of CR and LF, and the octet after the LF read to see if a dot
          // starts the next line. Anything else (a bare CR or LF, a line ending past the chunk)
          // leaves the loop with both positions still valid for the general case below.
          let lineStart = false;
          for (;;) {
            if (nextLf < i) {
              nextLf = chunk.indexOf(LF, i);
              if (nextLf === -1) nextLf = n;
            }
            if (nextCr < i) {
              nextCr = chunk.indexOf(CR, i);
              if (nextCr === -1) nextCr = n;
            }
            if (nextCr + 1 !== nextLf || nextLf === n) break;
            lineBytes += nextLf + 1 - i;
            if (maxLine > 0 && lineBytes > maxLine) this.#sawLongLine = true;
            lineBytes = 0;
            i = nextLf + 1;
            if (i === n || chunk[i] === DOT) {
              lineStart = true;
              break;
            }
          }
          if (lineStart) {
            state = LINE_START;
            break;
          }
          const j = nextCr < nextLf ? nextCr : nextLf;
          lineBytes += j - i;
          if (j === n) {
            i = n;
            break;
          }
          if (chunk[j] === CR) {
            // not followed by LF in this chunk (the loop above took every CRLF inside it)
            lineBytes += 1;
            state = CR_SEEN;
          } else {
            // a bare LF: never a line end for the end marker or dot-unstuffing
            this.#sawBare = true;
            if (this.#normalize) {
              if (j > run) this.#emit(out, chunk.subarray(run, j));
              this.#emit(out, CRLF_BYTES);
              run = j + 1;
              if (maxLine > 0 && lineBytes + 2 > maxLine) this.#sawLongLine = true;
              lineBytes = 0;
            } else {
              lineBytes += 1;
            }
          }
          if (maxLine > 0 && lineBytes > maxLine) this.#sawLongLine = true;
          i = j + 1;
          break;
        }
        case CR_SEEN: {
          if (chunk[i] === LF) {
            if (i === 0) this.#emit(out, CR_BYTES); // the CR ended the previous chunk
            if (maxLine > 0 && lineBytes + 1 > maxLine) this.#sawLongLine = true;
            lineBytes = 0;
            state = LINE_START;
            i++;
          } else {
            this.#bareCr(out, chunk, i, run);
            if (this.#normalize) {
              run = i;
              if (maxLine > 0 && lineBytes + 1 > maxLine) this.#sawLongLine = true;
              lineBytes = 0;
            }
            state = MID; // the octet after a bare CR is inside a line
          }
          break;
        }
        case LINE_START:
          if (chunk[i] === DOT) {
            if (i > run) this.#emit(out, chunk.subarray(run, i));
            run = i + 1; // the dot is never output
            state = DOT_SEEN;
            i++;
          } else {
            state = MID;
          }
          break;
        case DOT_SEEN:
          if (chunk[i] === CR) {
            state = DOT_CR;
            i++;
          } else {
            state = MID; // RFC 5321 §4.5.2: a leading dot with more on the line is deleted
          }
          break;
        case DOT_CR:
          if (chunk[i] === LF) {
            // CRLF "." CRLF: the end. The CR after the dot (in `chunk` from `run`, or held over) is not output.
            this.#done = true;
            this.#state = LINE_START;
            this.#lineBytes = 0;
            return { output: out, consumed: i + 1, done: true };
          }
          // "." CR and no LF: the dot was stuffing, the CR is bare
          lineBytes += 1;
          state = CR_SEEN;
          break;
      }
    }
    // A CR at the very end of the chunk is held until the next octet tells what it is.
    const end = state === CR_SEEN || state === DOT_CR ? n - 1 : n;
    if (end > run) this.#emit(out, chunk.subarray(run, end));
    this.#state = state;
    this.#lineBytes = lineBytes;
    return { output: out, consumed: n, done: false };
  }

  /**
   * The verdict, once `done`: the decoded size and, when the message must be refused, the reply
   * (552 5.3.4 too big, before 550 5.5.2 bare CR/LF, before 500 5.5.2 line too long). Called
   * before `done`, it describes the octets so far.
   */
  finish(): BodySummary {
    let reject: Reply | undefined;
    if (this.#maxMessageBytes > 0 && this.#bytes > this.#maxMessageBytes) reject = ParserReplies.messageTooBig;
    else if (this.#sawBare && !this.#normalize) reject = ParserReplies.bareLineEndingInBody;
    else if (this.#sawLongLine) reject = ParserReplies.bodyLineTooLong;
    return reject === undefined ? { bytes: this.#bytes } : { bytes: this.#bytes, reject };
  }

  /** A CR at `i - 1` (or held over from the previous chunk when `i === 0`) followed by a non-LF. */
  #bareCr(out: Uint8Array[], chunk: Uint8Array, i: number, run: number): void {
    this.#sawBare = true;
    if (this.#normalize) {
      if (i > 0 && i - 1 > run) this.#emit(out, chunk.subarray(run, i - 1));
      this.#emit(out, CRLF_BYTES);
    } else if (i === 0) {
      this.#emit(out, CR_BYTES);
    }
  }

  #emit(out: Uint8Array[], view: Uint8Array): void {
    const length = view.length;
    this.#bytes += length;
    const max = this.#maxMessageBytes;
    if (max === 0) {
      out.push(view);
      return;
    }
    if (this.#emitted >= max) return;
    const take = Math.min(length, max - this.#emitted);
    out.push(take === length ? view : view.subarray(0, take));
    this.#emitted += take;
  }
}
