import type { TLSSocket } from "node:tls";

/**
 * What a session learns about its TLS layer. Structurally the same as `TlsInfo` of
 * `@lmail/session` (declared here because @lmail/tls depends on nothing).
 */
export interface TlsInfo {
  /** Negotiated protocol, e.g. "TLSv1.3". */
  readonly protocol: string;
  /** Negotiated cipher suite name, e.g. "TLS_AES_256_GCM_SHA384". */
  readonly cipher: string;
  /** The SNI name the client asked for, if any. */
  readonly servername?: string;
  /** True for implicit TLS (RFC 8314), false after STARTTLS. */
  readonly implicit: boolean;
  /** The client certificate, when one was presented. */
  readonly peerCertificate?: { readonly subject: string; readonly fingerprint256: string; readonly authorized: boolean };
}

/**
 * Describes an established TLS connection (server side): protocol, cipher, SNI name and the
 * client certificate when one was requested and presented. `subject` is Node's
 * `X509Certificate.subject` (one `attribute=value` per line).
 */
export function describeTls(socket: TLSSocket, implicit: boolean): TlsInfo {
  const servername = (socket as TLSSocket & { servername?: string | false | null }).servername;
  const peer = socket.getPeerX509Certificate();
  return {
    protocol: socket.getProtocol() ?? "unknown",
    cipher: socket.getCipher()?.name ?? "unknown",
    ...(typeof servername === "string" && servername !== "" ? { servername } : {}),
    implicit,
    ...(peer === undefined
      ? {}
      : { peerCertificate: { subject: peer.subject, fingerprint256: peer.fingerprint256, authorized: socket.authorized } }),
  };
}
