/** A certificate and its private key given as PEM text or bytes. */
export interface PemPair {
  /** The certificate in PEM, leaf first, followed by any intermediates the client needs. */
  readonly cert: string | Uint8Array;
  /** The private key in PEM (PKCS#8, PKCS#1 or SEC1). */
  readonly key: string | Uint8Array;
  /** PEM CA certificates trusted to verify client certificates (see `requestClientCertificate`). */
  readonly ca?: string | Uint8Array;
  /** The passphrase of an encrypted private key. */
  readonly passphrase?: string;
}

/** A certificate and its private key given as PEM file paths, read at load and on every reload. */
export interface PemFiles {
  /** Path of the certificate chain in PEM, leaf first. */
  readonly certFile: string;
  /** Path of the private key in PEM. */
  readonly keyFile: string;
  /** Path of PEM CA certificates trusted to verify client certificates. */
  readonly caFile?: string;
  /** The passphrase of an encrypted private key. */
  readonly passphrase?: string;
}

/** Where a certificate comes from: PEM in memory or PEM files. */
export type CertificateSource = PemPair | PemFiles;

/** The lowest TLS version accepted. TLS 1.0 and 1.1 are deprecated by RFC 8996. */
export type TlsMinVersion = "TLSv1.2" | "TLSv1.3";

/** What a server takes to speak TLS: the certificates, and how strict to be. */
export interface TlsOptions {
  /** The certificate used when the client sends no SNI name, or one that matches no `sni` entry. */
  readonly default: CertificateSource;
  /**
   * Certificates by SNI server name (RFC 6066 §3). Keys are host names (`mx.example.org`) or
   * wildcards of one leftmost label (`*.example.org` matches `a.example.org`, not `example.org`
   * nor `a.b.example.org`). Matching ignores case and a trailing dot; Unicode names are converted
   * to their A-label (punycode) form.
   */
  readonly sni?: Readonly<Record<string, CertificateSource>>;
  /** The lowest protocol version accepted. Default `"TLSv1.2"`. */
  readonly minVersion?: TlsMinVersion;
  /** How long a client has to complete the TLS handshake, in milliseconds. Default 30 000. */
  readonly handshakeTimeoutMs?: number;
  /**
   * Ask the client for a certificate (it may decline; nothing is rejected for it). The outcome is
   * in `describeTls(socket).peerCertificate`, verified against the `ca` of the context. Default false.
   */
  readonly requestClientCertificate?: boolean;
}

/** The defaults of {@link TlsOptions}, each with its reason. */
export const TLS_DEFAULTS = {
  /** RFC 8996 deprecates TLS 1.0 and 1.1; RFC 8314 §4.1 asks for TLS 1.2 or later. */
  minVersion: "TLSv1.2",
  /**
   * A handshake is two or three round trips, well under a second on most links; 30 s leaves room
   * for slow links and loaded clients while a silent client holds a connection slot for at most
   * that long (Node's own tls.Server waits 120 s, Postfix 300 s, both generous for an MTA).
   */
  handshakeTimeoutMs: 30_000,
  /** SMTP clients rarely have certificates; asking is opt-in. */
  requestClientCertificate: false,
} as const satisfies Required<Omit<TlsOptions, "default" | "sni">>;

/** True when `source` names files rather than holding PEM. */
export function isPemFiles(source: CertificateSource): source is PemFiles {
  return "certFile" in source;
}

/** The longest timer Node can run (2^31 - 1 ms, about 24.8 days); a longer one would fire at once. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** True for a usable timeout: a positive number of milliseconds a Node timer can wait. */
export function isValidTimeoutMs(value: number): boolean {
  return typeof value === "number" && value > 0 && value <= MAX_TIMEOUT_MS;
}
