import { isIP } from "node:net";

/** Options of {@link generateSelfSigned}. */
export interface SelfSignedOptions {
  /**
   * Names the certificate is for: host names (wildcards allowed) and IP addresses, the first also
   * being the subject's common name. Default `["localhost", "127.0.0.1", "::1"]`: what local tests
   * and a development daemon connect to.
   */
  readonly hostnames?: readonly string[];
  /** Validity in days from now. Default 30: a throwaway certificate outlives any development run. */
  readonly days?: number;
}

/** The defaults of {@link SelfSignedOptions}. */
export const SELF_SIGNED_DEFAULTS = {
  hostnames: ["localhost", "127.0.0.1", "::1"],
  days: 30,
} as const;

// Valid from an hour ago, so that a peer whose clock lags a little still accepts it.
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A throwaway self-signed certificate and its private key (ECDSA P-256, SHA-256), made in memory
 * at run time, for tests and development. Never use it where clients verify certificates.
 * Made with the `selfsigned` library (pure JavaScript over WebCrypto: no openssl binary needed).
 */
export async function generateSelfSigned(options: SelfSignedOptions = {}): Promise<{ cert: string; key: string }> {
  const hostnames = options.hostnames ?? SELF_SIGNED_DEFAULTS.hostnames;
  const days = options.days ?? SELF_SIGNED_DEFAULTS.days;
  const first = hostnames[0];
  if (first === undefined) throw new RangeError("generateSelfSigned: hostnames must name at least one host");
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`generateSelfSigned: days must be positive, not ${days}`);
  const now = Date.now();
  // Loaded on first use: `selfsigned` pulls in an X.509/ASN.1 stack (several MiB of heap) that a
  // server with its own certificates, or without TLS, never needs.
  const { generate } = await import("selfsigned");
  const result = await generate([{ name: "commonName", value: first }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now - CLOCK_SKEW_MS),
    notAfterDate: new Date(now + days * DAY_MS),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", serverAuth: true, clientAuth: true },
      {
        name: "subjectAltName",
        altNames: hostnames.map((name) => (isIP(name) === 0 ? { type: 2 as const, value: name } : { type: 7 as const, ip: name })),
      },
    ],
  });
  return { cert: result.cert, key: result.private };
}
