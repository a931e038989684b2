import type { Spill, SpillFactory } from "./spill.js";

/** Options of a {@link FanOut}. */
export interface FanOutOptions {
  /** Past `spillThresholdBytes` of lag, the lagging readers are fed from a spill made by this. */
  readonly spill?: SpillFactory | undefined;
  /** The most bytes the fastest reader may run ahead of the slowest one kept in memory. */
  readonly spillThresholdBytes: number;
  /** The most bytes one read from the spill returns. */
  readonly spillReadBytes: number;
  /** Fires on disconnect, timeout or shutdown: every reader fails with its reason. */
  readonly signal?: AbortSignal | undefined;
}

type Mode = "memory" | "spill" | "closed";

interface Reader {
  /** Offset in the body of the next byte this reader gets. */
  offset: number;
  mode: Mode;
  /** Set when the spill this reader was fed from failed. */
  failure?: { readonly error: unknown };
}

interface Buffered {
  /** Offset of `bytes[0]` in the body. */
  readonly start: number;
  readonly bytes: Uint8Array;
}

/** A {@link Spill} as the fan-out uses it: its bounds, and a close that waits for reads in flight. */
class SpillHandle {
  readonly #store: Spill;
  /** Body offset of the first byte in the store. */
  readonly start: number;
  /** Body offset one past the last byte appended. */
  written: number;
  #reads = 0;
  #closeRequested = false;
  #closing = false;
  #resolveClosed: (() => void) | undefined;
  /** Settles once the store is closed. */
  readonly closed: Promise<void>;

  constructor(store: Spill, start: number) {
    this.#store = store;
    this.start = start;
    this.written = start;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  async append(bytes: Uint8Array): Promise<void> {
    await this.#store.append(bytes);
    this.written += bytes.length;
  }

  async read(offset: number, maxBytes: number): Promise<Uint8Array> {
    this.#reads += 1;
    try {
      const bytes = await this.#store.read(offset - this.start, maxBytes);
      if (bytes.length === 0) throw new Error(`the spill returned no bytes at offset ${String(offset - this.start)}`);
      return bytes;
    } finally {
      this.#reads -= 1;
      if (this.#closeRequested && this.#reads === 0) this.#closeNow();
    }
  }

  /** Close the store once no read is in flight. Never throws: a failed close is not the message's failure. */
  close(): void {
    this.#closeRequested = true;
    if (this.#reads === 0) this.#closeNow();
  }

  #closeNow(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#store.close().then(
      () => this.#resolveClosed?.(),
      () => this.#resolveClosed?.(),
    );
  }
}

/**
 * One pull stream read by several readers, each at its own pace, with bounded memory.
 *
 * The source is read only when a reader needs bytes no one has read yet. The bytes between the
 * slowest reader kept in memory and the fastest stay buffered; when that lag reaches
 * `spillThresholdBytes`, the lagging readers move to a spill (when a factory is given; one store
 * per fan-out, written once, read by every spilled reader at its own offset), or else the fastest
 * waits for them (backpressure). A closed reader (its handler returned) never holds others back.
 * Chunks are handed to every reader as they came from the source: readers must not modify them.
 */
export class FanOut {
  readonly #source: AsyncIterable<Uint8Array>;
  readonly #options: FanOutOptions;
  readonly #readers: Reader[];
  #iterator: AsyncIterator<Uint8Array> | undefined;
  /** Buffered chunks from index `#head` on, in body order. */
  #chunks: (Buffered | undefined)[] = [];
  #head = 0;
  /** Bytes taken from the source so far. */
  #tail = 0;
  #done = false;
  #failure: { readonly error: unknown } | undefined;
  #pulling: Promise<void> | undefined;
  #spill: SpillHandle | undefined;
  readonly #spills: SpillHandle[] = [];
  #spillUnavailable = false;
  #spilled = false;
  #changed!: Promise<void>;
  #notifyChanged!: () => void;
  readonly #onAbort: () => void;
  /** The most bytes held in memory at once (for tests and measurements). */
  peakBufferedBytes = 0;

  constructor(source: AsyncIterable<Uint8Array>, readers: number, options: FanOutOptions) {
    this.#source = source;
    this.#options = options;
    this.#readers = Array.from({ length: readers }, () => ({ offset: 0, mode: "memory" }));
    this.#resetChanged();
    this.#onAbort = () => this.#fail(options.signal?.reason);
    if (options.signal?.aborted === true) this.#fail(options.signal.reason);
    else options.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Bytes held in memory now. */
  get bufferedBytes(): number {
    const first = this.#chunks[this.#head];
    return first === undefined ? 0 : this.#tail - first.start;
  }

  /** True once some reader was moved to a spill. */
  get spilled(): boolean {
    return this.#spilled;
  }

  /** The body as reader `index` sees it. Iterate it once. */
  reader(index: number): AsyncIterable<Uint8Array> {
    let queue: Promise<unknown> = Promise.resolve();
    const iterator: AsyncIterableIterator<Uint8Array> = {
      next: () => {
        // Calls that overlap are served in order, as an async generator would.
        const result = queue.then(() => this.#next(index));
        queue = result.catch(() => undefined);
        return result;
      },
      return: () => {
        this.close(index);
        return Promise.resolve({ done: true, value: undefined });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** Reader `index` is done (its handler returned): it no longer holds the others back. */
  close(index: number): void {
    const reader = this.#readers[index];
    if (reader === undefined || reader.mode === "closed") return;
    reader.mode = "closed";
    this.#trim();
    this.#notify();
  }

  /**
   * After every reader closed: stop reading the source (its `return()`, so that the transport
   * drains the rest) and release the spill. Never throws.
   */
  async finish(): Promise<void> {
    for (let i = 0; i < this.#readers.length; i++) this.close(i);
    this.#options.signal?.removeEventListener("abort", this.#onAbort);
    const cleanup = async (): Promise<void> => {
      this.#spill?.close();
      this.#spill = undefined;
      if (this.#iterator !== undefined && !this.#done) {
        try {
          await this.#iterator.return?.();
        } catch {
          // the transport's business: the message is already answered
        }
      }
      await Promise.all(this.#spills.map((s) => s.closed));
    };
    const pulling = this.#pulling;
    if (pulling !== undefined && this.#failure !== undefined) {
      // Aborted while the source is being read: do not wait for bytes that may never come.
      void pulling.then(cleanup);
      return;
    }
    await pulling;
    await cleanup();
  }

  async #next(index: number): Promise<IteratorResult<Uint8Array, undefined>> {
    for (;;) {
      const reader = this.#readers[index];
      if (reader === undefined || reader.mode === "closed") return { done: true, value: undefined };
      if (this.#failure !== undefined) throw this.#failure.error;
      if (reader.failure !== undefined) throw reader.failure.error;
      if (reader.mode === "memory") {
        const chunk = this.#chunkAt(reader.offset);
        if (chunk !== undefined) {
          reader.offset += chunk.bytes.length;
          this.#trim();
          this.#notify();
          return { done: false, value: chunk.bytes };
        }
        if (reader.offset < this.#tail) throw new Error("fan-out: buffered bytes lost (a bug in @lmail/mux)");
      } else {
        const spill = this.#spill;
        if (spill !== undefined && reader.offset < spill.written) {
          const bytes = await spill.read(reader.offset, Math.min(this.#options.spillReadBytes, spill.written - reader.offset));
          if ((reader.mode as Mode) === "closed") return { done: true, value: undefined };
          reader.offset += bytes.length;
          return { done: false, value: bytes };
        }
      }
      if (this.#done && reader.offset >= this.#tail) return { done: true, value: undefined };
      // Woken by the read, or by anything else (an abort must not wait for a stalled client).
      await Promise.race([this.#pull(), this.#changed]);
    }
  }

  /** Read one chunk from the source (once there is room for it); concurrent calls share one read. */
  #pull(): Promise<void> {
    this.#pulling ??= this.#pullOnce().finally(() => {
      this.#pulling = undefined;
    });
    return this.#pulling;
  }

  async #pullOnce(): Promise<void> {
    for (;;) {
      if (this.#failure !== undefined || this.#done || !this.#readers.some((r) => r.mode !== "closed")) return;
      if (this.#memoryLag() < this.#options.spillThresholdBytes) break;
      // Taken before the awaits below, so that a reader's progress meanwhile is not missed.
      const changed = this.#changed;
      if (await this.#spillLaggards()) continue;
      await changed;
    }
    if (this.#spill !== undefined && !this.#readers.some((r) => r.mode === "spill")) {
      // Every spilled reader is done: stop writing what no one will read.
      this.#spill.close();
      this.#spill = undefined;
    }
    this.#iterator ??= this.#source[Symbol.asyncIterator]();
    let result: IteratorResult<Uint8Array>;
    try {
      result = await this.#iterator.next();
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (result.done === true) {
      this.#done = true;
      this.#notify();
      return;
    }
    const bytes = result.value;
    if (bytes.length === 0) return;
    if (this.#spill !== undefined) {
      try {
        await this.#spill.append(bytes);
      } catch (error) {
        this.#spillFailed(error);
      }
    }
    if (this.#readers.some((r) => r.mode === "memory")) this.#chunks.push({ start: this.#tail, bytes });
    this.#tail += bytes.length;
    this.peakBufferedBytes = Math.max(this.peakBufferedBytes, this.bufferedBytes);
    this.#notify();
  }

  /**
   * Move the readers that lag `spillThresholdBytes` or more to the spill, creating it on first
   * use. False when none moved (no factory, or the spill failed: fall back to backpressure).
   */
  async #spillLaggards(): Promise<boolean> {
    const factory = this.#options.spill;
    if (factory === undefined || this.#spillUnavailable) return false;
    if (this.#spill === undefined) {
      let store: Spill;
      try {
        store = await factory.create();
      } catch {
        this.#spillUnavailable = true;
        return false;
      }
      // Readers may have moved on while the store was created: start at the slowest one now.
      const start = this.#minMemoryOffset();
      const spill = new SpillHandle(store, start);
      this.#spills.push(spill);
      // A copy: memory readers go on reading (and trimming) while these are written.
      const pending = this.#chunks.slice(this.#head);
      try {
        for (const chunk of pending) {
          if (chunk !== undefined && chunk.start >= start) await spill.append(chunk.bytes);
        }
      } catch {
        spill.close();
        this.#spillUnavailable = true;
        return false;
      }
      this.#spill = spill;
    }
    const spill = this.#spill;
    let moved = false;
    for (const reader of this.#readers) {
      if (reader.mode === "memory" && reader.offset >= spill.start && this.#tail - reader.offset >= this.#options.spillThresholdBytes) {
        reader.mode = "spill";
        moved = true;
        this.#spilled = true;
      }
    }
    this.#trim();
    this.#notify();
    return moved;
  }

  #spillFailed(error: unknown): void {
    for (const reader of this.#readers) {
      if (reader.mode === "spill") reader.failure = { error };
    }
    this.#spill?.close();
    this.#spill = undefined;
    this.#spillUnavailable = true;
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
    this.#notify();
  }

  #minMemoryOffset(): number {
    let min = this.#tail;
    for (const reader of this.#readers) {
      if (reader.mode === "memory" && reader.offset < min) min = reader.offset;
    }
    return min;
  }

  #memoryLag(): number {
    return this.#tail - this.#minMemoryOffset();
  }

  /** The buffered chunk that starts at `offset` (memory readers always stand at a chunk start). */
  #chunkAt(offset: number): Buffered | undefined {
    let lo = this.#head;
    let hi = this.#chunks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.#chunks[mid];
      if (chunk === undefined) return undefined;
      if (chunk.start === offset) return chunk;
      if (chunk.start < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** Drop the chunks every memory reader has read. */
  #trim(): void {
    const min = this.#minMemoryOffset();
    while (this.#head < this.#chunks.length) {
      const chunk = this.#chunks[this.#head];
      if (chunk === undefined || chunk.start + chunk.bytes.length > min) break;
      this.#chunks[this.#head] = undefined;
      this.#head += 1;
    }
    // Compact now and then, so that the array does not grow with the message.
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  #resetChanged(): void {
    this.#changed = new Promise((resolve) => (this.#notifyChanged = resolve));
  }

  /** Wake everyone waiting for room or bytes. */
  #notify(): void {
    this.#notifyChanged();
    this.#resetChanged();
  }
}
