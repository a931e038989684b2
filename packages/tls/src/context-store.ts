import { X509Certificate, constants, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createSecureContext, type SecureContext, type SecureContextOptions, type TLSSocketOptions } from "node:tls";
import { TlsConfigError, TlsConfigErrorCode } from "./errors.js";
import { isPemFiles, isValidTimeoutMs, MAX_TIMEOUT_MS, TLS_DEFAULTS, type CertificateSource, type TlsMinVersion, type TlsOptions } from "./options.js";
import { normalizeSniKey, sniCandidates } from "./server-name.js";

/** The name of the entry used when no SNI entry matches, in reports and errors. */
export const DEFAULT_ENTRY = "default";
// Internally the default lives under a key no host name can have.
const DEFAULT_KEY = "";
const displayName = (key: string): string => (key === DEFAULT_KEY ? DEFAULT_ENTRY : key);

// Names lmail's sessions for resumption, so that they resume only on lmail servers.
const SESSION_ID_CONTEXT = "lmail-tls";

// Contexts built by TlsContextStore.load() from files read asynchronously, handed to the
// constructor (synchronously, so nothing else can see it).
let preloaded: { plan: Plan; entries: Map<string, Entry> } | undefined;

/** What was loaded for one entry, for logs and checks. */
export interface CertificateInfo {
  /** `"default"` or the normalised SNI key. */
  readonly entry: string;
  /** The leaf certificate's subject, one `attribute=value` per line (Node's `X509Certificate.subject`). */
  readonly subject: string;
  /** The leaf certificate's subject alternative names, e.g. `"DNS:mx.example.org, DNS:*.example.org"`. */
  readonly subjectAltName?: string;
  readonly validFrom: Date;
  readonly validTo: Date;
  /** SHA-256 fingerprint, colon-separated hex pairs. */
  readonly fingerprint256: string;
  /** When this entry's context was built. */
  readonly loadedAt: Date;
}

/** What {@link TlsContextStore.reload} did. */
export interface ReloadResult {
  /** True when every entry loaded; false when at least one kept its old certificate or was not added. */
  readonly ok: boolean;
  /** Entries whose new certificate is now in use (new connections get it). */
  readonly reloaded: readonly string[];
  /** Entries whose new certificate could not be used: the old one stays in use (if there was one), and why. */
  readonly failed: readonly { readonly entry: string; readonly error: TlsConfigError }[];
  /** SNI entries dropped because the new options no longer list them. */
  readonly removed: readonly string[];
}

interface Settings {
  readonly minVersion: TlsMinVersion;
  readonly handshakeTimeoutMs: number;
  readonly requestClientCertificate: boolean;
}

interface Entry {
  readonly context: SecureContext;
  /** The options `context` was built from: a tls.Server given them gets an equivalent default context. */
  readonly contextOptions: SecureContextOptions;
  readonly info: CertificateInfo;
}

/**
 * Internal to the package (not exported from index.ts): the secure-context options of the
 * store's current default entry, for the `tls.Server` that {@link upgradeSocket} injects a
 * socket into. Node builds a tls.Server's default context from such options (it takes no
 * SecureContext object), and uses it for clients that send no SNI name.
 */
export let defaultContextOptions: (store: TlsContextStore) => SecureContextOptions;

interface Material {
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
  readonly ca?: string | Uint8Array;
  readonly passphrase?: string;
}

interface Plan {
  readonly settings: Settings;
  /** Normalised entry name → source, default first. */
  readonly sources: ReadonlyMap<string, CertificateSource>;
}

/**
 * The secure contexts of a server: a default one and one per SNI name, swapped atomically on
 * {@link reload}. A connection keeps the context it was accepted with, so reloading never
 * disturbs a live session; only new handshakes see the new certificates.
 */
export class TlsContextStore {
  static {
    defaultContextOptions = (store) => store.#entries.get(DEFAULT_KEY)!.contextOptions;
  }

  #plan: Plan;
  #entries = new Map<string, Entry>();
  #reloading: Promise<unknown> = Promise.resolve();

  /**
   * Builds every context now, reading files synchronously (meant for startup; use {@link load}
   * to read them asynchronously). Throws a {@link TlsConfigError} on the first entry that cannot be used.
   */
  constructor(options: TlsOptions) {
    if (preloaded !== undefined) {
      ({ plan: this.#plan, entries: this.#entries } = preloaded);
      preloaded = undefined;
      return;
    }
    this.#plan = plan(options);
    for (const [key, source] of this.#plan.sources) {
      this.#entries.set(key, buildEntry(key, readSync(key, source), this.#plan.settings));
    }
  }

  /** Like the constructor, with files read asynchronously. Rejects with a {@link TlsConfigError}. */
  static async load(options: TlsOptions): Promise<TlsContextStore> {
    const p = plan(options);
    const entries = new Map<string, Entry>();
    for (const [key, source] of p.sources) {
      entries.set(key, buildEntry(key, await readAsync(key, source), p.settings));
    }
    preloaded = { plan: p, entries };
    return new TlsContextStore(options);
  }

  /** The handshake time limit in milliseconds, from the options (default 30 000). */
  get handshakeTimeoutMs(): number {
    return this.#plan.settings.handshakeTimeoutMs;
  }

  /** The lowest TLS version accepted, from the options (default `"TLSv1.2"`). */
  get minVersion(): TlsMinVersion {
    return this.#plan.settings.minVersion;
  }

  /** Whether client certificates are requested. */
  get requestClientCertificate(): boolean {
    return this.#plan.settings.requestClientCertificate;
  }

  /**
   * The context for an SNI server name: the exact entry, else its one-label wildcard, else the
   * default. Never throws.
   */
  contextFor(servername?: string): SecureContext {
    return this.#entryFor(servername).context;
  }

  /** Which entry serves `servername`: `"default"` or the matching SNI key. */
  entryFor(servername?: string): string {
    return this.#entryFor(servername).info.entry;
  }

  #entryFor(servername: string | undefined): Entry {
    if (servername !== undefined && servername !== "") {
      for (const key of sniCandidates(servername)) {
        const entry = this.#entries.get(key);
        if (entry !== undefined) return entry;
      }
    }
    return this.#entries.get(DEFAULT_KEY)!;
  }

  /** For the `SNICallback` option of Node's TLS APIs. Always answers a context (the default when nothing matches). */
  readonly sniCallback = (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void => {
    cb(null, this.contextFor(servername));
  };

  /**
   * Options for `new tls.TLSSocket(socket, store.serverOptions())`, the server side of a
   * connection: the current default context, SNI, client certificates as configured (never
   * required). The protocol floor and the refusal of renegotiation are part of every context.
   * A socket made this way lacks what only a tls.Server sets up (`authorized`, post-handshake
   * errors as 'error'): prefer {@link upgradeSocket}, which runs the handshake in a tls.Server
   * and adds the handshake timeout and `disableRenegotiation()`.
   * Node's `tls.createServer` ignores `secureContext`; serve implicit TLS with
   * {@link createImplicitTlsServer} or `net.createServer` and {@link upgradeSocket} instead.
   */
  serverOptions(): TLSSocketOptions {
    const { requestClientCertificate } = this.#plan.settings;
    return {
      isServer: true,
      secureContext: this.contextFor(undefined),
      SNICallback: this.sniCallback,
      requestCert: requestClientCertificate,
      // A client certificate is information (describeTls reports `authorized`), never a reason to
      // drop the connection: SMTP clients rarely have one that verifies.
      rejectUnauthorized: false,
    };
  }

  /** What is loaded, one record per entry, default first. */
  certificates(): CertificateInfo[] {
    return [...this.#entries.values()].map((entry) => entry.info);
  }

  /**
   * Re-reads every file (or takes new options: entries added, replaced or removed) and swaps in
   * each context that builds. An entry whose new certificate cannot be used keeps its old one and
   * is reported in `failed`; a new SNI entry that fails is not added. Never rejects. Reloads run
   * one at a time in call order.
   */
  reload(options?: TlsOptions): Promise<ReloadResult> {
    const run = this.#reloading.then(() => this.#reload(options));
    this.#reloading = run;
    return run;
  }

  async #reload(options: TlsOptions | undefined): Promise<ReloadResult> {
    let next: Plan;
    try {
      next = options === undefined ? this.#plan : plan(options);
    } catch (error) {
      const e = asConfigError(error, DEFAULT_KEY, TlsConfigErrorCode.BadOption);
      return { ok: false, reloaded: [], failed: [{ entry: e.entry, error: e }], removed: [] };
    }
    const built = new Map<string, Entry>();
    const reloaded: string[] = [];
    const failed: { entry: string; error: TlsConfigError }[] = [];
    for (const [key, source] of next.sources) {
      try {
        built.set(key, buildEntry(key, await readAsync(key, source), next.settings));
        reloaded.push(displayName(key));
      } catch (error) {
        failed.push({ entry: displayName(key), error: asConfigError(error, key) });
        const old = this.#entries.get(key);
        if (old !== undefined) built.set(key, old);
      }
    }
    const removed = [...this.#entries.keys()].filter((key) => !next.sources.has(key));
    // The default always exists in both plans, and a failed default keeps the old one.
    this.#entries = built;
    this.#plan = next;
    return { ok: failed.length === 0, reloaded, failed, removed };
  }
}

function plan(options: TlsOptions): Plan {
  const minVersion = options.minVersion ?? TLS_DEFAULTS.minVersion;
  if (minVersion !== "TLSv1.2" && minVersion !== "TLSv1.3") {
    throw new TlsConfigError(TlsConfigErrorCode.BadOption, DEFAULT_ENTRY, `minVersion must be "TLSv1.2" or "TLSv1.3", not ${String(minVersion)}`);
  }
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? TLS_DEFAULTS.handshakeTimeoutMs;
  if (!isValidTimeoutMs(handshakeTimeoutMs)) {
    throw new TlsConfigError(TlsConfigErrorCode.BadOption, DEFAULT_ENTRY, `handshakeTimeoutMs must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS}, not ${String(handshakeTimeoutMs)}`);
  }
  const settings: Settings = {
    minVersion,
    handshakeTimeoutMs,
    requestClientCertificate: options.requestClientCertificate ?? TLS_DEFAULTS.requestClientCertificate,
  };
  if (typeof options.default !== "object" || options.default === null) {
    throw new TlsConfigError(TlsConfigErrorCode.BadOption, DEFAULT_ENTRY, "a default certificate is required");
  }
  const sources = new Map<string, CertificateSource>([[DEFAULT_KEY, options.default]]);
  for (const [key, source] of Object.entries(options.sni ?? {})) {
    const name = normalizeSniKey(key);
    if (name === undefined) {
      throw new TlsConfigError(TlsConfigErrorCode.BadOption, key, "an SNI key must be a host name or `*.` and a host name (one wildcard label, leftmost)");
    }
    if (sources.has(name)) {
      throw new TlsConfigError(TlsConfigErrorCode.BadOption, key, `the SNI key is listed twice (as ${name})`);
    }
    sources.set(name, source);
  }
  return { settings, sources };
}

function readSync(name: string, source: CertificateSource): Material {
  if (!isPemFiles(source)) return source;
  const read = (file: string): Uint8Array => {
    try {
      return readFileSync(file);
    } catch (cause) {
      throw readError(name, file, cause);
    }
  };
  return material(source.passphrase, read(source.certFile), read(source.keyFile), source.caFile === undefined ? undefined : read(source.caFile));
}

async function readAsync(name: string, source: CertificateSource): Promise<Material> {
  if (!isPemFiles(source)) return source;
  const read = async (file: string): Promise<Uint8Array> => {
    try {
      return await readFile(file);
    } catch (cause) {
      throw readError(name, file, cause);
    }
  };
  const [cert, key, ca] = await Promise.all([read(source.certFile), read(source.keyFile), source.caFile === undefined ? undefined : read(source.caFile)]);
  return material(source.passphrase, cert, key, ca);
}

function material(passphrase: string | undefined, cert: Uint8Array, key: Uint8Array, ca: Uint8Array | undefined): Material {
  return { cert, key, ...(ca === undefined ? {} : { ca }), ...(passphrase === undefined ? {} : { passphrase }) };
}

function readError(key: string, file: string, cause: unknown): TlsConfigError {
  const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
  return new TlsConfigError(TlsConfigErrorCode.Read, displayName(key), `cannot read ${file} (${reason})`, { cause, file });
}

function asConfigError(error: unknown, key: string, code: TlsConfigErrorCode = TlsConfigErrorCode.BadPair): TlsConfigError {
  return error instanceof TlsConfigError ? error : new TlsConfigError(code, displayName(key), String(error), { cause: error });
}

function pem(value: string | Uint8Array): string | Buffer {
  return typeof value === "string" ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

function buildEntry(key: string, m: Material, settings: Settings): Entry {
  const name = displayName(key);
  let context: SecureContext;
  let contextOptions: SecureContextOptions;
  try {
    contextOptions = {
      cert: pem(m.cert),
      key: pem(m.key),
      ...(m.ca === undefined ? {} : { ca: pem(m.ca) }),
      ...(m.passphrase === undefined ? {} : { passphrase: m.passphrase }),
      minVersion: settings.minVersion,
      // Refuse client-initiated renegotiation in OpenSSL itself (a no_renegotiation alert): it
      // costs the server far more than the client (CVE-2011-1473) and SMTP never needs it.
      secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
      // OpenSSL refuses to resume a session without one when client certificates are requested
      // (an internal_error alert); tls.Server sets it too. At most 32 bytes.
      sessionIdContext: SESSION_ID_CONTEXT,
      // Fixed per entry build so that tickets issued by the context built here and by a tls.Server
      // built from the same options (see upgradeSocket) are interchangeable; a reload makes new ones.
      ticketKeys: randomBytes(48),
    };
    context = createSecureContext(contextOptions);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new TlsConfigError(TlsConfigErrorCode.BadPair, name, `the certificate and key cannot be used: ${detail}`, { cause });
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem(m.cert));
  } catch (cause) {
    throw new TlsConfigError(TlsConfigErrorCode.BadPair, name, "the certificate cannot be parsed", { cause });
  }
  const info: CertificateInfo = {
    entry: name,
    subject: x509.subject,
    ...(x509.subjectAltName === undefined ? {} : { subjectAltName: x509.subjectAltName }),
    validFrom: new Date(x509.validFrom),
    validTo: new Date(x509.validTo),
    fingerprint256: x509.fingerprint256,
    loadedAt: new Date(),
  };
  return { context, contextOptions, info };
}
