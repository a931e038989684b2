import type { TLSSocket } from "node:tls";

// Node finishes the setup of a server-side TLSSocket inside tls.Server (its internal
// onServerSocketSecure and _releaseControl), never for a socket made with the documented
// `new TLSSocket(socket, { isServer: true })` that STARTTLS needs. Two things go missing:
//  - `authorized` / `authorizationError` stay unset when a client certificate was requested;
//  - TLS errors after the handshake (a fatal alert, a bad record, a refused renegotiation) are
//    emitted only as the internal '_tlsError' event, and the connection is left open.
// This file does those two steps the way tls.Server does, feature-detected, so that a socket
// upgraded by lmail behaves like one accepted by tls.Server. Tests in test/ fail if Node changes.

interface ServerSocketInternals {
  _handle?: { verifyError?: () => (Error & { code?: string }) | null | undefined } | null;
}

/** Called once on 'secure': sets `authorized`/`authorizationError` and surfaces later TLS errors. */
export function finishServerSocket(secure: TLSSocket, requestedCertificate: boolean): void {
  if (requestedCertificate) {
    const verifyError = (secure as unknown as ServerSocketInternals)._handle?.verifyError?.();
    if (verifyError === null) {
      secure.authorized = true;
    } else if (verifyError !== undefined) {
      secure.authorized = false;
      // tls.Server stores the OpenSSL code string here (e.g. "DEPTH_ZERO_SELF_SIGNED_CERT"),
      // though @types/node declares an Error.
      (secure as unknown as { authorizationError: string }).authorizationError = verifyError.code ?? verifyError.message;
    }
  }
  secure.on("_tlsError", (error: Error) => {
    if (!secure.destroyed) secure.destroy(error);
  });
}
