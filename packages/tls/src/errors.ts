/** The stable `code` of each {@link TlsConfigError}. */
export const TlsConfigErrorCode = {
  /** A certificate, key or CA file could not be read. */
  Read: "ERR_LMAIL_TLS_READ",
  /** The certificate or key is not valid PEM, the key does not match, or the passphrase is wrong. */
  BadPair: "ERR_LMAIL_TLS_BAD_PAIR",
  /** An option is invalid: an SNI key that is not a host name or a one-label wildcard, a bad version or timeout. */
  BadOption: "ERR_LMAIL_TLS_BAD_OPTION",
} as const;
export type TlsConfigErrorCode = (typeof TlsConfigErrorCode)[keyof typeof TlsConfigErrorCode];

/** The stable `code` of each {@link TlsHandshakeError}. */
export const TlsHandshakeErrorCode = {
  /** The client did not complete the handshake within `handshakeTimeoutMs`. */
  Timeout: "ERR_LMAIL_TLS_HANDSHAKE_TIMEOUT",
  /** The handshake failed: no common version or cipher, bad record, alert from the client... (`cause` says which). */
  Failed: "ERR_LMAIL_TLS_HANDSHAKE_FAILED",
  /** The connection ended before the handshake completed. */
  Closed: "ERR_LMAIL_TLS_HANDSHAKE_CLOSED",
  /** The caller's `AbortSignal` fired (shutdown, say). */
  Aborted: "ERR_LMAIL_TLS_HANDSHAKE_ABORTED",
} as const;
export type TlsHandshakeErrorCode = (typeof TlsHandshakeErrorCode)[keyof typeof TlsHandshakeErrorCode];

/** The name of an entry of a {@link TlsContextStore}: `"default"` or an SNI key. */
export type EntryName = string;

/** A certificate configuration that cannot be used. Thrown at startup; reported by `reload()`. */
export class TlsConfigError extends Error {
  readonly code: TlsConfigErrorCode;
  /** Which entry: `"default"` or the SNI key (`"*.example.org"`). */
  readonly entry: EntryName;
  /** The file involved, when one is. */
  readonly file?: string;

  constructor(code: TlsConfigErrorCode, entry: EntryName, message: string, options?: { cause?: unknown; file?: string }) {
    super(`TLS ${entry}: ${message}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TlsConfigError";
    this.code = code;
    this.entry = entry;
    if (options?.file !== undefined) this.file = options.file;
  }
}

/** A TLS handshake that did not complete. The socket is destroyed when this is reported. */
export class TlsHandshakeError extends Error {
  readonly code: TlsHandshakeErrorCode;

  constructor(code: TlsHandshakeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TlsHandshakeError";
    this.code = code;
  }
}
