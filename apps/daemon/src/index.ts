/**
 * lmaild as a library (private; the executable is bin.ts): start the daemon from a validated
 * configuration in your own process, e.g. for an end-to-end test of your application.
 */
export { startDaemon, type Daemon, type BoundListener, type ReloadReport, type StartOptions } from "./daemon.js";
export { createHandler, mailboxPath, bindHooks, clientKey, type HandlerOptions } from "./handler.js";
export { resolveConfig, configSchema, defaults, ConfigError, type DaemonConfig, type ConfigInput, type ResolveOptions } from "./config.js";
export { decideRecipient, unsafeLocalPartReason, mailboxName, type RecipientDecision, type RecipientPolicyOptions } from "./recipient-policy.js";
export { hashPassword, verifyPassword, parseHash, type ScryptParams } from "./password-hash.js";
export { parseUsers, loadUsers, UsersFileError, type Users } from "./users-file.js";
export { AuthGuard, type AuthGuardOptions, type AuthResult } from "./auth-guard.js";
export { createLogger, formatPretty } from "./logger.js";
export { DaemonMetrics, serveMetrics } from "./metrics.js";
export { ExitCode, DaemonExit } from "./exit-codes.js";
export { main } from "./main.js";
