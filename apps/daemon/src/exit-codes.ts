/**
 * lmaild's exit codes, from BSD sysexits(3) so that service managers and scripts can tell a
 * mistake in the command line from a bad config file or a port already in use.
 */
export const ExitCode = {
  /** Clean shutdown (SIGTERM, SIGINT), or `--help`, `--version`, `hash-password` done. */
  Ok: 0,
  /** Unexpected internal error (a bug): see the log. */
  Software: 70,
  /** The command line is wrong: unknown flag, missing value, malformed value (EX_USAGE). */
  Usage: 64,
  /** A file named by the configuration cannot be read: config, users, certificate, key (EX_NOINPUT). */
  NoInput: 66,
  /** A listener or the metrics endpoint cannot be opened: address in use, permission (EX_UNAVAILABLE). */
  Unavailable: 69,
  /** The configuration is invalid: a key with a bad value, an unknown key, bad JSON (EX_CONFIG). */
  Config: 78,
} as const;

export type ExitCodeName = keyof typeof ExitCode;
export type ExitCodeNumber = (typeof ExitCode)[ExitCodeName];

/** An error that ends lmaild with a documented exit code and a one-line message. */
export class DaemonExit extends Error {
  readonly code = "ERR_LMAILD_EXIT";
  readonly exitCode: ExitCodeNumber;

  constructor(exitCode: ExitCodeNumber, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DaemonExit";
    this.exitCode = exitCode;
  }
}
