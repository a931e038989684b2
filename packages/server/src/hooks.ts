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
