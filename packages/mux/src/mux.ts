import { isPositive, isSmtpError } from "@lmail/codes";
import { collapseReplies } from "@lmail/session";
import type {
  DataReply,
  Envelope,
  Handler,
  HookContext,
  HookReply,
  IncomingMessage,
  Recipient,
  SessionInfo,
} from "@lmail/session";
import { FanOut } from "./fan-out.js";
import { rejectingHandler } from "./rejecting-handler.js";
import { replyForError, spreadReply } from "./replies.js";
import { RouteTable, type RoutePredicate } from "./route-table.js";
import type { SpillFactory } from "./spill.js";

/** Options of a {@link Mux}. */
export interface MuxOptions {
  /** Serves the recipients no rule matches. Default `rejectingHandler()`: 550 5.1.1 at RCPT (no open relay, no backscatter). */
  readonly defaultHandler?: Handler;
  /**
   * The connection-level hooks (connect, helo, auth, mail, reset, close), which belong to no
   * recipient. Default none: every connection, name and sender is accepted, and AUTH is not offered.
   */
  readonly session?: Handler;
  /** Where a handler that lags `spillThresholdBytes` behind is fed from. Default none: the others wait for it (backpressure). */
  readonly spill?: SpillFactory;
  /** Bytes of body held in memory for the slowest handler before it spills (or the others wait). Default 1 MiB: a few socket reads' worth, memory bounded per transaction. */
  readonly spillThresholdBytes?: number;
  /** Bytes per read from the spill. Default 64 KiB: a socket read's worth, few calls without large buffers. */
  readonly spillReadBytes?: number;
  /** Compare local parts case-sensitively. Default false: RFC 5321 §2.4 permits case-sensitivity but advises against relying on it, and common MTAs fold case. */
  readonly caseSensitiveLocalParts?: boolean;
  /** Subaddress delimiters, each character one (`"+-"` for both). Default "+" (RFC 5233's common form); "" turns stripping off. */
  readonly subaddressDelimiters?: string;
  /**
   * Told of every error other than an `SmtpError` that a routed handler's data hook throws (its
   * recipients get 451 4.3.0; the client never sees the error). Default `console.error`: a
   * handler's bug is never lost silently, since the mux answers for it instead of the server.
   */
  readonly onHandlerError?: (error: unknown, context: HandlerErrorContext) => void;
}

/** What {@link MuxOptions.onHandlerError} is told besides the error. */
export interface HandlerErrorContext {
  readonly handler: Handler;
  /** The recipients the handler served in this message (they get 451 4.3.0). */
  readonly recipients: readonly Recipient[];
  readonly session: SessionInfo;
}

/** A handler routed for one recipient in the transaction in progress. */
interface Decision {
  readonly recipient: Recipient;
  readonly handler: Handler;
}

/** The recipients of one handler in one message, by their index in the envelope. */
interface Group {
  readonly handler: Handler;
  readonly indices: number[];
  readonly recipients: Recipient[];
}

const DEFAULT_SPILL_THRESHOLD_BYTES = 1024 * 1024;
const DEFAULT_SPILL_READ_BYTES = 64 * 1024;

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, not ${String(value)}`);
  return value;
}

function withRecipients(envelope: Envelope, recipients: readonly Recipient[]): Envelope {
  return Object.freeze({ ...envelope, recipients: Object.freeze([...recipients]) });
}

/**
 * Routes each recipient to a handler at RCPT time, and fans the message out to every handler
 * that has recipients in it. A {@link Handler} itself: give it to the server.
 *
 * - `rcpt`: the routed handler's `rcpt` decides (absent: accepted); the default handler rejects
 *   unknown recipients with 550 5.1.1 here, never with a bounce after DATA.
 * - `data`: each handler gets an `IncomingMessage` whose envelope holds only its recipients, and
 *   the body as its own stream; the answer reflects them all (SMTP: one reply, all-or-nothing;
 *   LMTP: one per recipient, in envelope order).
 * - connect, helo, auth, mail: `options.session`'s hooks (absent there, absent here).
 * - reset: `options.session`'s and those of the handlers routed in the abandoned transaction.
 * - close: `options.session`'s.
 */
export class Mux implements Handler {
  readonly #table: RouteTable;
  readonly #defaultHandler: Handler;
  readonly #session: Handler | undefined;
  readonly #spill: SpillFactory | undefined;
  readonly #spillThresholdBytes: number;
  readonly #spillReadBytes: number;
  readonly #onHandlerError: (error: unknown, context: HandlerErrorContext) => void;
  /** Routing decisions of the transaction in progress, by connection id. */
  readonly #transactions = new Map<string, Decision[]>();
  /** Per connection: every handler a recipient was routed to, so that `close` reaches them all. */
  readonly #routed = new Map<string, Set<Handler>>();

  connect?: NonNullable<Handler["connect"]>;
  helo?: NonNullable<Handler["helo"]>;
  auth?: NonNullable<Handler["auth"]>;
  mail?: NonNullable<Handler["mail"]>;

  constructor(options: MuxOptions = {}) {
    this.#table = new RouteTable({
      caseSensitiveLocalParts: options.caseSensitiveLocalParts ?? false,
      subaddressDelimiters: options.subaddressDelimiters ?? "+",
    });
    this.#defaultHandler = options.defaultHandler ?? rejectingHandler();
    this.#spill = options.spill;
    this.#spillThresholdBytes = positiveInteger(options.spillThresholdBytes ?? DEFAULT_SPILL_THRESHOLD_BYTES, "spillThresholdBytes");
    this.#spillReadBytes = positiveInteger(options.spillReadBytes ?? DEFAULT_SPILL_READ_BYTES, "spillReadBytes");
    this.#onHandlerError = options.onHandlerError ?? ((error) => console.error("@lmail/mux: a data hook failed (recipients get 451 4.3.0):", error));
    const session = options.session;
    this.#session = session;
    // Defined only when the session handler has them: a server offers AUTH only when `auth` exists.
    if (session?.connect !== undefined) this.connect = (ctx) => session.connect?.(ctx);
    if (session?.helo !== undefined) this.helo = (name, ctx) => session.helo?.(name, ctx);
    if (session?.auth !== undefined) this.auth = (credentials, ctx) => session.auth?.(credentials, ctx) ?? false;
    if (session?.mail !== undefined) this.mail = (from, params, ctx) => session.mail?.(from, params, ctx);
  }

  /**
   * Route one exact address, `local@domain` with the local part unquoted. Also serves its
   * subaddresses (`local+tag@domain`) unless a rule for the full address exists.
   */
  address(address: string, handler: Handler): this {
    this.#table.addAddress(address, handler);
    return this;
  }

  /** Route a domain (U-labels or A-labels, any case), or every subdomain with `*.example.org`. */
  domain(domain: string, handler: Handler): this {
    this.#table.addDomain(domain, handler);
    return this;
  }

  /** Route a local part in every domain; `user` also serves `user+tag`. "postmaster" also serves `<Postmaster>`. */
  localPart(localPart: string, handler: Handler): this {
    this.#table.addLocalPart(localPart, handler);
    return this;
  }

  /** Route the recipients for which `predicate` returns true (tried in the order added, after every other rule). */
  match(predicate: RoutePredicate, handler: Handler): this {
    this.#table.addPredicate(predicate, handler);
    return this;
  }

  /**
   * The handler that serves `recipient`. Precedence: exact address, then local part, then domain
   * (exact, then `*.` wildcards nearest first), then predicates in order, then the default handler.
   */
  route(recipient: Recipient, envelope: Envelope, session: SessionInfo): Handler {
    return this.#table.lookup(recipient, envelope, session) ?? this.#defaultHandler;
  }

  async rcpt(recipient: Recipient, envelope: Envelope, ctx: HookContext): Promise<HookReply> {
    const id = ctx.session.id;
    let decisions = this.#transactions.get(id);
    if (decisions === undefined || envelope.recipients.length === 0) {
      decisions = [];
      this.#transactions.set(id, decisions);
    }
    const handler = this.route(recipient, envelope, ctx.session);
    let routed = this.#routed.get(id);
    if (routed === undefined) this.#routed.set(id, (routed = new Set()));
    routed.add(handler);
    let answer: HookReply;
    if (handler.rcpt !== undefined) {
      const mine = decisions.filter((d) => d.handler === handler).map((d) => d.recipient);
      answer = await handler.rcpt(recipient, withRecipients(envelope, mine), ctx);
      if (answer !== undefined && answer !== null && !isPositive(answer)) return answer;
    }
    decisions.push({ recipient, handler });
    return answer;
  }

  async data(message: IncomingMessage, ctx: HookContext): Promise<DataReply> {
    const id = message.session.id;
    const decisions = this.#transactions.get(id) ?? [];
    this.#transactions.delete(id);
    const envelope = message.envelope;
    const groups = [...this.#groups(envelope, decisions, message.session).values()];
    const replies: HookReply[] = Array.from({ length: envelope.recipients.length }, () => undefined);
    const settle = (group: Group, answer: DataReply): void => {
      const spread = spreadReply(answer, group.indices.length);
      group.indices.forEach((index, i) => (replies[index] = spread[i]));
    };
    const run = async (group: Group, body: AsyncIterable<Uint8Array>): Promise<void> => {
      try {
        const sub: IncomingMessage = Object.freeze({
          ...message, // anything else the transport adds
          session: message.session,
          headers: message.headers,
          envelope: withRecipients(envelope, group.recipients),
          body,
        });
        settle(group, await group.handler.data?.(sub, ctx));
      } catch (error) {
        settle(group, replyForError(error));
        if (!isSmtpError(error)) {
          try {
            this.#onHandlerError(error, { handler: group.handler, recipients: group.recipients, session: message.session });
          } catch {
            // a failing logger must not fail the message
          }
        }
      }
    };

    const only = groups.length === 1 ? groups[0] : undefined;
    if (only !== undefined) {
      // One handler: it reads the body itself, no buffering at all.
      await run(only, message.body);
    } else if (groups.length > 1) {
      const fan = new FanOut(message.body, groups.length, {
        spill: this.#spill,
        spillThresholdBytes: this.#spillThresholdBytes,
        spillReadBytes: this.#spillReadBytes,
        signal: ctx.signal,
      });
      await Promise.all(
        groups.map((group, i) => {
          if (group.handler.data === undefined) {
            fan.close(i);
            return Promise.resolve();
          }
          return run(group, fan.reader(i)).finally(() => fan.close(i));
        }),
      );
      await fan.finish();
    }
    // LMTP: one reply per recipient (RFC 2033 §4.2); SMTP: the session's all-or-nothing rule,
    // or nothing when every handler gave the default (so the server's default 250 goes out).
    if (message.session.protocol === "lmtp") return replies;
    return replies.some((r) => r) ? collapseReplies(replies) : undefined;
  }

  async reset(ctx: HookContext): Promise<void> {
    const decisions = this.#transactions.get(ctx.session.id) ?? [];
    this.#transactions.delete(ctx.session.id);
    const handlers = new Set<Handler>(decisions.map((d) => d.handler));
    if (this.#session !== undefined) handlers.add(this.#session);
    const results = await Promise.allSettled([...handlers].map(async (h) => h.reset?.(ctx)));
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
    }
  }

  /** The connection closed: every handler routed to on it, and `options.session`, get `close`. */
  async close(ctx: HookContext): Promise<void> {
    const id = ctx.session.id;
    const handlers = new Set<Handler>(this.#routed.get(id));
    this.#transactions.delete(id);
    this.#routed.delete(id);
    if (this.#session !== undefined) handlers.add(this.#session);
    const results = await Promise.allSettled([...handlers].map(async (h) => h.close?.(ctx)));
    for (const result of results) {
      if (result.status === "rejected") throw result.reason;
    }
  }

  /**
   * The recipients of `envelope` grouped by handler, in envelope order: each recipient is served
   * by the handler decided at its RCPT (matched by identity, else by address), or routed now.
   */
  #groups(envelope: Envelope, decisions: readonly Decision[], session: SessionInfo): Map<Handler, Group> {
    // Lookups by identity and by address, each decision used once (a recipient may repeat).
    const byIdentity = new Map<Recipient, Decision[]>();
    const byAddress = new Map<string, Decision[]>();
    for (const d of decisions) {
      const same = byIdentity.get(d.recipient) ?? [];
      same.push(d);
      byIdentity.set(d.recipient, same);
      const raw = byAddress.get(d.recipient.address.raw) ?? [];
      raw.push(d);
      byAddress.set(d.recipient.address.raw, raw);
    }
    const used = new Set<Decision>();
    const take = (list: Decision[] | undefined): Decision | undefined => {
      while (list !== undefined && list.length > 0) {
        const d = list.shift();
        if (d !== undefined && !used.has(d)) {
          used.add(d);
          return d;
        }
      }
      return undefined;
    };
    const groups = new Map<Handler, Group>();
    envelope.recipients.forEach((recipient, index) => {
      const decision = take(byIdentity.get(recipient)) ?? take(byAddress.get(recipient.address.raw));
      const handler = decision?.handler ?? this.route(recipient, envelope, session);
      let group = groups.get(handler);
      if (group === undefined) {
        group = { handler, indices: [], recipients: [] };
        groups.set(handler, group);
      }
      group.indices.push(index);
      group.recipients.push(recipient);
    });
    return groups;
  }
}
