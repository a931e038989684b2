import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { TlsContextStore } from "./context-store.js";
import { TlsHandshakeError, TlsHandshakeErrorCode } from "./errors.js";
import { isValidTimeoutMs, MAX_TIMEOUT_MS } from "./options.js";
import { finishServerSocket } from "./server-socket.js";

/** Options of {@link upgradeSocket}. */
export interface UpgradeOptions {
  /** Overrides the store's `handshakeTimeoutMs` (default 30 000) for this connection. */
  readonly handshakeTimeoutMs?: number;
  /** Aborts the handshake (server shutdown, say): the socket is destroyed and the promise rejects. */
  readonly signal?: AbortSignal;
  /**
   * Bytes already read from the socket that belong to the TLS stream (after a PROXY protocol
   * header, say). They are handed to TLS before anything else the socket receives.
   */
  readonly initialData?: Uint8Array;
}

/**
 * Runs the server side of a TLS handshake on an accepted TCP socket: after `220 Ready to start TLS`
 * for STARTTLS (RFC 3207), or at once for implicit TLS (RFC 8314). Resolves with the secure socket
 * once the handshake completes; rejects with a {@link TlsHandshakeError} on failure, on timeout,
 * when the peer goes away or the signal aborts, and then the socket is destroyed. Never throws
 * synchronously and never leaves an unhandled 'error' event.
 *
 * Before calling, stop reading the plain socket (remove your 'data' listeners); anything still
 * buffered in it is fed to TLS, so plaintext pipelined after STARTTLS makes the handshake fail
 * rather than being replayed as commands. Client-initiated renegotiation is refused twice over:
 * OpenSSL answers it with a `no_renegotiation` alert (`SSL_OP_NO_RENEGOTIATION` in every context)
 * and the socket has `disableRenegotiation()`, so the attempt surfaces as an 'error'
 * (ERR_TLS_RENEGOTIATION_DISABLED) on the returned socket, which is then destroyed.
 *
 * The returned socket keeps a guard 'error' listener so that an error in the instant before you
 * attach yours cannot crash the process; attach your own to observe errors ('close' follows).
 * An unusable `handshakeTimeoutMs` rejects with a RangeError (a programming error).
 */
export function upgradeSocket(socket: Socket, store: TlsContextStore, options: UpgradeOptions = {}): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    const timeoutMs = options.handshakeTimeoutMs ?? store.handshakeTimeoutMs;
    const { signal } = options;
    // The raw socket's own errors surface on the TLS socket; this guard keeps any that are emitted
    // on the raw socket itself from going unhandled.
    socket.on("error", ignore);
    if (!isValidTimeoutMs(timeoutMs)) {
      // A programming error, not a handshake failure: reported as such, the connection dropped.
      socket.destroy();
      reject(new RangeError(`upgradeSocket: handshakeTimeoutMs must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS}, not ${String(timeoutMs)}`));
      return;
    }
    if (signal?.aborted === true) {
      socket.destroy();
      reject(new TlsHandshakeError(TlsHandshakeErrorCode.Aborted, "TLS handshake aborted before it started", { cause: signal.reason }));
      return;
    }
    if (socket.destroyed || !socket.readable) {
      socket.destroy();
      reject(new TlsHandshakeError(TlsHandshakeErrorCode.Closed, "the connection closed before the TLS handshake"));
      return;
    }
    if (options.initialData !== undefined && options.initialData.byteLength > 0) {
      socket.unshift(options.initialData);
    }
    const socketOptions = store.serverOptions();
    let secure: TLSSocket;
    try {
      secure = new TLSSocket(socket, socketOptions);
      secure.disableRenegotiation();
    } catch (cause) {
      socket.destroy();
      reject(new TlsHandshakeError(TlsHandshakeErrorCode.Failed, "TLS could not be set up on the socket", { cause }));
      return;
    }
    secure.on("error", ignore);

    let settled = false;
    const finish = (error: TlsHandshakeError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      secure.off("secure", onSecure);
      secure.off("error", onError);
      secure.off("close", onClose);
      if (error === undefined) {
        finishServerSocket(secure, socketOptions.requestCert === true);
        resolve(secure);
      } else {
        secure.destroy();
        socket.destroy();
        reject(error);
      }
    };
    const onSecure = (): void => finish(undefined);
    const onError = (cause: Error): void =>
      finish(
        CONNECTION_LOST.has((cause as NodeJS.ErrnoException).code ?? "")
          ? new TlsHandshakeError(TlsHandshakeErrorCode.Closed, `the connection was lost during the TLS handshake (${(cause as NodeJS.ErrnoException).code})`, { cause })
          : new TlsHandshakeError(TlsHandshakeErrorCode.Failed, `TLS handshake failed: ${cause.message.trim()}`, { cause }),
      );
    const onClose = (): void => finish(new TlsHandshakeError(TlsHandshakeErrorCode.Closed, "the connection closed during the TLS handshake"));
    const onAbort = (): void => finish(new TlsHandshakeError(TlsHandshakeErrorCode.Aborted, "TLS handshake aborted", { cause: signal?.reason }));
    const timer = setTimeout(
      () => finish(new TlsHandshakeError(TlsHandshakeErrorCode.Timeout, `TLS handshake not completed within ${timeoutMs} ms`)),
      timeoutMs,
    );
    secure.once("secure", onSecure);
    secure.on("error", onError);
    secure.once("close", onClose);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// Socket errors that mean the peer went away rather than that TLS failed.
const CONNECTION_LOST = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ETIMEDOUT"]);

function ignore(): void {
  // Deliberately empty: see upgradeSocket's comment on the guard listener.
}
