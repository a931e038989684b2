// Hand-built values of the @lmail/session contract, for calling the mux's hooks without a server.
import { createHash } from "node:crypto";
import type { Envelope, Handler, HookContext, IncomingMessage, Recipient, SessionInfo } from "@lmail/session";
import { toAsciiDomain, type Spill, type SpillFactory } from "../src/index.js";

type Address = Exclude<Recipient["address"], { postmaster: true }>;

/** An address as @lmail/parser would give it (`asciiDomain` computed like the parser's). */
export function address(raw: string): Address {
  const at = raw.lastIndexOf("@");
  const localPart = raw.slice(0, at);
  const domain = raw.slice(at + 1);
  const quoted = localPart.startsWith('"') && localPart.endsWith('"');
  return Object.freeze({
    raw,
    localPart,
    localPartUnquoted: quoted ? localPart.slice(1, -1).replace(/\\(.)/g, "$1") : localPart,
    domain,
    asciiDomain: toAsciiDomain(domain),
    isAddressLiteral: domain.startsWith("["),
    // eslint-disable-next-line no-control-regex
    isUtf8: /[^\u0000-\u007f]/u.test(raw),
    email: raw,
    hostname: toAsciiDomain(domain),
  });
}

export function recipient(raw: string): Recipient {
  if (raw === "Postmaster" || raw === "postmaster") {
    return Object.freeze({ address: Object.freeze({ raw: "Postmaster", postmaster: true }), params: { raw: [] } });
  }
  return Object.freeze({ address: address(raw), params: { raw: [] } });
}

export function envelope(recipients: readonly (Recipient | string)[]): Envelope {
  return Object.freeze({
    from: address("sender@example.net"),
    mailParams: { raw: [] },
    recipients: recipients.map((r) => (typeof r === "string" ? recipient(r) : r)),
    bodyType: "8BITMIME",
    smtputf8: false,
  });
}

export function sessionInfo(protocol: "smtp" | "lmtp" = "smtp", id = "conn-1"): SessionInfo {
  return Object.freeze({
    id,
    protocol,
    remoteAddress: "127.0.0.1",
    remotePort: 40000,
    localAddress: "127.0.0.1",
    localPort: 25,
    heloName: "client.example.net",
    heloVerb: protocol === "lmtp" ? "LHLO" : "EHLO",
  });
}

export function context(session: SessionInfo = sessionInfo(), signal: AbortSignal = new AbortController().signal): HookContext {
  return { session, signal };
}

export function message(env: Envelope, body: AsyncIterable<Uint8Array>, session: SessionInfo = sessionInfo()): IncomingMessage {
  return { session, envelope: env, headers: [{ name: "Subject", value: "test" }], body };
}

/** Bytes with a position-dependent pattern, so that a lost, repeated or reordered chunk shows. */
export function pattern(bytes: number, seed = 0): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + seed + (i >>> 8)) & 0xff;
  return out;
}

/** A body source that counts what was taken from it, as the server's body stream would be read. */
export class Source implements AsyncIterable<Uint8Array> {
  pulledBytes = 0;
  returned = false;
  readonly #bytes: Uint8Array;
  readonly #chunkBytes: number;
  readonly #failAtBytes: number | undefined;

  constructor(bytes: Uint8Array, chunkBytes: number, failAtBytes?: number) {
    this.#bytes = bytes;
    this.#chunkBytes = chunkBytes;
    this.#failAtBytes = failAtBytes;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let offset = 0;
    return {
      next: async () => {
        await Promise.resolve();
        if (this.#failAtBytes !== undefined && offset >= this.#failAtBytes) throw new Error("connection lost");
        if (offset >= this.#bytes.length) return { done: true, value: undefined };
        // A fresh copy, as a socket read gives one.
        const chunk = this.#bytes.slice(offset, offset + this.#chunkBytes);
        offset += chunk.length;
        this.pulledBytes += chunk.length;
        return { done: false, value: chunk };
      },
      return: () => {
        this.returned = true;
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Let every pending promise and I/O callback run: a bounded number of event-loop turns, not a sleep. */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface Received {
  readonly envelope: Envelope;
  readonly body: Uint8Array;
  readonly headers: IncomingMessage["headers"];
}

/** A handler that reads the whole body and records what it got; `answer` is what its data hook returns. */
export function collector(answer?: () => ReturnType<NonNullable<Handler["data"]>>): Handler & { received: Received[] } {
  const received: Received[] = [];
  return {
    received,
    async data(msg) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of msg.body) chunks.push(chunk);
      received.push({ envelope: msg.envelope, body: concat(chunks), headers: msg.headers });
      return answer?.();
    },
  };
}

/** A promise with its resolver, to open a gate from the test. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Length and SHA-256 of bytes: compares large bodies fast and prints short on failure. */
export function digest(bytes: Uint8Array): string {
  return `${String(bytes.length)}:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** An in-memory Spill that records what it was asked, optionally failing. */
export class MemorySpill implements Spill {
  appendedBytes = 0;
  closed = false;
  #data = new Uint8Array(1024);
  readonly #failAppendAtBytes: number | undefined;

  constructor(failAppendAtBytes?: number) {
    this.#failAppendAtBytes = failAppendAtBytes;
  }

  async append(bytes: Uint8Array): Promise<void> {
    await Promise.resolve();
    if (this.closed) throw new Error("append after close");
    if (this.#failAppendAtBytes !== undefined && this.appendedBytes + bytes.length > this.#failAppendAtBytes) throw new Error("ENOSPC");
    if (this.appendedBytes + bytes.length > this.#data.length) {
      const grown = new Uint8Array(Math.max(this.#data.length * 2, this.appendedBytes + bytes.length));
      grown.set(this.#data.subarray(0, this.appendedBytes));
      this.#data = grown;
    }
    this.#data.set(bytes, this.appendedBytes);
    this.appendedBytes += bytes.length;
  }

  async read(offset: number, maxBytes: number): Promise<Uint8Array> {
    await Promise.resolve();
    if (this.closed) throw new Error("read after close");
    return this.#data.slice(offset, Math.min(offset + maxBytes, this.appendedBytes));
  }

  async close(): Promise<void> {
    await Promise.resolve();
    this.closed = true;
  }
}

export class MemorySpillFactory implements SpillFactory {
  readonly created: MemorySpill[] = [];
  readonly #options: { failCreate?: boolean; failAppendAtBytes?: number };

  constructor(options: { failCreate?: boolean; failAppendAtBytes?: number } = {}) {
    this.#options = options;
  }

  async create(): Promise<Spill> {
    await Promise.resolve();
    if (this.#options.failCreate === true) throw new Error("EACCES");
    const spill = new MemorySpill(this.#options.failAppendAtBytes);
    this.created.push(spill);
    return spill;
  }
}
