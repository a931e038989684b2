import { Enhanced, reply, ReplyCode, type Reply, SmtpError } from "@lmail/codes";
import type { Awaitable, DataReply, Envelope, Handler, HookContext, HookReply, IncomingMessage, Recipient, SessionInfo } from "@lmail/session";
import type { DeliveryOutcome } from "./delivery-result.js";
import { type CopyRequest, deliverCopies, resolveSettings } from "./engine.js";
import type { MaildirTarget } from "./ensure.js";
import { replyForError } from "./errors.js";
import { Maildir } from "./maildir.js";
import type { WriteOptions } from "./options.js";
import { traceHeaderBlock } from "./trace-headers.js";

/** Options of {@link maildirHandler}. */
export interface MaildirHandlerOptions extends WriteOptions {
  /**
   * The maildir of a recipient (a path, or a {@link Maildir} such as `new Maildir(p).folder("Lists")`),
   * or undefined for an unknown recipient, who gets `550 5.1.1` at RCPT. Called at RCPT time;
   * its answer is kept for the data hook (called again only if the data hook gets a recipient it
   * has not seen, so it should be deterministic).
   */
  route(recipient: Recipient, envelope: Envelope, session: SessionInfo): Awaitable<string | Maildir | undefined>;
  /** Prepend `Return-Path: <reverse-path>` (RFC 5321 §4.4, the final delivery's duty). Default true. */
  readonly returnPath?: boolean;
  /**
   * Prepend `Delivered-To: <recipient>` to each recipient's copy. Default true: it tells the reader
   * which address a copy came to and lets loops be detected. Each recipient then has its own
   * header block, hence its own file; turn it off to write a message once and hard-link it into
   * every recipient's maildir.
   */
  readonly deliveredTo?: boolean;
}

/** `550 5.1.1`: the reply to a recipient `route()` does not know. */
export const unknownRecipientReply: Reply = reply(ReplyCode.MailboxUnavailable, Enhanced.BadMailbox, "No such mailbox here");

function toTarget(dest: string | MaildirTarget): MaildirTarget {
  return typeof dest === "string" ? new Maildir(dest) : dest;
}

const decoder = new TextDecoder();

/**
 * An lmail handler that delivers into maildirs. The rcpt hook decides (unknown recipient: 550
 * 5.1.1 at RCPT, never a bounce after DATA); the data hook delivers the body to every accepted
 * recipient's maildir. Recipients whose prepended header block is identical share one file,
 * hard-linked into each maildir. SMTP: one reply, positive only when every recipient's copy is
 * durable; otherwise the copies made are removed again (so the client's retry makes no duplicate)
 * and the first transient (4xx) failure's reply is sent, else the first permanent one. LMTP: one reply per recipient, in envelope order.
 */
export function maildirHandler(options: MaildirHandlerOptions): Handler {
  const settings = resolveSettings(options);
  const withReturnPath = options.returnPath ?? true;
  const withDeliveredTo = options.deliveredTo ?? true;
  /** Per session: the routes decided at RCPT, by the recipient's address as given. */
  const routes = new Map<string, Map<string, MaildirTarget>>();

  const forget = (ctx: HookContext): void => {
    routes.delete(ctx.session.id);
  };

  return {
    async rcpt(recipient: Recipient, envelope: Envelope, ctx: HookContext): Promise<HookReply> {
      const dest = await options.route(recipient, envelope, ctx.session);
      // The client left while route() ran: `close` may already have forgotten this session, so
      // remember nothing (a route stored now would never be freed).
      if (ctx.signal.aborted) return undefined;
      if (dest === undefined) return unknownRecipientReply;
      let known = routes.get(ctx.session.id);
      if (known === undefined) {
        known = new Map();
        routes.set(ctx.session.id, known);
      }
      known.set(recipient.address.raw, toTarget(dest));
      return undefined;
    },

    async data(message: IncomingMessage, ctx: HookContext): Promise<DataReply> {
      const known = routes.get(ctx.session.id);
      forget(ctx);
      const { envelope } = message;
      const recipients = envelope.recipients;
      const returnPath = withReturnPath ? (envelope.from?.raw ?? null) : undefined;

      // Group recipients by header block: one file per distinct block, linked into each maildir.
      const groups = new Map<string, { headers: Uint8Array; targets: MaildirTarget[] }>();
      const place: ({ group: string; path: string } | undefined)[] = [];
      for (const r of recipients) {
        const target = known?.get(r.address.raw) ?? (await options.route(r, envelope, ctx.session));
        if (target === undefined) {
          place.push(undefined);
          continue;
        }
        const t = toTarget(target);
        const headers = traceHeaderBlock({ returnPath, deliveredTo: withDeliveredTo ? r.address.raw : undefined }, settings.lineEnding);
        const key = decoder.decode(headers);
        let g = groups.get(key);
        if (g === undefined) {
          g = { headers, targets: [] };
          groups.set(key, g);
        }
        if (!g.targets.some((x) => x.path === t.path)) g.targets.push(t);
        place.push({ group: key, path: t.path });
      }

      const keys = [...groups.keys()];
      const copies: CopyRequest[] = keys.map((k) => groups.get(k)!);
      const lmtp = ctx.session.protocol === "lmtp";
      // SMTP: all or nothing. The engine takes the copies back (before it removes the maildirs
      // it made for them) unless every recipient has one.
      const allDelivered = (all: readonly (readonly DeliveryOutcome[])[]): boolean =>
        place.every((p) => p !== undefined) && all.every((c) => c.every((o) => o.ok));
      const results =
        copies.length === 0 ? [] : await deliverCopies(message.body, copies, settings, ctx.signal, lmtp ? undefined : allDelivered);
      const outcome = (p: { group: string; path: string } | undefined): DeliveryOutcome => {
        if (p === undefined) return { ok: false, maildir: "", error: new SmtpError(unknownRecipientReply) };
        const gi = keys.indexOf(p.group);
        const ti = copies[gi]!.targets.findIndex((t) => t.path === p.path);
        return results[gi]![ti]!;
      };
      const perRecipient = place.map(outcome);

      if (lmtp) {
        return perRecipient.map((o): HookReply => (o.ok ? undefined : replyForError(o.error)));
      }
      const failures = perRecipient.flatMap((o) => (o.ok ? [] : [replyForError(o.error)]));
      if (failures.length === 0) return undefined;
      // As the session collapses replies: a transient failure wins, so the client retries.
      return failures.find((r) => r.code < 500) ?? failures[0];
    },

    reset(ctx: HookContext): void {
      forget(ctx);
    },

    close(ctx: HookContext): void {
      forget(ctx);
    },
  };
}
