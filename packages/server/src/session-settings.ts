/**
 * The session settings a server passes on to every `SmtpSession` (see @lmail/session). The server
 * fills in what it knows itself: the hostname, the connection, the protocol, whether STARTTLS is
 * possible on the listener, and whether AUTH is offered (only when the handler has an `auth` hook).
 */
import type { AuthOptions, SessionOptions } from "@lmail/session";

export type SessionSettings = Omit<SessionOptions, "hostname" | "connection" | "protocol" | "starttls" | "auth"> & {
  /** How AUTH is offered when the handler has an `auth` hook (TLS required by default). */
  readonly auth?: AuthOptions;
};
