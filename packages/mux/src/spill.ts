/**
 * Where the part of a message body that a slow handler has not read yet goes once it lags more
 * than `spillThresholdBytes` behind the fastest: a store written once, at the end, and read at
 * any offset already written. `@lmail/mux/node` has a file-backed one (`fileSpill()`).
 */
export interface Spill {
  /**
   * Append `bytes` at the end. Calls never overlap (the next waits for this one). The store must
   * not keep or modify `bytes` after the returned promise settles: other handlers read them too.
   */
  append(bytes: Uint8Array): Promise<void>;
  /**
   * Read at most `maxBytes` (at least 1) bytes from `offset`. Only ranges already appended are
   * read, so the answer is empty only on a store error. Reads may overlap each other and an append.
   */
  read(offset: number, maxBytes: number): Promise<Uint8Array>;
  /** Release the store (delete the file). Called exactly once; nothing else is called after it. */
  close(): Promise<void>;
}

/** Creates one {@link Spill} per transaction that needs one. */
export interface SpillFactory {
  create(): Promise<Spill>;
}
