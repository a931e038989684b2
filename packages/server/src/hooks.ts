/**
 * Calling handler hooks: a thrown `SmtpError` becomes its reply, any other throw becomes
 * 451 4.3.0 (published on the error channel, never shown to the client). Hooks that answer
 * synchronously cost no promise.
 */
import { isEnhancedCode, isReplyCode, isSmtpError, type Reply } from "@lmail/codes";
import { LOCAL_ERROR } from "@lmail/session";
import { publishError } from "./channels.js";

/** The reply for a hook that failed with something other than an `SmtpError` (@lmail/session's). */
export { LOCAL_ERROR };

/** The reply a thrown value stands for, publishing non-SMTP errors. */
export function replyForError(error: unknown, where: string, id: string): Reply {
  if (isSmtpError(error) && isReply(error.reply)) return error.reply;
  publishError({ id, where, error });
  return LOCAL_ERROR;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * A well-formed reply: an SMTP code, text lines, and an enhanced code (if any) of the right form
 * and class. Replies made with `reply()` always are; a hand-built object is checked here, since
 * the formatter trusts the enhanced code (text is neutralised, but "2.0.0\r\n550" must not pass).
 */
function isReply(value: unknown): value is Reply {
  if (typeof value !== "object" || value === null) return false;
  const { code, lines, enhanced } = value as Partial<Reply>;
  return (
    typeof code === "number" &&
    isReplyCode(code) &&
    Array.isArray(lines) &&
    lines.every((line) => typeof line === "string") &&
    (enhanced === undefined || (typeof enhanced === "string" && isEnhancedCode(enhanced) && Number(enhanced[0]) === Math.floor(code / 100)))
  );
}

/**
 * A hook's answer if it has the shape its hook allows (nothing or a reply; `auth` also a boolean;
 * `data` also a list of those), else 451 4.3.0 with a `TypeError` published: a handler bug must not
 * break the session.
 */
export function checkAnswer(value: unknown, where: string, id: string): unknown {
  if (value === undefined || isReply(value)) return value;
  if (where === "auth" && typeof value === "boolean") return value;
  if (where === "data" && Array.isArray(value) && value.every((v) => v === undefined || isReply(v))) return value;
  publishError({ id, where, error: new TypeError(`the ${where} hook returned neither a reply nor nothing (${typeof value})`) });
  return LOCAL_ERROR;
}
