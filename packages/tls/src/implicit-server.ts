import { createServer, type Server, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { TlsContextStore } from "./context-store.js";
import type { TlsHandshakeError } from "./errors.js";
import { upgradeSocket } from "./upgrade.js";

/** Options of {@link createImplicitTlsServer}. */
export interface ImplicitTlsServerOptions {
  /** Overrides the store's `handshakeTimeoutMs` for this server. */
  readonly handshakeTimeoutMs?: number;
  /** Told of every handshake that fails (the socket is already destroyed). Default: ignored. */
  readonly onHandshakeError?: (error: TlsHandshakeError, socket: Socket) => void;
}

/**
 * A `net.Server` that speaks implicit TLS (RFC 8314 §3, port 465) with the store's contexts:
 * each accepted socket goes through {@link upgradeSocket} (handshake timeout, SNI, current
 * certificates after a reload, no renegotiation) and `onSecureConnection` receives it once secure.
 * Built on `net` rather than `tls.createServer` because the latter ignores `secureContext`, so
 * the default certificate could not follow a reload.
 */
export function createImplicitTlsServer(
  store: TlsContextStore,
  onSecureConnection: (socket: TLSSocket) => void,
  options: ImplicitTlsServerOptions = {},
): Server {
  const server = createServer({ noDelay: true }, (socket) => {
    const upgrade = options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs };
    upgradeSocket(socket, store, upgrade).then(onSecureConnection, (error: TlsHandshakeError) => {
      options.onHandshakeError?.(error, socket);
    });
  });
  return server;
}
