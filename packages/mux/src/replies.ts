import { Enhanced, isPositive, isSmtpError, isTransient, reply, type Reply } from "@lmail/codes";
import type { DataReply, HookReply } from "@lmail/session";

/** What a handler's recipients get when it fails with something other than an SmtpError. */
export const LOCAL_ERROR: Reply = reply(451, Enhanced.LocalError, "Requested action aborted: local error in processing");

/** The reply for a hook that threw: an SmtpError's own reply, else 451 4.3.0 (never the error's text). */
export function replyForError(error: unknown): Reply {
  return isSmtpError(error) ? error.reply : LOCAL_ERROR;
}

// A data hook answers with a completion reply: 2xx, 4xx or 5xx. Anything else is a handler bug.
function completion(r: HookReply): HookReply {
  if (r === undefined || r === null) return undefined;
  return r.code >= 200 && r.code < 300 ? r : r.code >= 400 && r.code < 600 ? r : LOCAL_ERROR;
}

/**
 * One reply per recipient from a handler's answer for `count` recipients: a single reply applies
 * to all; an array gives one each in envelope order (a missing entry is a handler bug: 451 4.3.0).
 */
export function spreadReply(answer: DataReply, count: number): HookReply[] {
  if (Array.isArray(answer)) {
    const list = answer as readonly HookReply[];
    return Array.from({ length: count }, (_, i) => (i < list.length ? completion(list[i]) : LOCAL_ERROR));
  }
  const single = completion(answer as HookReply);
  return Array.from({ length: count }, () => single);
}

/**
 * SMTP is all-or-nothing: one reply for the whole message. All positive: the first explicit
 * positive reply, or undefined (the server's default 250). Otherwise the first transient failure
 * (4xx) in envelope order, and only when there is none the first permanent one (5xx): a 4xx
 * makes the client try the whole message again later, where a 5xx would bounce it for every
 * recipient, including those whose failure may pass.
 */
export function collapseReplies(replies: readonly HookReply[]): HookReply {
  let firstPositive: Reply | undefined;
  let firstPermanent: Reply | undefined;
  for (const r of replies) {
    if (r === undefined || r === null) continue;
    if (isTransient(r)) return r;
    if (isPositive(r)) firstPositive ??= r;
    else firstPermanent ??= r;
  }
  return firstPermanent ?? firstPositive;
}
