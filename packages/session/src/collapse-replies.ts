import { isPositive, type Reply } from "@lmail/codes";
import { Replies } from "./replies.js";
import type { HookReply } from "./types.js";

/**
 * SMTP's all-or-nothing rule for a message with several recipients: SMTP has one reply after the
 * data, LMTP one per recipient (RFC 2033 §4.2). The message is accepted only when every recipient
 * accepted it (`undefined` counts as the default positive reply). Otherwise the first transient
 * (4xx) reply wins over permanent ones, so that the client retries rather than bounces: a
 * duplicate for the recipients that took it is better than a lost message for the others.
 * An empty list is the default positive reply.
 */
export function collapseReplies(replies: readonly HookReply[]): Reply {
  let firstPositive: Reply | undefined;
  let firstPermanent: Reply | undefined;
  for (const r of replies) {
    if (!r) continue; // undefined (or void): the default positive reply
    if (isPositive(r)) firstPositive ??= r;
    else if (r.code >= 400 && r.code < 500) return r;
    else firstPermanent ??= r;
  }
  return firstPermanent ?? firstPositive ?? Replies.messageAccepted;
}
