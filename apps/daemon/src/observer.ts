/**
 * Turns the server's `node:diagnostics_channel` events into lmaild's logs and metrics: one log
 * line per transaction (id, client, sender, recipients, size, result, duration), connection lines
 * at debug level, TLS failures and internal errors as warnings and errors.
 *
 * The payload types mirror @lmail/server's documented channel messages (`channelNames`); they
 * are read defensively, so a field the server does not send is logged as absent, never a crash.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Logger } from "./logger.js";
import type { DaemonMetrics } from "./metrics.js";

/** @lmail/server's channel names (stable, see its `channelNames`). */
export const serverChannels = {
  connection: "lmail:server:connection",
  transaction: "lmail:server:transaction",
  tls: "lmail:server:tls",
  error: "lmail:server:error",
} as const;

interface ReplyLike {
  readonly code: number;
  readonly enhanced?: string;
  readonly lines: readonly string[];
}
interface AddressLike {
  readonly raw: string;
}
interface EnvelopeLike {
  readonly from: AddressLike | null;
  readonly recipients: readonly { readonly address: AddressLike }[];
}
type ConnectionMessage =
  | { readonly type: "open"; readonly id: string; readonly remoteAddress: string; readonly remotePort: number; readonly localAddress: string; readonly localPort: number }
  | { readonly type: "refused"; readonly id: string; readonly remoteAddress: string; readonly reason: string }
  | { readonly type: "close"; readonly id: string; readonly reason: string; readonly durationMs: number; readonly bytesRead: number; readonly bytesWritten: number };
type TransactionMessage =
  | { readonly type: "start"; readonly id: string; readonly envelope: EnvelopeLike; readonly transfer: string }
  | { readonly type: "end"; readonly id: string; readonly envelope: EnvelopeLike; readonly bytes: number; readonly replies: readonly (ReplyLike | undefined)[] }
  | { readonly type: "rejected"; readonly id: string; readonly envelope: EnvelopeLike; readonly reply: ReplyLike }
  | { readonly type: "reset"; readonly id: string };
type TlsMessage =
  | { readonly type: "established"; readonly id: string; readonly info: { readonly protocol: string; readonly cipher: string; readonly implicit: boolean; readonly servername?: string } }
  | { readonly type: "failed"; readonly id: string; readonly implicit: boolean; readonly error: unknown };
interface ErrorMessage {
  readonly id?: string;
  readonly where: string;
  readonly error: unknown;
}

/** A reply as a short string for logs: `250 2.6.0 Message accepted`. */
export function replyText(reply: ReplyLike | undefined): string {
  if (reply === undefined) return "250";
  return [String(reply.code), reply.enhanced, reply.lines[0]].filter((part) => part !== undefined && part !== "").join(" ");
}

/** The transaction's result word from its final reply (or replies: LMTP gives one per recipient). */
export function resultOf(replies: readonly (ReplyLike | undefined)[]): "delivered" | "partial" | "failed" | "rejected" {
  const codes = replies.map((r) => r?.code ?? 250);
  if (codes.length === 0 || codes.every((c) => c < 400)) return "delivered";
  if (codes.some((c) => c < 400)) return "partial";
  return codes.every((c) => c >= 500) ? "rejected" : "failed";
}

interface Open {
  readonly client: string;
  txStart?: { readonly at: number; readonly transfer: string };
}

export class Observer {
  readonly #logger: Logger;
  readonly #metrics: DaemonMetrics;
  readonly #connections = new Map<string, Open>();
  readonly #subscriptions: [string, (message: unknown) => void][] = [];

  constructor(logger: Logger, metrics: DaemonMetrics) {
    this.#logger = logger;
    this.#metrics = metrics;
    this.#on(serverChannels.connection, (m) => this.#connection(m as ConnectionMessage));
    this.#on(serverChannels.transaction, (m) => this.#transaction(m as TransactionMessage));
    this.#on(serverChannels.tls, (m) => this.#tls(m as TlsMessage));
    this.#on(serverChannels.error, (m) => this.#error(m as ErrorMessage));
  }

  /** The client address of an open connection, `ip:port`, for other log lines. */
  clientOf(id: string): string | undefined {
    return this.#connections.get(id)?.client;
  }

  close(): void {
    for (const [name, fn] of this.#subscriptions) unsubscribe(name, fn);
    this.#subscriptions.length = 0;
  }

  #on(name: string, fn: (message: unknown) => void): void {
    const guarded = (message: unknown): void => {
      try {
        fn(message);
      } catch (error) {
        // A logging bug must never break a session: the publisher would see the throw.
        this.#logger.error({ err: error, channel: name }, "observer failed");
      }
    };
    subscribe(name, guarded);
    this.#subscriptions.push([name, guarded]);
  }

  #connection(m: ConnectionMessage): void {
    switch (m.type) {
      case "open": {
        const client = m.remoteAddress.includes(":") ? `[${m.remoteAddress}]:${String(m.remotePort)}` : `${m.remoteAddress}:${String(m.remotePort)}`;
        this.#connections.set(m.id, { client });
        this.#metrics.connections.inc({ result: "accepted" });
        this.#metrics.activeConnections.inc();
        this.#logger.debug({ id: m.id, client, local: `${m.localAddress}:${String(m.localPort)}` }, "connection");
        break;
      }
      case "refused":
        this.#metrics.connections.inc({ result: m.reason });
        this.#logger.info({ id: m.id, client: m.remoteAddress, reason: m.reason }, "connection refused");
        break;
      case "close": {
        const open = this.#connections.get(m.id);
        if (open?.txStart !== undefined) this.#abandoned(m.id, open);
        if (this.#connections.delete(m.id)) this.#metrics.activeConnections.dec();
        this.#logger.debug({ id: m.id, client: open?.client, reason: m.reason, durationMs: m.durationMs, bytesRead: m.bytesRead, bytesWritten: m.bytesWritten }, "connection closed");
        break;
      }
    }
  }

  #transaction(m: TransactionMessage): void {
    const open = this.#connections.get(m.id);
    switch (m.type) {
      case "start":
        if (open !== undefined) open.txStart = { at: performance.now(), transfer: m.transfer };
        break;
      case "end":
      case "rejected": {
        const replies = m.type === "end" ? m.replies : [m.reply];
        const result = m.type === "rejected" ? (m.reply.code >= 500 ? "rejected" : "failed") : resultOf(replies);
        const started = open?.txStart;
        if (open !== undefined) delete open.txStart;
        const durationMs = started === undefined ? undefined : Math.round((performance.now() - started.at) * 1000) / 1000;
        const size = m.type === "end" ? m.bytes : undefined;
        this.#metrics.transactions.inc({ result });
        if (durationMs !== undefined) this.#metrics.transactionSeconds.observe(durationMs / 1000);
        if (result === "delivered" && size !== undefined) {
          this.#metrics.deliveredBytes.inc(size);
          this.#metrics.messageBytes.observe(size);
        }
        this.#logger.info(
          {
            id: m.id,
            client: open?.client,
            sender: m.envelope.from === null ? "<>" : m.envelope.from.raw,
            recipients: m.envelope.recipients.map((r) => r.address.raw),
            size,
            transfer: started?.transfer,
            result,
            reply: replies.map(replyText).join(" | "),
            durationMs,
          },
          "transaction",
        );
        break;
      }
      case "reset":
        if (open?.txStart !== undefined) this.#abandoned(m.id, open);
        break;
    }
  }

  #abandoned(id: string, open: Open): void {
    const started = open.txStart;
    delete open.txStart;
    this.#metrics.transactions.inc({ result: "abandoned" });
    const durationMs = started === undefined ? undefined : Math.round((performance.now() - started.at) * 1000) / 1000;
    this.#logger.info({ id, client: open.client, result: "abandoned", durationMs }, "transaction");
  }

  #tls(m: TlsMessage): void {
    if (m.type === "established") {
      this.#metrics.tlsHandshakes.inc({ kind: m.info.implicit ? "implicit" : "starttls", result: "established" });
      this.#logger.debug({ id: m.id, protocol: m.info.protocol, cipher: m.info.cipher, servername: m.info.servername }, "tls established");
    } else {
      this.#metrics.tlsHandshakes.inc({ kind: m.implicit ? "implicit" : "starttls", result: "failed" });
      this.#logger.warn({ id: m.id, client: this.clientOf(m.id), err: m.error }, "tls handshake failed");
    }
  }

  #error(m: ErrorMessage): void {
    this.#metrics.errors.inc({ where: m.where });
    this.#logger.error({ id: m.id, client: m.id === undefined ? undefined : this.clientOf(m.id), where: m.where, err: m.error }, "error");
  }
}
