import { LOCAL_ERROR, type DataReply, type HookReply } from "@lmail/session";

/** The reply for a hook that threw: an SmtpError's own reply, else 451 4.3.0 (never the error's text). */
export { LOCAL_ERROR, replyForHookError as replyForError } from "@lmail/session";

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
