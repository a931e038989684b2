import { Enhanced, isSmtpError, reply, type Reply } from "@lmail/codes";

/**
 * 451 4.3.0: what a client gets when a hook fails with anything but an `SmtpError` (see `Handler`).
 * One reply for every transport and handler package, so that a failure reads the same everywhere;
 * the error itself is never shown to the client.
 */
export const LOCAL_ERROR: Reply = reply(451, Enhanced.LocalError, "Requested action aborted: local error in processing");

/** The reply a hook's thrown value stands for: an `SmtpError`'s own reply, else {@link LOCAL_ERROR}. */
export function replyForHookError(error: unknown): Reply {
  return isSmtpError(error) ? error.reply : LOCAL_ERROR;
}
