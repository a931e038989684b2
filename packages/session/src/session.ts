/**
 * The SMTP/LMTP session as a sans-I/O state machine (the h11 model): bytes in with
 * `receiveData()`, events out with `nextEvent()`, decisions in with `respond()`, bytes out with
 * `dataToSend()`. No socket, no clock, no Node API. Every state change goes through the table in
 * `transitions.ts`.
 */
import { encodeReply, isPositive, reply, type Reply } from "@lmail/codes";
import {
  BdatReader,
  DataDecoder,
  LineFramer,
  decodeSaslLogin,
  decodeSaslPlain,
  parseCommand,
  type Address,
  type Command,
  type FramedLine,
  type MailParameters,
} from "@lmail/parser";
import { collapseReplies } from "./collapse-replies.js";
import { authOffered, ehloReply, parameterOptions, type EhloState } from "./ehlo.js";
import { resolveOptions, type ExtensionOptions, type ResolvedOptions, type SessionLimits, type SessionOptions } from "./options.js";
import { Replies, badSequence, closing, withEnhanced } from "./replies.js";
import { stepFor, target, transactionStates, type Action, type Input, type Outcome, type State, type Step } from "./transitions.js";
import {
  NEED_DATA,
  PAUSED,
  type AuthCredentials,
  type CloseReason,
  type ConnectionInfo,
  type DecisionEvent,
  type Envelope,
  type Recipient,
  type SessionEvent,
  type SessionInfo,
  type TimeoutName,
  type TlsInfo,
} from "./types.js";

type RunStep = Extract<Step, { run: Action }>;

/** A decision the session waits for: which event asked, and the step whose outcome it decides. */
interface Pending {
  readonly event: DecisionEvent;
  readonly step: RunStep;
}

/** A BDAT chunk being read. `discard`: read and thrown away, then answered with `refusal`. */
interface Chunk {
  readonly reader: BdatReader | undefined;
  readonly size: number;
  readonly last: boolean;
  readonly refusal: Reply | undefined;
}

/** The AUTH exchange in progress. */
interface Sasl {
  readonly mechanism: "PLAIN" | "LOGIN";
  readonly username?: string;
}

const utf8 = new TextDecoder();
const encodedPlain = new WeakMap<Reply, Uint8Array>();
const encodedWithEnhanced = new WeakMap<Reply, Uint8Array>();
const ascii = new TextEncoder();

/**
 * Replies whose text is made from the options alone (greeting, HELO, QUIT), built once per
 * hostname so that the byte caches above hit for them too: a new connection per message otherwise
 * formats and encodes each of them again. Keyed by the hostname string itself (no key to build and
 * hash per connection). Bounded: a process serves a handful of hostnames.
 */
interface HostReplies {
  readonly greetingText: string;
  readonly greeting: Reply;
  readonly helo: Reply;
  readonly quit: Reply;
}
const hostReplies = new Map<string, HostReplies>();
function repliesFor(hostname: string, greetingText: string): HostReplies {
  let h = hostReplies.get(hostname);
  if (h === undefined || h.greetingText !== greetingText) {
    h = {
      greetingText,
      greeting: reply(220, undefined, `${hostname} ${greetingText}`),
      helo: reply(250, undefined, hostname),
      quit: reply(221, "2.0.0", `${hostname} closing connection`),
    };
    if (hostReplies.size >= 64) hostReplies.clear();
    hostReplies.set(hostname, h);
  }
  return h;
}

/**
 * The limits and extensions of the last session, frozen: a later session whose values are equal
 * shares them instead of holding its own copies (about 200 B per connection; a server resolves the
 * same settings for every connection). Compared by value, so a caller that changes its options
 * between sessions gets what it asked for.
 */
let sharedLimits: Required<SessionLimits> | undefined;
let sharedExtensions: Required<ExtensionOptions> | undefined;

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Same own keys with the same values (no allocation: this runs once per connection). */
function sameValues(a: object, b: object): boolean {
  for (const k in a) if (!own(b, k) || (a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
  for (const k in b) if (!own(a, k)) return false;
  return true;
}

function shareSettings(o: ResolvedOptions): ResolvedOptions {
  const m = o as { limits: Required<SessionLimits>; extensions: Required<ExtensionOptions> };
  if (sharedLimits !== undefined && sameValues(m.limits, sharedLimits)) m.limits = sharedLimits;
  else sharedLimits = Object.freeze(m.limits);
  if (sharedExtensions !== undefined && sameValues(m.extensions, sharedExtensions)) m.extensions = sharedExtensions;
  else sharedExtensions = Object.freeze(m.extensions);
  return o;
}

/** Thrown when the caller misuses the API (never for anything a peer does). */
export class SessionUsageError extends Error {
  readonly code = "ERR_LMAIL_SESSION_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "SessionUsageError";
  }
}

export class SmtpSession {
  readonly #o: ResolvedOptions;
  #state: State = "greeting";
  #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #framer: LineFramer;
  #events: SessionEvent[] = [];
  #pending: Pending | undefined;
  #out: Uint8Array[] = [];
  #eof = false;
  #closed = false;
  #shuttingDown = false;
  #earlyBytes = false;

  #tls: TlsInfo | undefined;
  #helo: { readonly verb: "HELO" | "EHLO" | "LHLO"; readonly name: string } | undefined;
  #user: string | undefined;
  #info: SessionInfo | undefined;

  #from: Address | null = null;
  #mailParams: MailParameters = { raw: [] };
  #recipients: Recipient[] = [];
  #rcptAttempted = false;
  #envelope: Envelope | undefined;

  #decoder: DataDecoder | undefined;
  #chunk: Chunk | undefined;
  #bdatBytes = 0;
  #bdatTooBig = false;
  #sasl: Sasl | undefined;

  #errors = 0;
  #unknown = 0;
  #junk = 0;
  #authFailures = 0;

  constructor(options: SessionOptions) {
    this.#o = shareSettings(resolveOptions(options));
    this.#tls = options.connection.tls;
    this.#framer = this.#newFramer();
    this.#decide({ type: "connect" }, "connect");
  }

  // -------------------------------------------------------------------------------------------
  // Public API

  /** Bytes from the client. The session keeps a reference to `chunk`: do not reuse its memory. */
  receiveData(chunk: Uint8Array): void {
    if (this.#closed || this.#eof) return;
    // RFC 3207 §4.2 (CVE-2011-0411): what the client sent after STARTTLS in clear text is dropped.
    if (this.#state === "tls") return;
    if (chunk.length === 0) return;
    if (this.#state === "greeting") this.#earlyBytes = true;
    this.#inbox.push(chunk);
    this.#inboxBytes += chunk.length;
    const limit = this.#o.limits.maxPendingInputBytes;
    if (this.#pending !== undefined && limit > 0 && this.bufferedBytes > limit) {
      this.#abort("input-overflow", closing(this.#o.hostname, "input"));
    }
  }

  /** The client closed its side: what is buffered is still processed, then a close event follows. */
  receiveEof(): void {
    this.#eof = true;
  }

  /** The next event, `NEED_DATA` when bytes are needed, or `PAUSED` while a decision is pending. */
  nextEvent(): SessionEvent | typeof NEED_DATA | typeof PAUSED {
    for (;;) {
      const event = this.#events.shift();
      if (event !== undefined) return event;
      if (this.#pending !== undefined) return PAUSED;
      if (this.#state === "closed") return NEED_DATA;
      if (!this.#advance()) {
        if (this.#eof) {
          this.#abort("eof");
          continue;
        }
        return NEED_DATA;
      }
    }
  }

  /**
   * Answer the pending decision (any but `auth`): `undefined` is the default positive reply. An
   * array only for `data-end`, one reply per recipient in envelope order (LMTP sends each; SMTP
   * sends {@link collapseReplies} of them). After the session closed, this does nothing.
   */
  respond(answer?: Reply | readonly (Reply | undefined)[]): void {
    if (this.#closed) return;
    const event = this.#peekPending().event;
    if (event.type === "auth") throw new SessionUsageError("an auth decision is answered with respondAuth()");
    if (isReplyList(answer)) {
      if (event.type !== "data-end") throw new SessionUsageError(`a ${event.type} decision takes one reply, not a list`);
      const n = event.envelope.recipients.length;
      if (this.#o.protocol === "lmtp" && answer.length !== n) {
        throw new SessionUsageError(`LMTP needs ${String(n)} replies (one per recipient), got ${String(answer.length)}`);
      }
    }
    const step = this.#takePending().step;
    switch (event.type) {
      case "connect":
        this.#answerConnect(step, answer as Reply | undefined);
        return;
      case "helo":
        this.#answerHelo(step, event.verb, event.name, answer as Reply | undefined);
        break;
      case "mail":
        this.#answerMail(step, event.from, event.params, answer as Reply | undefined);
        break;
      case "rcpt":
        this.#answerRcpt(step, event.recipient, answer as Reply | undefined);
        break;
      case "data-end":
        this.#answerDataEnd(step, answer);
        break;
    }
    this.#closeOn421(answer);
  }

  /** Answer a pending `auth` decision: true → 235 2.7.0, false → 535 5.7.8, a reply as is. */
  respondAuth(result: boolean | Reply): void {
    if (this.#closed) return;
    const peek = this.#peekPending();
    if (peek.event.type !== "auth") throw new SessionUsageError(`a ${peek.event.type} decision is answered with respond()`);
    const p = this.#takePending() as Pending & { event: { type: "auth" } };
    const ok = result === true || (typeof result === "object" && isPositive(result));
    if (ok) {
      this.#user = p.event.credentials.username;
      this.#info = undefined;
      this.#send(typeof result === "object" ? result : Replies.authOk);
      this.#go(p.step, "ok");
      return;
    }
    this.#send(typeof result === "object" ? result : Replies.authFailed);
    this.#go(p.step, "fail");
    this.#closeOn421(typeof result === "object" ? result : undefined);
    this.#authFailures++;
    if (over(this.#authFailures, this.#o.limits.maxAuthFailures)) {
      this.#abort("too-many-errors", closing(this.#o.hostname, "auth"));
    }
  }

  /**
   * Queued reply bytes, all at once; `undefined` when none. The result is always a fresh array
   * that the caller owns, made by `allocate` (default `new Uint8Array(size)`): it must return an
   * array of exactly `size` octets, every one of which is then written. A Node server passes
   * `Buffer.allocUnsafe`: a pooled Buffer costs less to make than a small `Uint8Array`, and a
   * socket writes it as it is (a plain `Uint8Array` is wrapped in a new Buffer by every write).
   */
  dataToSend(allocate?: (size: number) => Uint8Array): Uint8Array | undefined {
    if (this.#out.length === 0) return undefined;
    const parts = this.#out;
    this.#out = [];
    // Always a fresh array (encoded replies are cached and shared): the caller owns what it gets.
    let size = 0;
    for (const p of parts) size += p.length;
    const all = allocate === undefined ? new Uint8Array(size) : allocate(size);
    if (all.length !== size) throw new SessionUsageError(`dataToSend: allocate(${String(size)}) returned ${String(all.length)} octets`);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  }

  /** The STARTTLS handshake completed: forget HELO, the transaction and any AUTH (RFC 3207 §4.2). */
  tlsEstablished(info: TlsInfo): void {
    if (this.#closed) return;
    if (this.#state !== "tls") throw new SessionUsageError("tlsEstablished() without an accepted STARTTLS");
    this.#tls = info;
    this.#helo = undefined;
    this.#user = undefined;
    this.#info = undefined;
    this.#framer = this.#newFramer();
    this.#clearInbox();
    this.#input("tls-established");
  }

  /** The STARTTLS handshake failed: the session closes (nothing can be sent in clear any more). */
  tlsFailed(): void {
    if (this.#closed) return;
    if (this.#state !== "tls") throw new SessionUsageError("tlsFailed() without an accepted STARTTLS");
    this.#input("tls-failed");
  }

  /** The transport's clock ran out (see {@link timeout}): 421 4.4.2 and a close event. */
  timedOut(): void {
    this.#abort("timeout", closing(this.#o.hostname, "timeout"));
  }

  /**
   * The server is shutting down: 421 4.3.2 and a close event now when no transaction is open and
   * no decision pending, else as soon as the transaction in flight ends. Call `nextEvent()` after.
   */
  shutdown(): void {
    if (this.#closed) return;
    this.#shuttingDown = true;
    if (this.#pending === undefined && this.#isCommandState() && !this.inTransaction) this.#shutdownNow();
  }

  /** A snapshot for hooks, rebuilt only when it changes. */
  get info(): SessionInfo {
    if (this.#info === undefined) {
      const c = this.#o.connection;
      // Object.assign, not an object spread: V8 (Node 20) takes a slow path for `{ ...c, more }`,
      // several µs per snapshot, and a new connection per message builds one per message.
      const i: Record<string, unknown> = Object.assign<Record<string, unknown>, ConnectionInfo>({}, c);
      i["protocol"] = this.#o.protocol;
      if (this.#tls !== undefined) i["tls"] = this.#tls;
      if (this.#helo !== undefined) {
        i["heloName"] = this.#helo.name;
        i["heloVerb"] = this.#helo.verb;
      }
      if (this.#user !== undefined) i["user"] = this.#user;
      this.#info = Object.freeze(i) as unknown as SessionInfo;
    }
    return this.#info;
  }

  /** Which RFC 5321 §4.5.3.2 timeout applies now. */
  get timeout(): TimeoutName {
    if (this.#pending !== undefined) return "decision";
    if (this.#state === "data" || this.#chunk !== undefined) return "data-block";
    return "command";
  }

  /** Input octets held by the session; a transport stops reading past its own limit. */
  get bufferedBytes(): number {
    return this.#inboxBytes + this.#framer.bufferedBytes;
  }

  /** A MAIL transaction is open (MAIL accepted, not yet finished or reset). */
  get inTransaction(): boolean {
    return transactionStates.has(this.#state);
  }

  /** The session decided to close: a close event is queued or was emitted; input is ignored. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The current state (for logs and tests). */
  get state(): State {
    return this.#state;
  }

  /** The envelope of the open transaction, if any. */
  get envelope(): Envelope | undefined {
    return this.inTransaction ? this.#snapshot() : undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Processing input

  /** Process input until an event is queued or a decision is pending; false when more bytes are needed. */
  #advance(): boolean {
    switch (this.#state) {
      case "tls":
      case "greeting":
      case "closed":
        return false;
      case "data":
        return this.#readBody();
      case "sasl":
        return this.#readSasl();
      case "initial":
      case "ready":
      case "mail":
      case "rcpt":
      case "bdat":
      case "bdat-failed":
        if (this.#chunk !== undefined) return this.#readChunk();
        return this.#readCommand();
    }
  }

  #readCommand(): boolean {
    if (this.#shuttingDown && !this.inTransaction) {
      this.#shutdownNow();
      return true;
    }
    const f = this.#line();
    if (f === undefined) return false;
    this.#command(f);
    return true;
  }

  #line(): FramedLine | undefined {
    for (;;) {
      const f = this.#framer.next();
      if (f !== undefined) return f;
      const c = this.#inbox.shift();
      if (c === undefined) return undefined;
      this.#inboxBytes -= c.length;
      this.#framer.push(c);
    }
  }

  /** Move what the framer holds back to the front of the inbox (the start of a body or chunk). */
  #unframe(): void {
    const rest = this.#framer.takeBuffered();
    if (rest.length > 0) {
      this.#inbox.unshift(rest);
      this.#inboxBytes += rest.length;
    }
  }

  #take(): Uint8Array | undefined {
    const c = this.#inbox.shift();
    if (c !== undefined) this.#inboxBytes -= c.length;
    return c;
  }

  #putBack(c: Uint8Array, consumed: number): void {
    if (consumed < c.length) {
      const rest = c.subarray(consumed);
      this.#inbox.unshift(rest);
      this.#inboxBytes += rest.length;
    }
  }

  #clearInbox(): void {
    this.#inbox = [];
    this.#inboxBytes = 0;
  }

  #command(f: FramedLine): void {
    if (f.kind !== "line") {
      this.#reject(f.reply);
      return;
    }
    const parsed = parseCommand(f.line, {
      parameters: parameterOptions(this.#o, this.#ehloState(), this.#extended()),
      utf8Addresses: this.#mailParams.smtputf8 === true && this.inTransaction,
    });
    if (!parsed.ok && parsed.crossProtocol === true) {
      this.#abort("cross-protocol", parsed.reply);
      return;
    }
    const verb = parsed.ok ? parsed.command.verb : parsed.verb;
    const lmtp = this.#o.protocol === "lmtp";
    if ((verb === "LHLO" && !lmtp) || ((verb === "HELO" || verb === "EHLO") && lmtp) || verb === undefined) {
      this.#unknownCommand(verb === undefined && !parsed.ok ? parsed.reply : Replies.protocolMismatch);
      return;
    }
    if (
      (verb === "BDAT" && !this.#o.extensions.chunking) ||
      (verb === "STARTTLS" && !this.#o.starttls) ||
      (verb === "AUTH" && this.#o.auth === false)
    ) {
      this.#reject(Replies.notImplemented);
      return;
    }
    if (!parsed.ok) {
      this.#reject(parsed.reply);
      return;
    }
    const cmd = parsed.command;
    this.#input(cmd.verb, cmd);
  }

  /** Look up (state, input) in the table and run its action. */
  #input(input: Input, cmd?: Command): void {
    const step = stepFor(this.#state, input);
    if (step === undefined) throw new Error(`lmail session: no transition for ${input} in ${this.#state}`);
    if ("refuse" in step) {
      this.#reject(badSequence(step.refuse));
      return;
    }
    const outcome = this.#run(step, cmd);
    if (outcome !== "pending") this.#go(step, outcome);
  }

  #go(step: RunStep, outcome: Outcome): void {
    // An action that closed the session (a limit, QUIT) has the last word.
    if (this.#closed) return;
    this.#state = target(step, outcome);
  }

  #run(step: RunStep, cmd: Command | undefined): Outcome | "pending" {
    switch (step.run) {
      case "helo":
        return this.#heloCommand(cmd as Extract<Command, { verb: "HELO" | "EHLO" | "LHLO" }>, step);
      case "mail":
        return this.#mail(cmd as Extract<Command, { verb: "MAIL" }>, step);
      case "rcpt":
        return this.#rcpt(cmd as Extract<Command, { verb: "RCPT" }>, step);
      case "data":
        return this.#data();
      case "no-recipients":
        return this.#reject(this.#rcptAttempted ? Replies.noValidRecipients : badSequence("Error: need RCPT command"));
      case "bdat":
        return this.#bdat(cmd as Extract<Command, { verb: "BDAT" }>);
      case "bdat-refused":
        return this.#bdatRefused(cmd as Extract<Command, { verb: "BDAT" }>);
      case "rset":
        this.#resetTransaction();
        return this.#junkReply(Replies.resetOk);
      case "noop":
        return this.#junkReply(Replies.ok);
      case "vrfy":
        return this.#junkReply(Replies.vrfy);
      case "expn":
        return this.#junkReply(Replies.expn);
      case "help":
        return this.#junkReply(Replies.help);
      case "quit":
        this.#resetTransaction();
        this.#send(repliesFor(this.#o.hostname, this.#o.greetingText).quit);
        this.#close("quit");
        return "ok";
      case "starttls":
        return this.#starttls();
      case "auth":
        return this.#auth(cmd as Extract<Command, { verb: "AUTH" }>, step);
      case "sasl":
        throw new Error("lmail session: sasl lines do not come through #input");
      case "body-end":
        return this.#bodyEnd(step);
      case "chunk-end":
        return this.#chunkEnd(step);
      case "tls-established":
        return "ok";
      case "tls-failed":
        this.#close("eof");
        return "ok";
      case "connect":
      case "abort":
        throw new Error(`lmail session: ${step.run} is not a command action`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  #heloCommand(cmd: Extract<Command, { verb: "HELO" | "EHLO" | "LHLO" }>, step: RunStep): "pending" {
    this.#decide({ type: "helo", verb: cmd.verb, name: cmd.name }, step);
    return "pending";
  }

  #answerHelo(step: RunStep, verb: "HELO" | "EHLO" | "LHLO", name: string, r: Reply | undefined): void {
    if (r !== undefined && !isPositive(r)) {
      // RFC 5321 §4.1.4: after refusing EHLO the server stays in the state it was in.
      this.#reject(r);
      this.#go(step, "fail");
      return;
    }
    // RFC 5321 §4.1.4: an accepted EHLO (or HELO) resets the transaction, as RSET does.
    this.#resetTransaction();
    this.#helo = { verb, name };
    this.#info = undefined;
    // The app's positive reply keeps the session's own: the keyword list must match what it does.
    if (verb === "HELO") this.#sendPlain(repliesFor(this.#o.hostname, this.#o.greetingText).helo);
    else this.#out.push(encodeReply(ehloReply(this.#o, this.#ehloState(), name), { enhancedStatusCodes: false }));
    this.#go(step, "ok");
  }

  #mail(cmd: Extract<Command, { verb: "MAIL" }>, step: RunStep): Outcome | "pending" {
    if (this.#o.requireTls && this.#tls === undefined) return this.#reject(Replies.tlsRequired);
    if (this.#o.auth !== false && this.#o.auth.required && this.#user === undefined) return this.#reject(Replies.authRequired);
    const max = this.#o.limits.maxMessageBytes;
    // RFC 1870 §6.2: a declared size over the limit is refused at MAIL, before any byte of the body.
    if (max > 0 && cmd.params.size !== undefined && cmd.params.size > max) return this.#reject(Replies.messageTooBig);
    this.#decide({ type: "mail", from: cmd.from, params: cmd.params }, step);
    return "pending";
  }

  #answerMail(step: RunStep, from: Address | null, params: MailParameters, r: Reply | undefined): void {
    if (r !== undefined && !isPositive(r)) {
      this.#reject(r);
      this.#go(step, "fail");
      return;
    }
    this.#from = from;
    this.#mailParams = params;
    this.#recipients = [];
    this.#rcptAttempted = false;
    this.#envelope = undefined;
    this.#send(r ?? Replies.senderOk);
    this.#go(step, "ok");
  }

  #rcpt(cmd: Extract<Command, { verb: "RCPT" }>, step: RunStep): Outcome | "pending" {
    this.#rcptAttempted = true;
    // RFC 5321 §4.5.3.1.10: 452 for recipients past the limit; the client sends them in a new transaction.
    if (over(this.#recipients.length, this.#o.limits.maxRecipients)) {
      this.#send(Replies.tooManyRecipients);
      return "fail";
    }
    const recipient: Recipient = Object.freeze({ address: cmd.to, params: cmd.params });
    this.#decide({ type: "rcpt", recipient, envelope: this.#snapshot() }, step);
    return "pending";
  }

  #answerRcpt(step: RunStep, recipient: Recipient, r: Reply | undefined): void {
    if (r !== undefined && !isPositive(r)) {
      this.#reject(r);
      this.#go(step, "fail");
      return;
    }
    this.#recipients.push(recipient);
    this.#envelope = undefined;
    this.#send(r ?? Replies.recipientOk);
    this.#go(step, "ok");
  }

  #data(): Outcome {
    // RFC 3030 §3: a BINARYMIME body cannot be sent with DATA.
    if (this.#mailParams.body === "BINARYMIME") return this.#reject(Replies.binaryNeedsBdat);
    this.#send(Replies.startData);
    this.#decoder = new DataDecoder({
      maxLineBytes: this.#o.limits.maxTextLineBytes,
      bareLineEndings: this.#o.bodyLineEndings,
      maxMessageBytes: this.#o.limits.maxMessageBytes,
    });
    this.#unframe();
    this.#events.push({ type: "data-start", envelope: this.#snapshot(), transfer: "DATA" });
    return "ok";
  }

  #readBody(): boolean {
    const decoder = this.#decoder;
    if (decoder === undefined) throw new Error("lmail session: data state without a decoder");
    const c = this.#take();
    if (c === undefined) return false;
    const step = decoder.push(c);
    for (const bytes of step.output) if (bytes.length > 0) this.#events.push({ type: "data-chunk", bytes });
    this.#putBack(c, step.consumed);
    if (step.done) this.#input("body-end");
    return true;
  }

  #bodyEnd(step: RunStep): Outcome | "pending" {
    const decoder = this.#decoder;
    this.#decoder = undefined;
    if (decoder === undefined) throw new Error("lmail session: body-end without a decoder");
    const summary = decoder.finish();
    if (summary.reject !== undefined) return this.#bodyRejected(summary.reject);
    this.#decide({ type: "data-end", envelope: this.#snapshot(), bytes: summary.bytes }, step);
    return "pending";
  }

  /** The body was refused by the session (too big, bare line ending …): one reply (LMTP: per recipient), never delivered. */
  #bodyRejected(r: Reply): "fail" {
    const envelope = this.#snapshot();
    const count = this.#o.protocol === "lmtp" ? envelope.recipients.length : 1;
    for (let i = 0; i < count; i++) this.#send(r);
    this.#events.push({ type: "data-rejected", envelope, reply: r });
    this.#events.push({ type: "reset" });
    this.#clearTransaction();
    return "fail";
  }

  #answerDataEnd(step: RunStep, answer: Reply | readonly (Reply | undefined)[] | undefined): void {
    const n = this.#recipients.length;
    let delivered = false;
    if (this.#o.protocol === "lmtp") {
      for (let i = 0; i < n; i++) {
        const r = (isReplyList(answer) ? answer[i] : answer) ?? Replies.messageAccepted;
        delivered ||= isPositive(r);
        this.#send(r);
      }
    } else {
      const r = isReplyList(answer) ? collapseReplies(answer) : (answer ?? Replies.messageAccepted);
      delivered = isPositive(r);
      this.#send(r);
    }
    // The error and junk counts are per message, as Postfix's "errors without delivering mail": a
    // client that reuses its connection for many messages (RSET between them) is not cut off.
    if (delivered) {
      this.#errors = 0;
      this.#junk = 0;
    }
    this.#clearTransaction();
    this.#go(step, "ok");
  }

  #bdat(cmd: Extract<Command, { verb: "BDAT" }>): "ok" {
    if (this.#state === "rcpt") {
      this.#bdatBytes = 0;
      this.#bdatTooBig = false;
      this.#events.push({ type: "data-start", envelope: this.#snapshot(), transfer: "BDAT" });
    }
    this.#startChunk(cmd, undefined);
    return "ok";
  }

  #bdatRefused(cmd: Extract<Command, { verb: "BDAT" }>): "fail" {
    // RFC 3030 §2: the chunk's octets are read (they are not commands) and then refused.
    let refusal: Reply;
    if (this.#state === "mail" && this.#rcptAttempted) refusal = Replies.noValidRecipients;
    else if (this.#state === "bdat-failed") refusal = badSequence("Error: send RSET after a failed BDAT");
    else if (this.#state === "mail") refusal = badSequence("Error: need RCPT command");
    else refusal = badSequence("Error: need MAIL command");
    this.#startChunk(cmd, refusal);
    return "fail";
  }

  #startChunk(cmd: Extract<Command, { verb: "BDAT" }>, refusal: Reply | undefined): void {
    this.#unframe();
    this.#chunk = { reader: cmd.size > 0 ? new BdatReader(cmd.size) : undefined, size: cmd.size, last: cmd.last, refusal };
  }

  #readChunk(): boolean {
    const chunk = this.#chunk;
    if (chunk === undefined) throw new Error("lmail session: no chunk");
    if (chunk.reader !== undefined && chunk.reader.remaining > 0) {
      const c = this.#take();
      if (c === undefined) return false;
      const step = chunk.reader.push(c);
      this.#putBack(c, step.consumed);
      if (chunk.refusal === undefined) {
        const max = this.#o.limits.maxMessageBytes;
        for (const bytes of step.output) {
          this.#bdatBytes += bytes.length;
          if (max > 0 && this.#bdatBytes > max) this.#bdatTooBig = true;
          else if (bytes.length > 0) this.#events.push({ type: "data-chunk", bytes });
        }
      }
      if (!step.done) return true;
    }
    this.#chunk = undefined;
    if (chunk.refusal !== undefined) {
      this.#reject(chunk.refusal);
      return true;
    }
    this.#input(chunk.last ? "chunk-last" : "chunk-end", { verb: "BDAT", size: chunk.size, last: chunk.last });
    return true;
  }

  #chunkEnd(step: RunStep): Outcome | "pending" {
    const last = step.ok === "ready";
    if (this.#bdatTooBig) return this.#bodyRejected(Replies.messageTooBig);
    if (!last) {
      // RFC 3030 §2: each chunk but the last is acknowledged by itself.
      this.#send(reply(250, "2.0.0", `${String(this.#bdatBytes)} octets received`));
      return "ok";
    }
    this.#decide({ type: "data-end", envelope: this.#snapshot(), bytes: this.#bdatBytes }, step);
    return "pending";
  }

  #starttls(): Outcome {
    if (this.#tls !== undefined) return this.#reject(Replies.tlsActive);
    this.#send(Replies.tlsReady);
    // RFC 3207 §4.2 (CVE-2011-0411): bytes pipelined after STARTTLS are never interpreted.
    this.#framer.takeBuffered();
    this.#framer = this.#newFramer();
    this.#clearInbox();
    this.#events.push({ type: "starttls" });
    return "ok";
  }

  // -------------------------------------------------------------------------------------------
  // AUTH (RFC 4954)

  #auth(cmd: Extract<Command, { verb: "AUTH" }>, step: RunStep): Outcome | "pending" {
    const o = this.#o.auth;
    if (o === false) throw new Error("lmail session: AUTH without auth options");
    if (this.#helo?.verb === "HELO") return this.#reject(badSequence("Error: send EHLO first"));
    if (this.#user !== undefined) return this.#reject(Replies.authAgain);
    if (!authOffered(this.#o, this.#ehloState())) return this.#reject(Replies.authNeedsTls);
    const mechanism = cmd.mechanism.toUpperCase();
    if (mechanism !== "PLAIN" && mechanism !== "LOGIN") return this.#reject(Replies.authUnknownMechanism);
    if (!o.mechanisms.includes(mechanism)) return this.#reject(Replies.authUnknownMechanism);
    const initial = cmd.initialResponse;
    if (initial === undefined) {
      this.#beginSasl({ mechanism }, mechanism === "PLAIN" ? "" : "VXNlcm5hbWU6");
      return "more";
    }
    return this.#saslResponse({ mechanism }, initial, step);
  }

  #beginSasl(sasl: Sasl, challenge: string): void {
    this.#sasl = sasl;
    this.#framer.maxLineBytes = this.#o.limits.maxAuthLineBytes;
    this.#out.push(ascii.encode(`334 ${challenge}\r\n`));
  }

  #endSasl(): void {
    this.#sasl = undefined;
    this.#framer.maxLineBytes = this.#o.limits.maxCommandLineBytes;
  }

  #readSasl(): boolean {
    const sasl = this.#sasl;
    const step = stepFor("sasl", "sasl-line") as RunStep;
    if (sasl === undefined) throw new Error("lmail session: sasl state without an exchange");
    const f = this.#line();
    if (f === undefined) return false;
    this.#endSasl();
    let outcome: Outcome | "pending";
    if (f.kind === "too-long") outcome = this.#reject(Replies.authLineTooLong);
    else if (f.kind !== "line") outcome = this.#reject(f.reply);
    // RFC 4954 §4: "*" cancels (the parser answers 501 5.7.0, RFC 4954 §6), "=" is an empty response.
    else outcome = this.#saslResponse(sasl, utf8.decode(f.line), step);
    if (outcome !== "pending") this.#go(step, outcome);
    return true;
  }

  #saslResponse(sasl: Sasl, text: string, step: RunStep): Outcome | "pending" {
    if (sasl.mechanism === "PLAIN") {
      const r = decodeSaslPlain(text);
      if (!r.ok) return this.#reject(r.reply);
      const credentials: AuthCredentials =
        r.authorizationId !== ""
          ? { mechanism: "PLAIN", username: r.username, password: r.password, authorizationId: r.authorizationId }
          : { mechanism: "PLAIN", username: r.username, password: r.password };
      this.#decide({ type: "auth", credentials }, step);
      return "pending";
    }
    const r = decodeSaslLogin(text);
    if (!r.ok) return this.#reject(r.reply);
    if (sasl.username === undefined) {
      this.#beginSasl({ mechanism: "LOGIN", username: r.value }, "UGFzc3dvcmQ6");
      return "more";
    }
    this.#decide({ type: "auth", credentials: { mechanism: "LOGIN", username: sasl.username, password: r.value } }, step);
    return "pending";
  }

  // -------------------------------------------------------------------------------------------
  // Decisions, replies, limits

  #decide(event: DecisionEvent, step: RunStep | "connect"): void {
    const s = step === "connect" ? (stepFor("greeting", "connect") as RunStep) : step;
    this.#pending = { event, step: s };
    this.#events.push(event);
  }

  #peekPending(): Pending {
    const p = this.#pending;
    if (p === undefined) throw new SessionUsageError("no decision is pending");
    // The event must have been handed out before it can be answered.
    if (this.#events.includes(p.event)) throw new SessionUsageError("the decision event was not taken with nextEvent() yet");
    return p;
  }

  #takePending(): Pending {
    const p = this.#peekPending();
    this.#pending = undefined;
    return p;
  }

  #answerConnect(step: RunStep, r: Reply | undefined): void {
    if (r !== undefined && !isPositive(r)) {
      // RFC 5321 §3.1: 554 (or 421) instead of the greeting, then the session ends.
      this.#go(step, "fail");
      this.#sendPlain(r);
      this.#close("refused");
      return;
    }
    if (this.#o.rejectEarlyTalkers && this.#earlyBytes) {
      this.#go(step, "fail");
      this.#sendPlain(Replies.earlyTalker);
      this.#clearInbox();
      this.#close("early-talker");
      return;
    }
    this.#sendPlain(r ?? repliesFor(this.#o.hostname, this.#o.greetingText).greeting);
    this.#go(step, "ok");
  }

  /**
   * RFC 5321 §3.8: 421 means the service is closing the channel. When the application answers with
   * 421 (for the whole message, or for any recipient in LMTP), the session closes after sending it.
   */
  #closeOn421(answer: Reply | readonly (Reply | undefined)[] | undefined): void {
    if (this.#closed || answer === undefined) return;
    const list = isReplyList(answer) ? (this.#o.protocol === "lmtp" ? answer : [collapseReplies(answer)]) : [answer];
    if (list.some((r) => r?.code === 421)) this.#abort("refused");
  }

  /** Send a refusal and count it; past the error limit, 421 and close. Returns "fail" for convenience. */
  #reject(r: Reply): "fail" {
    this.#send(r);
    this.#errors++;
    if (over(this.#errors, this.#o.limits.maxErrors)) this.#abort("too-many-errors", closing(this.#o.hostname, "errors"));
    return "fail";
  }

  #unknownCommand(r: Reply): void {
    this.#unknown++;
    if (over(this.#unknown, this.#o.limits.maxUnknownCommands)) {
      this.#send(r);
      this.#abort("too-many-errors", closing(this.#o.hostname, "unknown"));
      return;
    }
    this.#reject(r);
  }

  #junkReply(r: Reply): "ok" {
    this.#send(r);
    this.#junk++;
    if (over(this.#junk, this.#o.limits.maxJunkCommands)) this.#abort("too-many-errors", closing(this.#o.hostname, "junk"));
    return "ok";
  }

  /** Enhanced status codes are in effect: advertised and the client said EHLO/LHLO (RFC 2034 §3). */
  #extended(): boolean {
    return this.#helo !== undefined && this.#helo.verb !== "HELO";
  }

  #enhanced(): boolean {
    return this.#o.extensions.enhancedStatusCodes && this.#extended();
  }

  #send(r: Reply): void {
    const enhanced = this.#enhanced();
    const cache = enhanced ? encodedWithEnhanced : encodedPlain;
    let bytes = cache.get(r);
    if (bytes === undefined) {
      bytes = encodeReply(enhanced ? withEnhanced(r) : r, { enhancedStatusCodes: enhanced });
      // Replies are frozen values: the session's own constants are encoded once per process.
      cache.set(r, bytes);
    }
    this.#out.push(bytes);
  }

  /** The greeting and the EHLO reply: as given, never an enhanced code. */
  #sendPlain(r: Reply): void {
    // The same bytes as #send without enhanced codes: share its cache (replies are frozen values).
    let bytes = encodedPlain.get(r);
    if (bytes === undefined) {
      bytes = encodeReply(r, { enhancedStatusCodes: false });
      encodedPlain.set(r, bytes);
    }
    this.#out.push(bytes);
  }

  #newFramer(): LineFramer {
    return new LineFramer({ maxLineBytes: this.#o.limits.maxCommandLineBytes, bareLineEndings: this.#o.commandLineEndings });
  }

  #ehloState(): EhloState {
    return { tls: this.#tls !== undefined, authenticated: this.#user !== undefined };
  }

  #isCommandState(): boolean {
    const s = this.#state;
    return (s === "initial" || s === "ready" || s === "mail" || s === "rcpt" || s === "bdat" || s === "bdat-failed") && this.#chunk === undefined;
  }

  #shutdownNow(): void {
    this.#abort("shutdown", closing(this.#o.hostname, "shutdown"));
  }

  // -------------------------------------------------------------------------------------------
  // Transaction and closing

  #snapshot(): Envelope {
    this.#envelope ??= Object.freeze({
      from: this.#from,
      mailParams: this.#mailParams,
      recipients: Object.freeze([...this.#recipients]),
      bodyType: this.#mailParams.body ?? "7BIT",
      smtputf8: this.#mailParams.smtputf8 === true,
    });
    return this.#envelope;
  }

  #clearTransaction(): void {
    this.#from = null;
    this.#mailParams = { raw: [] };
    this.#recipients = [];
    this.#rcptAttempted = false;
    this.#envelope = undefined;
    this.#decoder = undefined;
  }

  /** Abandon an open transaction (RSET, EHLO, QUIT, close): a reset event when one was open. */
  #resetTransaction(): void {
    if (this.inTransaction) this.#events.push({ type: "reset" });
    this.#clearTransaction();
  }

  #close(reason: CloseReason): void {
    const step = stepFor(this.#state, "abort");
    if (step !== undefined && "run" in step) this.#state = target(step, "ok");
    this.#closed = true;
    this.#clearInbox();
    this.#chunk = undefined;
    this.#events.push({ type: "close", reason });
  }

  /** Close on the session's own account: drop pending work, queue `r` if any, reset, close. */
  #abort(reason: CloseReason, r?: Reply): void {
    if (this.#closed) return;
    this.#events = [];
    this.#pending = undefined;
    // Between the 220 to STARTTLS and the handshake's end, nothing can be sent in clear.
    if (r !== undefined && this.#state !== "tls") this.#send(r);
    this.#resetTransaction();
    this.#endSasl();
    this.#close(reason);
  }
}

function over(count: number, limit: number): boolean {
  return limit > 0 && count >= limit;
}

function isReplyList(a: Reply | readonly (Reply | undefined)[] | undefined): a is readonly (Reply | undefined)[] {
  return Array.isArray(a);
}
