/**
 * The message body as a pull stream: an `AsyncIterable<Uint8Array>` fed by the connection and read
 * by the data hook. The connection stops reading the socket while the queue holds more than the
 * high-water mark, and resumes when the hook pulls, so memory stays flat for any message size.
 */

/** Thrown into the reader when the body will never be delivered (the session refused it, or the connection went away). */
export class BodyAbortedError extends Error {
  readonly code = "ERR_LMAIL_BODY_ABORTED";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BodyAbortedError";
  }
}

interface Waiter {
  resolve(result: IteratorResult<Uint8Array>): void;
  reject(error: Error): void;
}

const DONE: IteratorResult<Uint8Array> = Object.freeze({ done: true, value: undefined });

export class BodyStream implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  #queue: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #ended = false;
  /** Set by `fail` (never an Error made up front: capturing a stack per message is costly). */
  #error: Error | undefined;
  #failed = false;
  #abandoned = false;
  #iterating = false;
  #waiter: Waiter | undefined;
  readonly #highWaterMarkBytes: number;
  readonly #wantMore: () => void;

  /**
   * @param highWaterMarkBytes queue size above which `push` returns false (the producer pauses).
   * @param wantMore called when the reader wants bytes and the queue is below the mark (the producer resumes).
   */
  constructor(highWaterMarkBytes: number, wantMore: () => void) {
    this.#highWaterMarkBytes = highWaterMarkBytes;
    this.#wantMore = wantMore;
  }

  /** True once the reader stopped (returned, broke out of its loop) or the stream ended: further bytes are dropped. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /** True while the producer may push more without pausing. */
  get wantsMore(): boolean {
    return !this.#abandoned && this.#bytes < this.#highWaterMarkBytes;
  }

  /** Queue a chunk. Returns false when the producer should pause until `wantMore` is called. */
  push(chunk: Uint8Array): boolean {
    if (this.#abandoned || this.#ended || this.#failed) return true;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ done: false, value: chunk });
      return true;
    }
    this.#queue.push(chunk);
    this.#bytes += chunk.length;
    return this.#bytes < this.#highWaterMarkBytes;
  }

  /** The body ended well. */
  end(): void {
    if (this.#ended || this.#failed) return;
    this.#ended = true;
    const waiter = this.#waiter;
    if (waiter !== undefined && this.#head >= this.#queue.length) {
      this.#waiter = undefined;
      waiter.resolve(DONE);
    }
  }

  /** The body will not be delivered: the reader's next pull throws `error`. Queued bytes are dropped. */
  fail(error: Error): void {
    if (this.#ended || this.#failed) return;
    this.#failed = true;
    this.#error = error;
    this.#clear();
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.reject(error);
    }
  }

  /** Stop delivering: the reader is gone (its hook returned). Later bytes are dropped. */
  abandon(): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    this.#clear();
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve(DONE);
    }
  }

  #clear(): void {
    this.#queue = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterating) throw new TypeError("the message body can be read only once");
    this.#iterating = true;
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#failed) return Promise.reject(this.#error ?? new BodyAbortedError("the message was refused"));
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head]!;
      this.#queue[this.#head] = EMPTY;
      this.#head++;
      this.#bytes -= value.length;
      if (this.#head === this.#queue.length) {
        this.#queue.length = 0;
        this.#head = 0;
      }
      if (this.#bytes < this.#highWaterMarkBytes && !this.#ended) this.#wantMore();
      return Promise.resolve({ done: false, value });
    }
    if (this.#ended || this.#abandoned) return Promise.resolve(DONE);
    if (this.#waiter !== undefined) return Promise.reject(new TypeError("concurrent next() on the message body"));
    const promise = new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
    this.#wantMore();
    return promise;
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.abandon();
    this.#wantMore();
    return Promise.resolve(DONE);
  }
}

const EMPTY = new Uint8Array(0);
