/**
 * A minimal SMTP client over a raw socket for assertions on exact replies: send one command, read
 * one complete (possibly multiline) reply. Every read is bounded in time.
 */
import { connect, type Socket } from "node:net";

export interface SmtpReply {
  readonly code: number;
  readonly text: string;
}

export class SmtpDialog {
  readonly #socket: Socket;
  #buffer = "";
  #waiting: (() => void) | undefined;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      this.#waiting?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#waiting?.();
    });
    socket.on("error", () => undefined);
  }

  static async open(port: number, host = "127.0.0.1"): Promise<SmtpDialog> {
    const socket = connect({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    return new SmtpDialog(socket);
  }

  /** The next complete reply. */
  async reply(timeoutMs = 10_000): Promise<SmtpReply> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /^(?:\d{3}-[^\r\n]*\r\n)*(\d{3})(?: [^\r\n]*)?\r\n/.exec(this.#buffer);
      if (match !== null) {
        this.#buffer = this.#buffer.slice(match[0].length);
        return { code: Number(match[1]), text: match[0] };
      }
      if (this.#closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${String(timeoutMs)} ms; unread: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiting = () => {
          clearTimeout(timer);
          this.#waiting = undefined;
          resolve();
        };
      });
    }
  }

  /** Send a command line (CRLF added) and read its reply. */
  async send(line: string): Promise<SmtpReply> {
    this.#socket.write(`${line}\r\n`);
    return this.reply();
  }

  write(raw: string): void {
    this.#socket.write(raw);
  }

  close(): void {
    this.#socket.destroy();
  }
}
