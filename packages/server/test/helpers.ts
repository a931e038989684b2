import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { createServer, type Handler, type ServerOptions, type SmtpServer } from "../src/index.js";

const hookNames = ["connect", "helo", "auth", "mail", "rcpt", "data", "reset", "close"] as const;

/** A server on 127.0.0.1, port 0. Hooks may be given inline with the options. */
export async function startServer(options: ServerOptions & Handler & { implicitTls?: boolean }): Promise<{ server: SmtpServer; port: number }> {
  const { implicitTls, ...rest } = options;
  const inline: Record<string, unknown> = {};
  const serverOptions: Record<string, unknown> = { hostname: "mx.test" };
  for (const [key, value] of Object.entries(rest)) {
    if ((hookNames as readonly string[]).includes(key)) inline[key] = value;
    else serverOptions[key] = value;
  }
  // A handler given as is keeps its prototype (a Mux's hooks are methods); inline hooks are
  // added to a copy of its own hooks only when there are some.
  const handler = Object.keys(inline).length === 0 && options.handler !== undefined ? options.handler : { ...options.handler, ...inline };
  const server = createServer({ ...(serverOptions as ServerOptions), handler });
  const address = await server.listen({ host: "127.0.0.1", port: 0, implicitTls: implicitTls ?? false });
  return { server, port: address.port };
}

/** A raw SMTP client: write bytes, read whole replies. */
export class Client {
  socket: Socket;
  #buffer = "";
  #waiters: (() => void)[] = [];
  #closed = false;
  readonly closed: Promise<void>;

  constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      const done = (): void => {
        this.#closed = true;
        this.#wake();
        resolve();
      };
      socket.on("close", done);
    });
    this.#listen(socket);
    socket.on("error", () => undefined);
  }

  #listen(socket: Socket): void {
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => {
      this.#buffer += text;
      this.#wake();
    });
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, host = "127.0.0.1"): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = netConnect({ port, host }, () => resolve(new Client(s)));
      s.once("error", reject);
    });
  }

  static connectTls(port: number, options: ConnectionOptions = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = tlsConnect({ port, host: "127.0.0.1", rejectUnauthorized: false, ...options }, () => resolve(new Client(s)));
      s.once("error", reject);
    });
  }

  /** All text received and not yet read. */
  get pending(): string {
    return this.#buffer;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  write(bytes: Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  /** The next complete reply (all its lines), e.g. "250-a\r\n250 b\r\n". Rejects when the connection closes first. */
  async reply(): Promise<string> {
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(this.#buffer);
      if (m !== null) {
        this.#buffer = this.#buffer.slice(m[0].length);
        return m[0];
      }
      if (this.#closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Send a command and return its reply. */
  async command(line: string): Promise<string> {
    this.send(`${line}\r\n`);
    return this.reply();
  }

  /** STARTTLS on this connection (after the 220 was read). */
  async startTls(options: ConnectionOptions = {}): Promise<TLSSocket> {
    const plain = this.socket;
    plain.removeAllListeners("data");
    const secure = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, rejectUnauthorized: false, ...options }, () => resolve(s));
      s.once("error", reject);
    });
    secure.on("error", () => undefined);
    this.socket = secure;
    this.#listen(secure);
    return secure;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Send a whole transaction and return the final reply. */
export async function sendMail(c: Client, from: string, to: readonly string[], message: string): Promise<string> {
  expect200(await c.command(`MAIL FROM:<${from}>`));
  for (const r of to) expect200(await c.command(`RCPT TO:<${r}>`));
  const go = await c.command("DATA");
  if (!go.startsWith("354")) throw new Error(`DATA: ${go}`);
  const text = message.replace(/^\./gm, "..");
  c.send(text.endsWith("\r\n") ? `${text}.\r\n` : `${text}\r\n.\r\n`);
  return c.reply();
}

function expect200(r: string): void {
  if (!r.startsWith("250")) throw new Error(`unexpected reply ${r}`);
}

/** Collect a body stream to text. */
export async function readAll(body: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts).toString("utf8");
}

/** Resolve when `check` is true, polled on each tick of the event loop; rejects after `ms` (a failure guard, not a wait). */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error("condition not met in time");
    await new Promise((r) => setImmediate(r));
  }
}
