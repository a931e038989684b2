/**
 * Observability through `node:diagnostics_channel`. The server publishes on these channels only
 * when someone subscribes (`channel.hasSubscribers`), so an unobserved server pays nothing.
 * The daemon turns them into logs and metrics; anyone can subscribe:
 *
 *     import { subscribe } from "node:diagnostics_channel";
 *     subscribe("lmail:server:connection", (msg) => console.log(msg));
 */
import { channel } from "node:diagnostics_channel";
import type { Reply } from "@lmail/codes";
import type { CloseReason, Envelope, TlsInfo } from "@lmail/session";

/** The channel names, stable across versions. */
export const channelNames = {
  connection: "lmail:server:connection",
  command: "lmail:server:command",
  reply: "lmail:server:reply",
  transaction: "lmail:server:transaction",
  tls: "lmail:server:tls",
  error: "lmail:server:error",
} as const;

/** `lmail:server:connection`: a connection opened, was refused before a session, or closed. */
export type ConnectionMessage =
  | {
      readonly type: "open";
      readonly id: string;
      readonly remoteAddress: string;
      readonly remotePort: number;
      readonly localAddress: string;
      readonly localPort: number;
      /** True when the addresses came from a PROXY protocol header. */
      readonly proxied: boolean;
    }
  | {
      readonly type: "refused";
      readonly id: string;
      readonly remoteAddress: string;
      /** Why: "max-connections", "max-connections-per-address", "proxy" (bad or missing PROXY header), "shutdown". */
      readonly reason: "max-connections" | "max-connections-per-address" | "proxy" | "shutdown";
    }
  | {
      readonly type: "close";
      readonly id: string;
      /** The session's reason, or "reset" when the peer vanished, "destroyed" when the server cut it. */
      readonly reason: CloseReason | "reset" | "destroyed";
      readonly durationMs: number;
      readonly bytesRead: number;
      readonly bytesWritten: number;
    };

/** `lmail:server:command`: a session event that reached the server (a decision or a notice), without message bytes. */
export interface CommandMessage {
  readonly id: string;
  /** The session event's type: "connect", "helo", "auth", "mail", "rcpt", "data-start", "data-end", "starttls", "reset", "close" … */
  readonly type: string;
  /** The event itself (for "auth", the password is replaced by "***"). */
  readonly event: unknown;
}

/** `lmail:server:reply`: bytes the server wrote, as text (one message per write, possibly several replies). */
export interface ReplyMessage {
  readonly id: string;
  readonly text: string;
}

/** `lmail:server:transaction`: a message was delivered (the data hook's reply), rejected by the session, or abandoned. */
export type TransactionMessage =
  | { readonly type: "start"; readonly id: string; readonly envelope: Envelope; readonly transfer: "DATA" | "BDAT" }
  | { readonly type: "end"; readonly id: string; readonly envelope: Envelope; readonly bytes: number; readonly replies: readonly (Reply | undefined)[] }
  | { readonly type: "rejected"; readonly id: string; readonly envelope: Envelope; readonly reply: Reply }
  | { readonly type: "reset"; readonly id: string };

/** `lmail:server:tls`: a TLS handshake completed or failed (STARTTLS or implicit). */
export type TlsMessage =
  | { readonly type: "established"; readonly id: string; readonly info: TlsInfo }
  | { readonly type: "failed"; readonly id: string; readonly implicit: boolean; readonly error: unknown };

/** `lmail:server:error`: an error the client never sees (a hook threw, a socket failed, a listener failed). */
export interface ErrorMessage {
  /** The connection, when the error belongs to one. */
  readonly id?: string;
  /** Where: a hook name ("mail", "data" …), "socket", "listener", "reverse-dns". */
  readonly where: string;
  readonly error: unknown;
}

export const connectionChannel = channel(channelNames.connection);
export const commandChannel = channel(channelNames.command);
export const replyChannel = channel(channelNames.reply);
export const transactionChannel = channel(channelNames.transaction);
export const tlsChannel = channel(channelNames.tls);
export const errorChannel = channel(channelNames.error);

export function publishError(message: ErrorMessage): void {
  if (errorChannel.hasSubscribers) errorChannel.publish(message);
}
