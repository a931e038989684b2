import { Enhanced, ReplyCode, reply, type Reply } from "@lmail/codes";
import type { Handler } from "@lmail/session";

/** 550 5.1.1: the recipient is unknown here (RFC 5321 §3.3, RFC 3463). */
export const UNKNOWN_RECIPIENT: Reply = reply(ReplyCode.MailboxUnavailable, Enhanced.BadMailbox, "No such user here");

/**
 * A handler that refuses every recipient at RCPT with `rejection` (default 550 5.1.1), and every
 * message with it too, should one reach its data hook without passing RCPT. The default handler of
 * a {@link Mux}. A positive reply is not a rejection: it throws a `RangeError`.
 */
export function rejectingHandler(rejection: Reply = UNKNOWN_RECIPIENT): Handler {
  if (rejection.code < 400) throw new RangeError(`a rejection must be 4xx or 5xx, not ${String(rejection.code)}`);
  return Object.freeze({
    rcpt: () => rejection,
    data: () => rejection,
  });
}
