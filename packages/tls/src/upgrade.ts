import type { Socket } from "node:net";
import { Server, type SecureContextOptions, type TLSSocket } from "node:tls";
import { defaultContextOptions, type TlsContextStore } from "./context-store.js";
import { TlsHandshakeError, TlsHandshakeErrorCode } from "./errors.js";
import { isValidTimeoutMs, MAX_TIMEOUT_MS } from "./options.js";

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
    let pooled: PooledServer;
    try {
      pooled = takeServer(store);
    } catch (cause) {
      socket.destroy();
      reject(new TlsHandshakeError(TlsHandshakeErrorCode.Failed, "TLS could not be set up on the socket", { cause }));
      return;
    }
    const { server } = pooled;

    let settled = false;
    // Ends the handshake's own listeners and timer once; false when it was already settled.
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("close", onClose);
      return true;
    };
    const succeed = (secure: TLSSocket): void => {
      if (!settle()) {
        secure.destroy();
        return;
      }
      secure.disableRenegotiation();
      // A TLS error after the handshake (a refused renegotiation, a fatal alert, a bad record)
      // is emitted as 'error' on a tls.Server socket, which stays open: close it.
      secure.on("error", () => secure.destroy());
      resolve(secure);
    };
    const fail = (error: TlsHandshakeError, secure?: TLSSocket): void => {
      secure?.destroy();
      if (!settle()) return;
      socket.destroy();
      reject(error);
    };
    // Exactly one of these two server events ends every socket the server took (Node emits
    // 'tlsClientError' for a socket closed before it was secure), also after a timeout or abort
    // settled the promise: only then does the server go back to the pool, so that its next event
    // is about the next socket.
    const onSecure = (secure: TLSSocket): void => {
      server.off("tlsClientError", onClientError);
      releaseServer(store, pooled);
      succeed(secure);
    };
    const onClientError = (cause: Error, secure: TLSSocket): void => {
      server.off("secureConnection", onSecure);
      releaseServer(store, pooled);
      const code = (cause as NodeJS.ErrnoException).code ?? "";
      fail(
        CONNECTION_LOST.has(code)
          ? new TlsHandshakeError(TlsHandshakeErrorCode.Closed, `the connection was lost during the TLS handshake (${code})`, { cause })
          : new TlsHandshakeError(TlsHandshakeErrorCode.Failed, `TLS handshake failed: ${cause.message.trim()}`, { cause }),
        secure,
      );
    };
    const onClose = (): void => fail(new TlsHandshakeError(TlsHandshakeErrorCode.Closed, "the connection closed during the TLS handshake"));
    const onAbort = (): void => fail(new TlsHandshakeError(TlsHandshakeErrorCode.Aborted, "TLS handshake aborted", { cause: signal?.reason }));
    const timer = setTimeout(
      () => fail(new TlsHandshakeError(TlsHandshakeErrorCode.Timeout, `TLS handshake not completed within ${timeoutMs} ms`)),
      timeoutMs,
    );
    server.once("secureConnection", onSecure);
    server.once("tlsClientError", onClientError);
    socket.once("close", onClose);
    signal?.addEventListener("abort", onAbort, { once: true });
    // The documented way to run a tls.Server's handshake on a socket it did not accept: emit
    // 'connection' ("any Duplex stream can be passed"). The server sets `authorized` and
    // `authorizationError`, and reports failures as 'tlsClientError'.
    try {
      server.emit("connection", socket);
    } catch (cause) {
      // That server may never end this socket with one of its events: it is not reused.
      fail(new TlsHandshakeError(TlsHandshakeErrorCode.Failed, "TLS could not be set up on the socket", { cause }));
    }
  });
}

/**
 * A tls.Server used to run handshakes on sockets injected into it, one socket at a time (so that
 * its 'secureConnection' and 'tlsClientError' events need no matching to a socket), with the
 * options of the store's default entry it was built from.
 */
interface PooledServer {
  readonly server: Server;
  readonly contextOptions: SecureContextOptions;
}

// Building a tls.Server builds its default context (about a millisecond for a key and certificate),
// so idle servers are kept per store, up to this many.
const MAX_IDLE_SERVERS = 32;
const idleServers = new WeakMap<TlsContextStore, PooledServer[]>();

function takeServer(store: TlsContextStore): PooledServer {
  const contextOptions = defaultContextOptions(store);
  const idle = idleServers.get(store);
  if (idle !== undefined) {
    // Servers built before a reload changed the default entry are dropped.
    for (let pooled = idle.pop(); pooled !== undefined; pooled = idle.pop()) {
      if (pooled.contextOptions === contextOptions) return pooled;
    }
  }
  const server = new Server({
    // Node builds a tls.Server's default context (for clients that send no SNI name) from
    // options, not from a SecureContext: these are the ones the store's default was built from.
    ...contextOptions,
    // Every name, the default included, gets the store's current context.
    SNICallback: store.sniCallback,
    requestCert: store.requestClientCertificate,
    // A client certificate is information (describeTls), never a reason to drop the connection.
    rejectUnauthorized: false,
    // upgradeSocket's own timer decides; this one only has to be no shorter.
    handshakeTimeout: MAX_TIMEOUT_MS,
  });
  return { server, contextOptions };
}

function releaseServer(store: TlsContextStore, pooled: PooledServer): void {
  if (pooled.contextOptions !== defaultContextOptions(store)) return;
  let idle = idleServers.get(store);
  if (idle === undefined) {
    idle = [];
    idleServers.set(store, idle);
  }
  if (idle.length < MAX_IDLE_SERVERS) idle.push(pooled);
}

// Socket errors that mean the peer went away rather than that TLS failed.
const CONNECTION_LOST = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ETIMEDOUT"]);

function ignore(): void {
  // Deliberately empty: see upgradeSocket's comment on the guard listener.
}
