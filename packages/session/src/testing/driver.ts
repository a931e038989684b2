/**
 * The interface a transcript runs against. Two implementations are meant to exist: the bare
 * session ({@link SessionDriver} in this package) and a real socket (in @lmail/server's tests), so
 * that the same transcript checks the state machine and the server built on it.
 */
export interface TranscriptDriver {
  /** Write bytes as the client, in one write. Resolves once they were handed on (not answered). */
  send(bytes: Uint8Array): Promise<void>;
  /** Close the client's sending side (a TCP half-close). */
  end(): Promise<void>;
  /**
   * The next complete reply from the server: every line of it, each with its CRLF (a multi-line
   * reply is one reply). `undefined` once the server closed the connection with nothing more.
   * A socket driver waits for it (bounding the wait with its own timeout); the session driver
   * knows at once.
   */
  readReply(): Promise<string | undefined>;
  /** Release what the driver holds (a socket: destroy it). Called by `runTranscript` at the end. */
  close(): Promise<void>;
}

/**
 * Splits a stream of reply bytes into complete replies, for drivers: push what the server wrote,
 * take replies out. Text is decoded as UTF-8 (SMTPUTF8 replies).
 */
export class ReplyReader {
  #text = "";
  readonly #decoder = new TextDecoder();

  /** Append bytes the server wrote. */
  push(bytes: Uint8Array): void {
    this.#text += this.#decoder.decode(bytes, { stream: true });
  }

  /** The next complete reply (all its lines with CRLF), or undefined when none is complete yet. */
  take(): string | undefined {
    let at = 0;
    for (;;) {
      const end = this.#text.indexOf("\r\n", at);
      if (end === -1) return undefined;
      const line = this.#text.slice(at, end);
      at = end + 2;
      if (!/^[0-9]{3}-/.test(line)) {
        const reply = this.#text.slice(0, at);
        this.#text = this.#text.slice(at);
        return reply;
      }
    }
  }

  /** Bytes received that do not make a complete reply yet. */
  get rest(): string {
    return this.#text;
  }
}
