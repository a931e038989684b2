export type * from "./types.js";
export { NEED_DATA, PAUSED } from "./types.js";
export { SmtpSession, SessionUsageError } from "./session.js";
export { collapseReplies } from "./collapse-replies.js";
export { LOCAL_ERROR, replyForHookError } from "./hook-errors.js";
export {
  defaultLimits,
  resolveOptions,
  type SessionOptions,
  type ExtensionOptions,
  type AuthOptions,
  type SessionLimits,
  type ResolvedOptions,
} from "./options.js";
export { ehloKeywords } from "./ehlo.js";
export { rfcTimeoutsMs } from "./timeouts.js";
export { transitions, type State, type Input, type Action, type Step, type Outcome } from "./transitions.js";
