import type { DecodeStep } from "./types.js";

const NO_OUTPUT: readonly Uint8Array[] = Object.freeze([]);

/**
 * One BDAT chunk (RFC 3030 §2): exactly `size` octets passed through as they are, with no dot
 * handling and no line-ending rules. Output is views into the pushed chunks; `consumed` says how
 * much of each push was chunk data (the rest is the next command).
 */
export class BdatReader {
  #remaining: number;

  /** @param size the chunk size from `BDAT size`: a non-negative safe integer (else a RangeError: a caller bug). */
  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError("BDAT size must be a non-negative safe integer");
    this.#remaining = size;
  }

  /** Octets still expected. */
  get remaining(): number {
    return this.#remaining;
  }

  /** Take the chunk's octets from `chunk`; `done` once all `size` octets were passed through. */
  push(chunk: Uint8Array): DecodeStep {
    const take = Math.min(this.#remaining, chunk.length);
    this.#remaining -= take;
    const output = take === 0 ? NO_OUTPUT : [take === chunk.length ? chunk : chunk.subarray(0, take)];
    return { output, consumed: take, done: this.#remaining === 0 };
  }
}
