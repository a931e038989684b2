/**
 * Calling handler hooks: a thrown `SmtpError` becomes its reply, any other throw becomes
 * 451 4.3.0 (published on the error channel, never shown to the client). Hooks that answer
 * synchronously cost no promise.
 */
import { isSmtpError, reply, type Reply } from "@lmail/codes";
import { publishError } from "./channels.js";

/** The reply for a hook that failed with something other than an `SmtpError`. */
export const LOCAL_ERROR: Reply = reply(451, "4.3.0", "Requested action aborted: local error in processing");

/** The reply a thrown value stands for, publishing non-SMTP errors. */
export function replyForError(error: unknown, where: string, id: string): Reply {
  if (isSmtpError(error)) return error.reply;
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

function isReply(value: unknown): value is Reply {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Reply).code === "number" &&
    Array.isArray((value as Reply).lines)
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
