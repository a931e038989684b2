/**
 * The public types of @lmail/session: the envelope, the events of the sans-I/O state machine, and
 * the handler hooks that @lmail/server, @lmail/mux and @lmail/maildir share. This file is a
 * contract between packages: change it only compatibly, and say so in a changeset.
 */
import type { Reply } from "@lmail/codes";
import type { Address, BodyType, MailParameters, PostmasterAddress, RcptParameters } from "@lmail/parser";

export type Protocol = "smtp" | "lmtp";
export type Awaitable<T> = T | Promise<T>;

// ---------------------------------------------------------------------------------------------
// What is known about a connection and a session

/** TLS state of a connection, once a handshake completed. */
export interface TlsInfo {
  /** Negotiated protocol, e.g. "TLSv1.3". */
  readonly protocol: string;
  /** Negotiated cipher suite name. */
  readonly cipher: string;
  /** The SNI name the client asked for, if any. */
  readonly servername?: string;
  /** True for implicit TLS (RFC 8314), false after STARTTLS. */
  readonly implicit: boolean;
  /** The client certificate, when one was presented. */
  readonly peerCertificate?: { readonly subject: string; readonly fingerprint256: string; readonly authorized: boolean };
}

/** What the transport knows about a connection when it creates the session. */
export interface ConnectionInfo {
  /** Unique id for logs and trace headers. */
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Reverse-DNS name of the client, when the transport looked it up. */
  readonly remoteHostname?: string;
  /** Set when the connection is TLS from its first byte (implicit TLS). */
  readonly tls?: TlsInfo;
}

/** A snapshot of the session's state, handed to every hook. */
export interface SessionInfo extends ConnectionInfo {
  readonly protocol: Protocol;
  /** The name the client gave in HELO/EHLO/LHLO. */
  readonly heloName?: string;
  readonly heloVerb?: "HELO" | "EHLO" | "LHLO";
  /** The identity that authenticated with AUTH, if any. */
  readonly user?: string;
}

// ---------------------------------------------------------------------------------------------
// The transaction

export interface Recipient {
  readonly address: Address | PostmasterAddress;
  readonly params: RcptParameters;
}

/** The envelope of the transaction in progress. Frozen snapshots. */
export interface Envelope {
  /** The reverse-path; null for the null path `<>`. */
  readonly from: Address | null;
  readonly mailParams: MailParameters;
  /** Accepted recipients, in the order they were accepted. */
  readonly recipients: readonly Recipient[];
  /** BODY= from MAIL, "7BIT" when absent. */
  readonly bodyType: BodyType;
  /** MAIL carried SMTPUTF8. */
  readonly smtputf8: boolean;
}

export interface AuthCredentials {
  readonly mechanism: "PLAIN" | "LOGIN";
  /** The authentication identity (authcid). */
  readonly username: string;
  readonly password: string;
  /** PLAIN's authorization identity (authzid), when given and different from empty. */
  readonly authorizationId?: string;
}

// ---------------------------------------------------------------------------------------------
// Handlers: what applications implement (server, mux, maildir share these)

export interface HookContext {
  readonly session: SessionInfo;
  /** Fires on disconnect, timeout or server shutdown: stop work and return. */
  readonly signal: AbortSignal;
}

/** A hook's answer: a reply to send instead of the default, or nothing for the default positive reply. */
export type HookReply = Reply | undefined | void;

/** One parsed header field of the message's header block (RFC 5322 §2.2), unfolded. */
export interface HeaderField {
  /** The field name as given (compare case-insensitively). */
  readonly name: string;
  /** The unfolded value, leading white space removed. */
  readonly value: string;
}

/** What the data hook receives: the seed's `Mail`, done better. */
export interface IncomingMessage {
  readonly session: SessionInfo;
  readonly envelope: Envelope;
  /**
   * The parsed header block of the message as the client sent it (not including the server's own
   * Received: field). Empty when the message has no header block or it exceeds the server's limit.
   */
  readonly headers: readonly HeaderField[];
  /**
   * The message bytes, dot-unstuffing undone, with the server's Received: trace field first when
   * enabled. A pull stream: bytes are read from the socket as the handler reads them. Read it once.
   * A handler that returns without reading it all has the rest drained for it.
   */
  readonly body: AsyncIterable<Uint8Array>;
}

/**
 * The data hook's answer: one reply for the whole message, or one per recipient in envelope order
 * (LMTP sends each; SMTP, all-or-nothing, sends one, see `collapseReplies`).
 */
export type DataReply = HookReply | readonly HookReply[];

/**
 * An lmail handler: an object of optional hooks. A hook returns a reply or nothing (the default
 * positive reply). Rejection is a returned 4xx/5xx reply; a thrown `SmtpError` sends its reply;
 * any other throw becomes 451 4.3.0, is logged, and is never shown to the client.
 */
export interface Handler {
  /** A client connected. Return 554 (or 421) to refuse it (RFC 5321 §3.1). */
  connect?(ctx: HookContext): Awaitable<HookReply>;
  /** HELO / EHLO / LHLO. */
  helo?(name: string, ctx: HookContext): Awaitable<HookReply>;
  /**
   * Check credentials (AUTH PLAIN / LOGIN). `true` accepts (235), `false` refuses (535 5.7.8), a
   * reply is sent as is. Without this hook, AUTH is not offered.
   */
  auth?(credentials: AuthCredentials, ctx: HookContext): Awaitable<boolean | Reply>;
  /** MAIL FROM. */
  mail?(from: Address | null, params: MailParameters, ctx: HookContext): Awaitable<HookReply>;
  /** RCPT TO: decide here, not after DATA (an unknown recipient gets 550 5.1.1 now). */
  rcpt?(recipient: Recipient, envelope: Envelope, ctx: HookContext): Awaitable<HookReply>;
  /** The message. Called when the body begins; the body streams in as it is read. */
  data?(message: IncomingMessage, ctx: HookContext): Awaitable<DataReply>;
  /** The transaction was abandoned (RSET, a new EHLO, STARTTLS, a failed body, disconnect). */
  reset?(ctx: HookContext): Awaitable<void>;
  /** The connection closed. */
  close?(ctx: HookContext): Awaitable<void>;
}

// ---------------------------------------------------------------------------------------------
// The sans-I/O session: events out, decisions in

/** RFC 5321 §4.5.3.2 timeouts, by name: the session says which applies, the transport runs the clock. */
export type TimeoutName =
  /** Waiting for a command (also for the first one after the greeting): 5 minutes. */
  | "command"
  /** Waiting for the next block of DATA or BDAT bytes: 3 minutes. */
  | "data-block"
  /** A decision is pending (a hook is running): the transport bounds the hook, not the client. */
  | "decision";

/** Returned by `nextEvent()` when more bytes are needed before anything can happen. */
export const NEED_DATA: unique symbol = Symbol("NEED_DATA");
/** Returned by `nextEvent()` while a decision is pending: call `respond()` first. */
export const PAUSED: unique symbol = Symbol("PAUSED");

/** Events that wait for a decision: `respond()` must be called before anything else happens. */
export type DecisionEvent =
  | { readonly type: "connect" }
  | { readonly type: "helo"; readonly verb: "HELO" | "EHLO" | "LHLO"; readonly name: string }
  | { readonly type: "auth"; readonly credentials: AuthCredentials }
  | { readonly type: "mail"; readonly from: Address | null; readonly params: MailParameters }
  | { readonly type: "rcpt"; readonly recipient: Recipient; readonly envelope: Envelope }
  /** The body ended well: respond with the data hook's reply (or one per recipient). */
  | { readonly type: "data-end"; readonly envelope: Envelope; readonly bytes: number };

/** Events that need no decision. */
export type NoticeEvent =
  /** STARTTLS was accepted: send `dataToSend()` (the 220), then upgrade and call `tlsEstablished()` (or `tlsFailed()`). */
  | { readonly type: "starttls" }
  /** A message body begins (after 354, or with the first BDAT chunk). */
  | { readonly type: "data-start"; readonly envelope: Envelope; readonly transfer: "DATA" | "BDAT" }
  /** Decoded message bytes, in order. */
  | { readonly type: "data-chunk"; readonly bytes: Uint8Array }
  /** The body was refused by the session itself (too big, bare line ending, …): the reply is already queued; never deliver it. */
  | { readonly type: "data-rejected"; readonly envelope: Envelope; readonly reply: Reply }
  /** The transaction was discarded (RSET, EHLO, STARTTLS, end of a failed body …). */
  | { readonly type: "reset" }
  /** Send what `dataToSend()` holds, then close the connection. */
  | { readonly type: "close"; readonly reason: CloseReason };

export type CloseReason = "quit" | "eof" | "refused" | "too-many-errors" | "cross-protocol" | "input-overflow" | "early-talker" | "shutdown" | "timeout";

export type SessionEvent = DecisionEvent | NoticeEvent;
