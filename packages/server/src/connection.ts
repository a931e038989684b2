/**
 * One client connection: where a socket meets a sans-I/O `SmtpSession`. Reads the socket and feeds
 * the session, pulls its events, awaits the handler's hooks, writes the replies, runs the clock the
 * session names (command, data block, decision) plus a write timeout, streams message bodies to the
 * data hook with backpressure, upgrades to TLS, and shuts down gracefully.
 *
 * The hot path costs no promise when hooks are absent or answer synchronously, and no allocation per
 * chunk beyond what the session does: a chunk moves a deadline number, never a timer.
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { Reply } from "@lmail/codes";
import { parseHeaderBlock } from "@lmail/parser";
import {
  NEED_DATA,
  PAUSED,
  SessionUsageError,
  SmtpSession,
  type CloseReason,
  type ConnectionInfo,
  type DataReply,
  type Envelope,
  type HeaderField,
  type HookContext,
  type IncomingMessage,
  type SessionEvent,
  type SessionInfo,
} from "@lmail/session";
import { describeTls, upgradeSocket, type TlsContextStore } from "@lmail/tls";
import { BodyAbortedError, BodyStream } from "./body-stream.js";
import {
  commandChannel,
  connectionChannel,
  publishError,
  replyChannel,
  tlsChannel,
  transactionChannel,
  type ConnectionMessage,
} from "./channels.js";
import { checkAnswer, isThenable, LOCAL_ERROR, replyForError } from "./hooks.js";
import type { Alarm, Clock } from "./clock.js";
import type { ResolvedOptions } from "./options.js";
import { formatReceived } from "./received-header.js";

/** Why a hook's `AbortSignal` fired. */
export class ConnectionAbortedError extends Error {
  readonly code = "ERR_LMAIL_CONNECTION_ABORTED";
  constructor(readonly reason: "disconnect" | "timeout" | "shutdown") {
    super(`the SMTP connection ended (${reason})`);
    this.name = "ConnectionAbortedError";
  }
}

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly options: ResolvedOptions;
  readonly tls: TlsContextStore | undefined;
  /** The server's one timer, shared by its connections. */
  readonly clock: Clock;
  /** The connection is gone: every socket closed and the close hook settled. */
  released(connection: Connection): void;
}

type HookName = "connect" | "helo" | "auth" | "mail" | "rcpt" | "data" | "reset";

type TimerKind = "none" | "command" | "data-block" | "decision" | "write" | "closing";

interface Transaction {
  readonly envelope: Envelope;
  /** Bytes of the header block gathered before the data hook starts, or undefined once it started (or without a data hook). */
  headerChunks: Uint8Array[] | undefined;
  headerBytes: number;
  /** Where the scan for the empty line stands: 0 inside a line, 1 at a line start, 2 after a CR at a line start. */
  headerScan: number;
  body: BodyStream | undefined;
  hook: "none" | "running" | "settled";
  result: DataReply | Reply;
  /** data-end arrived and waits for the hook. */
  ending: boolean;
  bytes: number;
}

const OWNER: unique symbol = Symbol("lmail.connection");
type OwnedSocket = Socket & { [OWNER]?: Connection };
function ownerOf(socket: Socket): Connection {
  return (socket as OwnedSocket)[OWNER]!;
}

/** The context handed to hooks: the session snapshot and the connection's signal, read when asked. */
class ConnectionContext implements HookContext {
  readonly #connection: Connection;
  constructor(connection: Connection) {
    this.#connection = connection;
  }
  get session(): SessionInfo {
    return this.#connection.info;
  }
  get signal(): AbortSignal {
    return this.#connection.signal;
  }
}

/** After the server's FIN, how long a client may keep its side open before the socket is destroyed: enough for a FIN to come back. */
const CLOSE_LINGER_MS = 2000;

const FROM_SOCKET: unique symbol = Symbol("lmail.connection-info-from-socket");

/** The `ConnectionInfo` holds nothing the socket does not (no PROXY addresses, TLS or host name): the server's only other keys. */
function isFromSocket(c: ConnectionInfo, id: string, socket: Socket): boolean {
  return (
    c.id === id &&
    c.remoteHostname === undefined &&
    c.tls === undefined &&
    c.remoteAddress === socket.remoteAddress &&
    c.remotePort === socket.remotePort &&
    c.localAddress === socket.localAddress &&
    c.localPort === socket.localPort
  );
}

const CONNECT_EVENT: SessionEvent = Object.freeze({ type: "connect" });

/**
 * The greeting of a server's sessions when no connect hook answers it (the same bytes for every
 * connection), found once per server by asking a session; undefined when a session would do
 * anything else first (then no session is parked).
 */
const greetings = new WeakMap<ResolvedOptions, Uint8Array | null>();
function greetingOf(options: ResolvedOptions, probe: () => SmtpSession): Uint8Array | undefined {
  let greeting = greetings.get(options);
  if (greeting === undefined) {
    const session = probe();
    const event = session.nextEvent();
    greeting = null;
    if (typeof event === "object" && event.type === "connect") {
      session.respond(undefined);
      const out = session.dataToSend();
      // A Buffer: a Uint8Array would be wrapped in a new one by every socket.write.
      if (out !== undefined && out.length > 0 && session.timeout === "command" && session.nextEvent() === NEED_DATA) greeting = Buffer.from(out);
    }
    greetings.set(options, greeting);
  }
  return greeting ?? undefined;
}

const encoder = new TextEncoder();
const replyDecoder = new TextDecoder();
const textOf = (bytes: Uint8Array): string => replyDecoder.decode(bytes);
/** Replies are made in pooled Buffers: cheaper than a small Uint8Array, and written without a wrapper. */
const allocUnsafe = (size: number): Uint8Array => Buffer.allocUnsafe(size);

export class Connection implements Alarm {
  readonly id: string;
  socket: Socket;
  /** The key the server counts this client under (per-address limit), once counted. */
  addressKey: string | undefined;
  #session: SmtpSession | undefined;
  readonly #host: ConnectionHost;
  readonly #options: ResolvedOptions;
  /** Made on first use: an AbortSignal costs about 1 KiB, and most connections never need one. */
  #abort: AbortController | undefined;
  /** Why the connection ended; the error object is made only if someone holds the signal (a stack trace per connection is costly). */
  #abortReason: "disconnect" | "timeout" | "shutdown" | undefined;
  #context: HookContext | undefined;
  /** Made on first use: a connection whose handler has no hooks it reaches never needs one. */
  get #ctx(): HookContext {
    return (this.#context ??= new ConnectionContext(this));
  }
  readonly #openedAt = Date.now();

  // Flow state
  #pumping = false;
  /** A hook (or the TLS upgrade) is outstanding: pull no event until it settles. */
  #waiting = false;
  #upgrading = false;
  /** The body queue is full: pull no event (and read nothing) until the data hook reads. */
  #bodyFull = false;
  #writeBlocked = false;
  /** The session said close: the socket is ending. */
  #closing = false;
  /** The socket closed; everything is over. */
  #finished = false;
  #readingPaused = false;
  #shutdownRequested = false;
  #tx: Transaction | undefined;
  #closeReason: CloseReason | "reset" | "destroyed" = "reset";

  // Clock: an alarm on the server's shared clock, chasing a deadline that chunks move cheaply.
  #kind: TimerKind = "none";
  #deadline = Infinity;
  /** When the clock wakes this connection (see {@link Alarm}); at or before the deadline. */
  alarmAt = Infinity;
  alarmSlot = -1;
  #progress = false;
  #bytesSinceTick = 0;

  constructor(id: string, socket: Socket, host: ConnectionHost) {
    this.id = id;
    this.socket = socket;
    this.#host = host;
    this.#options = host.options;
  }

  /** The session's snapshot (before the session starts: what the transport knows). */
  get info(): SessionInfo {
    const session = this.#session ?? this.#unpark();
    if (session !== undefined) return session.info;
    return {
      id: this.id,
      protocol: this.#options.protocol,
      remoteAddress: this.socket.remoteAddress ?? "",
      remotePort: this.socket.remotePort ?? 0,
      localAddress: this.socket.localAddress ?? "",
      localPort: this.socket.localPort ?? 0,
    };
  }

  /** Fires on disconnect, timeout or shutdown (reason: a {@link ConnectionAbortedError}). */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      if (this.#abortReason !== undefined) this.#abort.abort(new ConnectionAbortedError(this.#abortReason));
    }
    return this.#abort.signal;
  }

  #abortWith(reason: "disconnect" | "timeout" | "shutdown"): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    this.#abort?.abort(new ConnectionAbortedError(reason));
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** True while a transaction is in flight (between MAIL and the reply to its end of data). */
  get inTransaction(): boolean {
    return this.#tx !== undefined || (this.#session?.inTransaction ?? false);
  }

  /**
   * What the parked session is made from (see {@link start}): its `ConnectionInfo`, or
   * `FROM_SOCKET` when that is only the socket's addresses (read again from the socket, which
   * caches them); undefined when no session is parked.
   */
  #connection: ConnectionInfo | typeof FROM_SOCKET | undefined;
  #starttls = false;
  /** The session started: set when {@link start} runs, even while the session object is parked. */
  #started = false;

  #newSession(connection: ConnectionInfo, starttls: boolean): SmtpSession {
    const o = this.#options;
    const hasAuth = typeof o.handler.auth === "function";
    // Object.assign, not `{ ...settings, more }`: V8 takes a slow path for such a spread (µs per connection).
    return new SmtpSession(
      Object.assign({}, o.session, {
        hostname: o.hostname,
        connection,
        protocol: o.protocol,
        starttls,
        auth: hasAuth ? (o.session.auth ?? true) : false,
      }),
    );
  }

  /**
   * Make the parked session: a new one, past its connect decision (answered as it was when the
   * greeting went out: with the default greeting), its greeting taken and dropped (it was sent).
   */
  #unpark(): SmtpSession | undefined {
    const parked = this.#connection;
    if (parked === undefined) return undefined;
    this.#connection = undefined;
    const socket = this.socket;
    const connection: ConnectionInfo =
      parked === FROM_SOCKET
        ? { id: this.id, remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0, localAddress: socket.localAddress ?? "", localPort: socket.localPort ?? 0 }
        : parked;
    const session = this.#newSession(connection, this.#starttls);
    session.nextEvent(); // connect
    session.respond(undefined);
    session.dataToSend();
    this.#session = session;
    return session;
  }

  /**
   * Start the session on a socket that is ready for SMTP (PROXY header read, implicit TLS done).
   * `initial` holds bytes already read past a PROXY header.
   */
  start(connection: ConnectionInfo, starttls: boolean, initial: Uint8Array | undefined): void {
    this.#started = true;
    // Without a connect hook and with nothing read yet, the greeting is the same bytes for every
    // connection: send them, and park the session (make it only when the client sends something).
    // Most of an idle connection's memory was its session.
    const greeting = this.#options.handler.connect === undefined && (initial === undefined || initial.length === 0) ? greetingOf(this.#options, () => this.#newSession(connection, starttls)) : undefined;
    if (greeting !== undefined) {
      this.#connection = isFromSocket(connection, this.id, this.socket) ? FROM_SOCKET : connection;
      this.#starttls = starttls;
    } else this.#session = this.#newSession(connection, starttls);
    this.#attach(this.socket);
    if (connectionChannel.hasSubscribers) {
      connectionChannel.publish({
        type: "open",
        id: this.id,
        remoteAddress: connection.remoteAddress,
        remotePort: connection.remotePort,
        localAddress: connection.localAddress,
        localPort: connection.localPort,
        proxied: connection.remoteAddress !== this.socket.remoteAddress,
      } satisfies ConnectionMessage);
    }
    if (greeting !== undefined) {
      this.#greet(greeting);
      return;
    }
    const session = this.#session!;
    if (initial !== undefined && initial.length > 0) session.receiveData(initial);
    this.#pump();
  }

  /** Send the greeting for the parked session: what `#pump` would do for its connect event. */
  #greet(greeting: Uint8Array): void {
    if (commandChannel.hasSubscribers) commandChannel.publish({ id: this.id, type: "connect", event: CONNECT_EVENT });
    if (replyChannel.hasSubscribers) replyChannel.publish({ id: this.id, text: textOf(greeting) });
    this.#progress = true;
    if (!this.socket.destroyed && !this.socket.write(greeting)) this.#writeBlocked = true;
    this.#updateReading();
    this.#updateTimer();
  }

  #attached = false;

  #attach(socket: Socket): void {
    this.#attached = true;
    (socket as OwnedSocket)[OWNER] = this;
    socket.on("data", Connection.#onData);
    socket.on("end", Connection.#onEnd);
    socket.on("error", Connection.#onError);
    socket.on("close", Connection.#onClose);
    socket.on("drain", Connection.#onDrain);
  }

  #detach(socket: Socket): void {
    this.#attached = false;
    socket.off("data", Connection.#onData);
    socket.off("end", Connection.#onEnd);
    socket.off("error", Connection.#onError);
    socket.off("close", Connection.#onClose);
    socket.off("drain", Connection.#onDrain);
    socket.off("finish", Connection.#onFinish);
  }

  // ------------------------------------------------------------------------------------------
  // Socket events: one set of listener functions for every connection (no closures per
  // connection); `this` is the socket, which points back at its connection.

  static readonly #onData = function (this: Socket, chunk: Buffer): void {
    const c = ownerOf(this);
    const session = c.#session ?? c.#unpark();
    if (session === undefined || c.#closing || c.#upgrading) return;
    c.#bytesSinceTick += chunk.length;
    session.receiveData(chunk);
    c.#pump();
  };

  static readonly #onEnd = function (this: Socket): void {
    const c = ownerOf(this);
    const session = c.#session ?? c.#unpark();
    if (session === undefined || c.#closing || c.#upgrading) return;
    session.receiveEof();
    c.#pump();
  };

  static readonly #onError = function (this: Socket, error: Error & { code?: string }): void {
    // Resets and broken pipes are how clients leave; anything else is worth telling.
    if (!isPeerFault(error.code)) publishError({ id: ownerOf(this).id, where: "socket", error });
  };

  static readonly #onClose = function (this: Socket): void {
    ownerOf(this).#finish();
  };

  static readonly #onDrain = function (this: Socket): void {
    const c = ownerOf(this);
    if (!c.#writeBlocked) return;
    c.#writeBlocked = false;
    c.#pump();
  };

  static readonly #onFinish = function (this: Socket): void {
    const c = ownerOf(this);
    if (c.#finished) return;
    c.#setDeadline("closing", Date.now() + Math.min(CLOSE_LINGER_MS, c.#options.writeTimeoutMs));
  };

  // ------------------------------------------------------------------------------------------
  // The event loop

  #pump(): void {
    const session = this.#session;
    if (this.#pumping || this.#finished) return;
    if (session === undefined) {
      // Parked (nothing to pull): a drain may still have to resume reading.
      if (this.#connection !== undefined) {
        this.#updateReading();
        this.#updateTimer();
      }
      return;
    }
    this.#pumping = true;
    try {
      while (!this.#closing && !this.#waiting && !this.#bodyFull && !this.#writeBlocked && !this.#finished) {
        const event = session.nextEvent();
        if (event === NEED_DATA || event === PAUSED) break;
        this.#progress = true;
        this.#handle(event);
      }
    } catch (error) {
      // A session exception means this code misused it: never let it take the process down.
      publishError({ id: this.id, where: "session", error });
      this.destroy();
    } finally {
      this.#pumping = false;
    }
    if (this.#finished) return;
    if (!this.#upgrading) this.#flush();
    this.#updateReading();
    this.#updateTimer();
  }

  #handle(event: SessionEvent): void {
    const session = this.#session!;
    if (commandChannel.hasSubscribers && event.type !== "data-chunk") {
      commandChannel.publish({ id: this.id, type: event.type, event: redact(event) });
    }
    const h = this.#options.handler;
    // Each hook is called in place (no closure per event); `#decide` takes what it returned.
    let result: unknown;
    switch (event.type) {
      case "connect":
        if (h.connect === undefined) return session.respond(undefined);
        try {
          result = h.connect(this.#ctx);
        } catch (error) {
          result = replyForError(error, event.type, this.id);
        }
        return this.#decide(event.type, result);
      case "helo":
        if (h.helo === undefined) return session.respond(undefined);
        try {
          result = h.helo(event.name, this.#ctx);
        } catch (error) {
          result = replyForError(error, event.type, this.id);
        }
        return this.#decide(event.type, result);
      case "auth":
        if (h.auth === undefined) return session.respondAuth(false);
        try {
          result = h.auth(event.credentials, this.#ctx);
        } catch (error) {
          result = replyForError(error, event.type, this.id);
        }
        return this.#decide(event.type, result);
      case "mail":
        if (h.mail === undefined) return session.respond(undefined);
        try {
          result = h.mail(event.from, event.params, this.#ctx);
        } catch (error) {
          result = replyForError(error, event.type, this.id);
        }
        return this.#decide(event.type, result);
      case "rcpt":
        if (h.rcpt === undefined) return session.respond(undefined);
        try {
          result = h.rcpt(event.recipient, event.envelope, this.#ctx);
        } catch (error) {
          result = replyForError(error, event.type, this.id);
        }
        return this.#decide(event.type, result);
      case "data-start":
        this.#dataStart(event.envelope, event.transfer);
        return;
      case "data-chunk":
        this.#dataChunk(event.bytes);
        return;
      case "data-rejected":
        this.#dataRejected(event.envelope, event.reply);
        return;
      case "data-end":
        this.#dataEnd(event.envelope, event.bytes);
        return;
      case "reset":
        this.#reset();
        return;
      case "starttls":
        this.#startTls();
        return;
      case "close":
        this.#closeReason = event.reason;
        this.#close();
        return;
      default: {
        const never: never = event;
        throw new TypeError(`unknown session event ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Run a hook: answer at once when it answers synchronously, otherwise hold the event loop until
   * its promise settles. Errors become replies (`SmtpError`) or 451 4.3.0.
   */
  #decide(name: HookName, result: unknown): void {
    if (!isThenable(result)) {
      this.#answer(name, result);
      return;
    }
    this.#waiting = true;
    const settled = result.then(
      (value) => this.#settle(name, value),
      (error: unknown) => this.#settle(name, replyForError(error, name, this.id)),
    );
    this.#inflight = settled;
    void settled.then(() => {
      if (this.#inflight === settled) this.#inflight = undefined;
    });
  }

  /** The decision hook still running, if any: `reset` and `close` wait for it when the client leaves. */
  #inflight: PromiseLike<void> | undefined;

  /** Give the pending decision its answer: `respondAuth` for auth, nothing for reset, else `respond`. */
  #apply(name: HookName, value: unknown): void {
    const session = this.#session!;
    if (name === "auth") session.respondAuth(value as boolean | Reply);
    else if (name !== "reset") session.respond(value as Reply | undefined | readonly (Reply | undefined)[]);
  }

  /**
   * Hand a hook's answer to the session. An answer of the wrong shape, or one the session refuses
   * (an LMTP reply list of the wrong length), becomes 451 4.3.0 and is published as an error.
   */
  #answer(name: HookName, value: unknown): unknown {
    if (name === "reset") return undefined;
    const checked = checkAnswer(value, name, this.id);
    try {
      this.#apply(name, checked);
      return checked;
    } catch (error) {
      if (!(error instanceof SessionUsageError) || checked === LOCAL_ERROR) throw error;
      publishError({ id: this.id, where: name, error });
    }
    this.#apply(name, LOCAL_ERROR);
    return LOCAL_ERROR;
  }

  #settle(name: HookName, value: unknown): void {
    if (this.#finished || this.#closing) return;
    this.#waiting = false;
    this.#progress = true;
    try {
      this.#answer(name, value);
    } catch (error) {
      publishError({ id: this.id, where: "session", error });
      this.destroy();
      return;
    }
    this.#pump();
  }

  // ------------------------------------------------------------------------------------------
  // Message bodies

  #dataStart(envelope: Envelope, transfer: "DATA" | "BDAT"): void {
    const hasHook = this.#options.handler.data !== undefined;
    this.#tx = {
      envelope,
      headerChunks: hasHook ? [] : undefined,
      headerBytes: 0,
      headerScan: 1,
      body: undefined,
      hook: "none",
      result: undefined,
      ending: false,
      bytes: 0,
    };
    if (transactionChannel.hasSubscribers) transactionChannel.publish({ type: "start", id: this.id, envelope, transfer });
  }

  #dataChunk(bytes: Uint8Array): void {
    const tx = this.#tx;
    if (tx === undefined) return;
    tx.bytes += bytes.length;
    if (tx.headerChunks !== undefined) {
      tx.headerChunks.push(bytes);
      tx.headerBytes += bytes.length;
      const headers = this.#headersIfComplete(tx, false);
      if (headers !== undefined) this.#startDataHook(tx, headers);
      return;
    }
    const body = tx.body;
    if (body !== undefined && !body.abandoned && !body.push(bytes)) this.#bodyFull = true;
  }

  /** The parsed header block once it is complete (or over the limit, or the body ended): else undefined. */
  #headersIfComplete(tx: Transaction, ended: boolean): readonly HeaderField[] | undefined {
    const chunks = tx.headerChunks!;
    const max = this.#options.maxHeaderBlockBytes;
    const overLimit = tx.headerBytes >= max;
    // Scan only the newest bytes for the empty line; parse once, when it is there.
    const last = chunks[chunks.length - 1];
    let found = false;
    if (last !== undefined && !ended) {
      let state = tx.headerScan;
      for (let i = 0; i < last.length; i++) {
        const b = last[i];
        if (b === 0x0a) {
          if (state !== 0) {
            found = true;
            break;
          }
          state = 1;
        } else state = b === 0x0d && state === 1 ? 2 : 0;
      }
      tx.headerScan = state;
    }
    if (!found && !ended && !overLimit) return undefined;
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, tx.headerBytes);
    chunks.length = 0;
    chunks.push(all);
    const parsed = parseHeaderBlock(all.length > max ? all.subarray(0, max) : all);
    if (parsed.end !== undefined || ended) return parsed.fields;
    return [];
  }

  #startDataHook(tx: Transaction, headers: readonly HeaderField[]): void {
    const chunks = tx.headerChunks!;
    tx.headerChunks = undefined;
    const body = new BodyStream(this.#options.bodyHighWaterMarkBytes, (this.#wantMore ??= () => this.#wantMoreNow()));
    tx.body = body;
    const session = this.#session!;
    const info = session.info;
    if (this.#options.received) {
      body.push(encoder.encode(formatReceived({ session: info, envelope: tx.envelope, hostname: this.#options.hostname })));
    }
    for (const chunk of chunks) body.push(chunk);
    if (!body.wantsMore) this.#bodyFull = true;
    const message: IncomingMessage = { session: info, envelope: tx.envelope, headers, body };
    const handler = this.#options.handler;
    tx.hook = "running";
    let result: unknown;
    try {
      result = handler.data!(message, this.#ctx);
    } catch (error) {
      this.#dataHookSettled(tx, replyForError(error, "data", this.id));
      return;
    }
    if (!isThenable(result)) {
      this.#dataHookSettled(tx, result as DataReply);
      return;
    }
    result.then(
      (value) => this.#dataHookSettled(tx, value as DataReply),
      (error: unknown) => this.#dataHookSettled(tx, error instanceof BodyAbortedError ? undefined : replyForError(error, "data", this.id)),
    );
  }

  /** The data hook returned: drain the rest of the body for it, and answer the end of data if it came. */
  #dataHookSettled(tx: Transaction, result: DataReply | Reply): void {
    tx.hook = "settled";
    tx.result = result;
    tx.body?.abandon();
    if (this.#tx !== tx) {
      // The body was rejected or the transaction reset while the hook ran: it waited for this.
      if (this.#waiting && this.#pendingSettle === tx) {
        this.#pendingSettle = undefined;
        this.#waiting = false;
        if (!this.#pumping) this.#pump();
      }
      return;
    }
    if (this.#bodyFull) this.#bodyFull = false;
    if (tx.ending) {
      this.#waiting = false;
      this.#progress = true;
      try {
        this.#finishTransaction(tx);
      } catch (error) {
        publishError({ id: this.id, where: "session", error });
        this.destroy();
        return;
      }
    }
    if (!this.#pumping) this.#pump();
  }

  #pendingSettle: Transaction | undefined;

  /** Made with the first message body: an idle connection holds no closure for it. */
  #wantMore: (() => void) | undefined;

  #wantMoreNow(): void {
    if (!this.#bodyFull) return;
    this.#bodyFull = false;
    if (!this.#pumping) queueMicrotask(() => this.#pump());
  }

  #dataEnd(envelope: Envelope, bytes: number): void {
    const tx = this.#tx;
    const session = this.#session!;
    if (tx === undefined || this.#options.handler.data === undefined) {
      this.#tx = undefined;
      session.respond(undefined);
      this.#publishEnd(envelope, bytes, undefined);
      return;
    }
    tx.ending = true;
    if (tx.headerChunks !== undefined) this.#startDataHook(tx, this.#headersIfComplete(tx, true) ?? []);
    tx.body?.end();
    if (tx.hook === "settled") {
      this.#finishTransaction(tx);
      return;
    }
    this.#waiting = true;
  }

  #finishTransaction(tx: Transaction): void {
    this.#tx = undefined;
    const sent = this.#answer("data", tx.result);
    this.#publishEnd(tx.envelope, tx.bytes, sent as DataReply);
  }

  #publishEnd(envelope: Envelope, bytes: number, result: DataReply | Reply): void {
    if (!transactionChannel.hasSubscribers) return;
    const replies = (Array.isArray(result) ? result : [result]) as (Reply | undefined)[];
    transactionChannel.publish({ type: "end", id: this.id, envelope, bytes, replies });
  }

  #dataRejected(envelope: Envelope, rejection: Reply): void {
    const tx = this.#tx;
    this.#tx = undefined;
    this.#bodyFull = false;
    if (tx !== undefined) this.#abortBody(tx, new BodyAbortedError(`the message was refused: ${rejection.code} ${rejection.lines.join(" ")}`));
    if (transactionChannel.hasSubscribers) transactionChannel.publish({ type: "rejected", id: this.id, envelope, reply: rejection });
  }

  /** Make the body throw for its reader, and hold the event loop until its hook returns. */
  #abortBody(tx: Transaction, error: Error): void {
    tx.headerChunks = undefined;
    tx.body?.fail(error);
    if (tx.hook === "running" && !this.#finished) {
      this.#pendingSettle = tx;
      this.#waiting = true;
    }
  }

  #reset(): void {
    const tx = this.#tx;
    this.#tx = undefined;
    if (tx !== undefined) this.#abortBody(tx, new BodyAbortedError("the transaction was reset"));
    if (transactionChannel.hasSubscribers) transactionChannel.publish({ type: "reset", id: this.id });
    const h = this.#options.handler;
    if (h.reset === undefined) return;
    if (this.#waiting) {
      void this.#callQuietly("reset", () => h.reset!(this.#ctx));
      return;
    }
    let result: unknown;
    try {
      result = h.reset(this.#ctx);
    } catch (error) {
      result = replyForError(error, "reset", this.id);
    }
    this.#decide("reset", result);
  }

  /** Call a hook whose result nobody waits for; report its failure. */
  #callQuietly(name: string, run: () => unknown): Promise<void> {
    try {
      const result = run();
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          () => undefined,
          (error: unknown) => publishError({ id: this.id, where: name, error }),
        );
      }
    } catch (error) {
      publishError({ id: this.id, where: name, error });
    }
    return Promise.resolve();
  }

  // ------------------------------------------------------------------------------------------
  // STARTTLS

  #startTls(): void {
    const store = this.#host.tls;
    const session = this.#session!;
    const plain = this.socket;
    this.#upgrading = true;
    this.#waiting = true;
    // The 220 goes out on the plain socket; nothing more is read from it as SMTP.
    this.#detach(plain);
    plain.pause();
    this.#flush();
    if (store === undefined) {
      // The session offers STARTTLS only when the server said it can: this cannot happen.
      this.destroy();
      return;
    }
    // A reset during the handshake can reach only the plain socket: end the upgrade then, not at its timeout.
    const onPlainClose = (): void => this.destroy();
    plain.once("close", onPlainClose);
    // Node's TLS layer ignores an EOF or a reset during the handshake on a half-open socket (the
    // connection would linger until the handshake timeout): no half-open until the handshake is done.
    plain.allowHalfOpen = false;
    const timeout = this.#options.tlsHandshakeTimeoutMs;
    upgradeSocket(plain, store, { ...(timeout === undefined ? {} : { handshakeTimeoutMs: timeout }), signal: this.signal }).then(
      (secure: TLSSocket) => {
        plain.off("close", onPlainClose);
        if (this.#finished) {
          secure.destroy();
          return;
        }
        secure.allowHalfOpen = true;
        this.socket = secure;
        this.#attach(secure);
        const info = describeTls(secure, false);
        this.#upgrading = false;
        this.#waiting = false;
        this.#progress = true;
        session.tlsEstablished(info);
        if (tlsChannel.hasSubscribers) tlsChannel.publish({ type: "established", id: this.id, info });
        this.#pump();
      },
      (error: unknown) => {
        plain.off("close", onPlainClose);
        if (tlsChannel.hasSubscribers) tlsChannel.publish({ type: "failed", id: this.id, implicit: false, error });
        // upgradeSocket destroyed the socket; our listeners are off it, so finish here.
        this.#closeReason = "reset";
        this.#finish();
      },
    );
  }

  // ------------------------------------------------------------------------------------------
  // Output, reading, closing

  #flush(): void {
    const session = this.#session;
    if (session === undefined) return;
    const out = session.dataToSend(allocUnsafe);
    if (out === undefined || out.length === 0) return;
    if (replyChannel.hasSubscribers) replyChannel.publish({ id: this.id, text: textOf(out) });
    if (this.socket.destroyed) return;
    // A reply answers a whole command, also one the session answered alone (NOOP, RSET, a syntax
    // error): the wait for the next command starts now (RFC 5321 §4.5.3.2.7).
    this.#progress = true;
    if (!this.socket.write(out)) this.#writeBlocked = true;
  }

  #updateReading(): void {
    // While closing, reading goes on (and is discarded) so that the client's FIN is seen.
    const pause = this.#upgrading || this.#bodyFull || this.#writeBlocked;
    if (pause === this.#readingPaused) return;
    this.#readingPaused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  #close(): void {
    this.#closing = true;
    this.#flush();
    const tx = this.#tx;
    this.#tx = undefined;
    if (tx !== undefined) this.#abortBody(tx, new BodyAbortedError("the connection is closing"));
    // Once our last reply and FIN are out, a client that keeps its side open gets a short grace.
    this.socket.on("finish", Connection.#onFinish);
    this.socket.end();
  }



  /** Ask for a graceful close: 421 now when idle, after the transaction in flight otherwise. */
  shutdown(): void {
    if (this.#shutdownRequested || this.#finished) return;
    this.#shutdownRequested = true;
    const session = this.#session ?? this.#unpark();
    if (session === undefined) {
      this.destroy("shutdown");
      return;
    }
    // The session answers 421 4.3.2 now when idle, else when the transaction in flight ends.
    session.shutdown();
    this.#pump();
  }

  /** Cut the connection now (abort hooks, destroy the socket). */
  destroy(reason: "shutdown" | "timeout" | "disconnect" = "disconnect"): void {
    if (this.#finished) return;
    this.#abortWith(reason);
    this.#closeReason = "destroyed";
    this.socket.destroy();
    // When our listeners are not on the socket (before the session, during a TLS upgrade), it will not tell us.
    if (!this.#attached) this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearTimer();
    // A socket that has closed emits nothing more: its listeners go with it.
    if (!this.socket.closed) this.#detach(this.socket);
    if (!this.socket.destroyed) this.socket.destroy();
    this.#abortWith("disconnect");
    const tx = this.#tx;
    this.#tx = undefined;
    tx?.headerChunks?.splice(0);
    tx?.body?.fail(new BodyAbortedError("the connection closed before the end of the message"));
    const hooks: Promise<void>[] = [];
    const h = this.#options.handler;
    const wasInTransaction = tx !== undefined || (this.#session?.inTransaction ?? false);
    const started = this.#started;
    // A hook still running (its signal has just fired) finishes first, so that what it records
    // for this connection is forgotten by reset/close rather than left behind.
    const inflight = this.#inflight;
    const after = (run: () => Promise<void>): Promise<void> => (inflight === undefined ? run() : Promise.resolve(inflight).then(run));
    if (wasInTransaction && h.reset !== undefined && started) hooks.push(after(() => this.#callQuietly("reset", () => h.reset!(this.#ctx))));
    if (h.close !== undefined && started) hooks.push(after(() => this.#callQuietly("close", () => h.close!(this.#ctx))));
    if (connectionChannel.hasSubscribers) {
      connectionChannel.publish({
        type: "close",
        id: this.id,
        reason: this.#closeReason,
        durationMs: Date.now() - this.#openedAt,
        bytesRead: this.socket.bytesRead,
        bytesWritten: this.socket.bytesWritten,
      } satisfies ConnectionMessage);
    }
    if (hooks.length === 0) {
      this.#host.released(this);
      return;
    }
    // The hooks' signal has fired; one that still hangs is let go after hookTimeoutMs.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.hookTimeoutMs);
      timer.unref();
    });
    void Promise.race([Promise.all(hooks), bound]).then(() => {
      clearTimeout(timer);
      this.#host.released(this);
    });
  }

  // ------------------------------------------------------------------------------------------
  // The clock

  #timerKind(): TimerKind {
    if (this.#finished || this.#upgrading) return "none";
    if (this.#closing) return "closing";
    if (this.#writeBlocked) return "write";
    // A data hook that stops reading is a decision that does not come: bound it the same way.
    if (this.#waiting || this.#bodyFull) return "decision";
    const session = this.#session;
    // A parked session waits for a command.
    if (session === undefined) return this.#connection === undefined ? "none" : "command";
    return session.timeout;
  }

  #updateTimer(): void {
    const kind = this.#timerKind();
    const now = Date.now();
    const o = this.#options;
    if (kind !== this.#kind) {
      this.#setDeadline(kind, now + this.#durationOf(kind));
    } else if (kind === "command" && this.#progress) {
      this.#setDeadline(kind, now + o.commandTimeoutMs);
    } else if (kind === "data-block" && this.#bytesSinceTick > 0) {
      const limit = now + o.dataBlockTimeoutMs;
      const rate = o.minDataRateBytesPerSecond;
      this.#setDeadline(kind, rate === 0 ? limit : Math.min(limit, this.#deadline + (this.#bytesSinceTick * 1000) / rate));
    }
    this.#progress = false;
    this.#bytesSinceTick = 0;
  }

  #durationOf(kind: TimerKind): number {
    const o = this.#options;
    switch (kind) {
      case "none":
        return Infinity;
      case "command":
        return o.commandTimeoutMs;
      case "data-block":
        return o.dataBlockTimeoutMs;
      case "decision":
        return o.hookTimeoutMs;
      case "write":
      case "closing":
        return o.writeTimeoutMs;
      default: {
        const never: never = kind;
        return never;
      }
    }
  }

  #setDeadline(kind: TimerKind, at: number): void {
    this.#kind = kind;
    this.#deadline = at;
    // A later deadline leaves the alarm where it is: when it rings early, it is set again.
    if (at === Infinity || at >= this.alarmAt) return;
    this.#host.clock.set(this, at);
  }

  #clearTimer(): void {
    this.#host.clock.cancel(this);
    this.#deadline = Infinity;
  }

  /** The clock's call ({@link Alarm}): the deadline has come, or moved later since the alarm was set. */
  ring(now: number): void {
    if (this.#finished || this.#deadline === Infinity) return;
    if (now < this.#deadline) {
      this.#host.clock.set(this, this.#deadline);
      return;
    }
    this.#expire();
  }

  #expire(): void {
    const kind = this.#kind;
    this.#deadline = Infinity;
    this.#kind = "none";
    if (kind === "write" || kind === "closing") {
      this.destroy("timeout");
      return;
    }
    // A parked session is made to say its 421.
    const session = this.#session ?? this.#unpark();
    if (session === undefined) {
      this.destroy("timeout");
      return;
    }
    // command, data-block, decision: the session says 421 4.4.2 and closes.
    if (kind === "decision") this.#abortWith("timeout");
    this.#waiting = false;
    this.#bodyFull = false;
    this.#pendingSettle = undefined;
    const tx = this.#tx;
    this.#tx = undefined;
    tx?.body?.fail(new BodyAbortedError("timed out"));
    try {
      session.timedOut();
    } catch (error) {
      publishError({ id: this.id, where: "session", error });
      this.destroy("timeout");
      return;
    }
    this.#pump();
  }
}

function redact(event: SessionEvent): unknown {
  if (event.type !== "auth") return event;
  return { ...event, credentials: { ...event.credentials, password: "***" } };
}

/**
 * Socket errors a client causes at will (a reset, a broken pipe, a refused renegotiation, a bad
 * TLS record): how clients leave or misbehave, not faults of the server, so they are not
 * published on the error channel (a daemon logging errors would otherwise log at the peer's whim).
 */
function isPeerFault(code: string | undefined): boolean {
  return (
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    code === "ERR_TLS_RENEGOTIATION_DISABLED" ||
    (code !== undefined && code.startsWith("ERR_SSL_"))
  );
}

