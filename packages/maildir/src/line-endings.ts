/** How lines end in the files written: see {@link DeliverOptions.lineEnding}. */
export type LineEnding = "lf" | "crlf";

const CR = 0x0d;
const LF = 0x0a;

/**
 * Streaming CRLF → LF conversion: every CR LF pair becomes LF, a lone CR or LF is kept. A CR at
 * the end of a chunk is held until the next chunk shows whether an LF follows.
 */
export class CrlfToLf {
  private heldCr = false;

  push(chunk: Uint8Array): Uint8Array {
    const out = new Uint8Array(chunk.byteLength + 1);
    let n = 0;
    let i = 0;
    if (this.heldCr) {
      this.heldCr = false;
      if (chunk.byteLength === 0) {
        this.heldCr = true;
        return out.subarray(0, 0);
      }
      if (chunk[0] !== LF) out[n++] = CR;
    }
    for (; i < chunk.byteLength; i++) {
      const b = chunk[i]!;
      if (b === CR) {
        if (i + 1 === chunk.byteLength) {
          this.heldCr = true;
          continue;
        }
        if (chunk[i + 1] === LF) continue;
      }
      out[n++] = b;
    }
    return out.subarray(0, n);
  }

  /** What is still held at the end of the stream (a final lone CR). */
  end(): Uint8Array {
    if (!this.heldCr) return new Uint8Array(0);
    this.heldCr = false;
    return Uint8Array.of(CR);
  }
}
