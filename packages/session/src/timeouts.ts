import type { TimeoutName } from "./types.js";

/**
 * The server timeouts of RFC 5321 §4.5.3.2, by the name `SmtpSession.timeout` gives, in
 * milliseconds: a transport runs the clock, these are the RFC's minimums to start from.
 */
export const rfcTimeoutsMs: Readonly<Record<TimeoutName, number>> = Object.freeze({
  /** §4.5.3.2.7: the server waits at least 5 minutes for the next command. */
  command: 300_000,
  /** §4.5.3.2.5: 3 minutes for each block of message data. */
  "data-block": 180_000,
  /** §4.5.3.2.6: the client waits 10 minutes after the final "." for the reply, so a hook should finish well within that. */
  decision: 600_000,
});
