import { createServer, type Server, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { TlsContextStore } from "./context-store.js";
import type { TlsHandshakeError } from "./errors.js";
import { upgradeSocket } from "./upgrade.js";

/** Options of {@link createImplicitTlsServer}. */
export interface ImplicitTlsServerOptions {
  /** Overrides the store's `handshakeTimeoutMs` for this server. */
  readonly handshakeTimeoutMs?: number;
  /** Aborts every handshake in progress when it fires (shutdown); they are reported as `Aborted`. */
  readonly signal?: AbortSignal;
  /** Told of every handshake that fails (the socket is already destroyed). Default: ignored. */
  readonly onHandshakeError?: (error: TlsHandshakeError, socket: Socket) => void;
}

/**
 * A `net.Server` that speaks implicit TLS (RFC 8314 §3, port 465) with the store's contexts:
 * each accepted socket goes through {@link upgradeSocket} (handshake timeout, SNI, current
 * certificates after a reload, no renegotiation) and `onSecureConnection` receives it once secure.
 * Built on `net` rather than `tls.createServer` because the latter ignores `secureContext`, so
 * the default certificate could not follow a reload. An exception thrown by `onSecureConnection`
 * (which then destroys that connection) or by `onHandshakeError` is rethrown uncaught, as from
 * any event listener.
 */
export function createImplicitTlsServer(
  store: TlsContextStore,
  onSecureConnection: (socket: TLSSocket) => void,
  options: ImplicitTlsServerOptions = {},
): Server {
  const server = createServer({ noDelay: true }, (socket) => {
    const upgrade = {
      ...(options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    upgradeSocket(socket, store, upgrade)
      .then(
        (secure) => {
          try {
            onSecureConnection(secure);
          } catch (error) {
            secure.destroy();
            throw error;
          }
        },
        (error: TlsHandshakeError) => options.onHandshakeError?.(error, socket),
      )
      .catch((error: unknown) => {
        // A throwing callback is a programming error: rethrow it as a throwing 'connection'
        // listener would be, rather than as an unhandled rejection.
        process.nextTick(() => {
          throw error;
        });
      });
  });
  return server;
}
