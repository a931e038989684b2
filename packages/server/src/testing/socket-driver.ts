/**
 * A transcript driver over a real TCP socket, for the `C:`/`S:` transcript kit of
 * `@lmail/session/testing`: the same transcripts that check the bare session check a running server.
 */
import { connect, type Socket } from "node:net";
import { ReplyReader, type TranscriptDriver } from "@lmail/session/testing";

export interface SocketDriverOptions {
  /** Default "127.0.0.1". */
  readonly host?: string;
  /** How long `readReply` waits for a reply before it rejects, in ms. Default 5000: a failure guard for tests. */
  readonly replyTimeoutMs?: number;
}

/** Runs transcripts against a server listening on `port`. */
export class SocketDriver implements TranscriptDriver {
  readonly #socket: Socket;
  readonly #reader = new ReplyReader();
  readonly #replyTimeoutMs: number;
  #closed = false;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket, replyTimeoutMs: number) {
    this.#socket = socket;
    this.#replyTimeoutMs = replyTimeoutMs;
    socket.on("data", (chunk: Buffer) => {
      this.#reader.push(chunk);
      this.#wake?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on("error", () => undefined);
  }

  /** Connect to a server; resolves once the TCP connection is up. */
  static connect(port: number, options: SocketDriverOptions = {}): Promise<SocketDriver> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: options.host ?? "127.0.0.1", noDelay: true }, () => {
        socket.off("error", reject);
        resolve(new SocketDriver(socket, options.replyTimeoutMs ?? 5000));
      });
      socket.once("error", reject);
    });
  }

  send(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        resolve(); // the server already closed; the next readReply tells
        return;
      }
      this.#socket.write(bytes, (error) => (error == null ? resolve() : reject(error)));
    });
  }

  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) resolve();
      else this.#socket.end(() => resolve());
    });
  }

  async readReply(): Promise<string | undefined> {
    const deadline = Date.now() + this.#replyTimeoutMs;
    for (;;) {
      const reply = this.#reader.take();
      if (reply !== undefined) return reply;
      if (this.#closed) {
        if (this.#reader.rest !== "") throw new Error(`the server closed after a partial reply: ${JSON.stringify(this.#reader.rest)}`);
        return undefined;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${this.#replyTimeoutMs} ms; received so far: ${JSON.stringify(this.#reader.rest)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once("close", () => resolve());
      this.#socket.destroy();
    });
  }
}
