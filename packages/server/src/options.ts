/**
 * The server's options, their defaults, and the reason for each default.
 */
import { hostname as osHostname } from "node:os";
import type { Handler, Protocol } from "@lmail/session";
import type { TlsContextStore, TlsOptions } from "@lmail/tls";
import type { SessionSettings } from "./session-settings.js";

/** Looks up the reverse-DNS name of an address; `undefined` when it has none. */
export type ReverseResolver = (address: string, signal: AbortSignal) => Promise<string | undefined>;

/** PROXY protocol (v1 and v2) settings. */
export interface ProxyProtocolOptions {
  /**
   * Addresses allowed to send a PROXY header: IPs (`"10.0.0.5"`, `"::1"`) or CIDR blocks
   * (`"10.0.0.0/8"`, `"fd00::/8"`). A connection from one of them must start with a header; any other
   * connection is served as a direct client and never may send one.
   */
  readonly trusted: readonly string[];
  /** How long a trusted peer has to send the whole header, in ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** The largest header accepted, in bytes (v2 headers carry TLVs). Default 4096. */
  readonly maxHeaderBytes?: number;
}

export interface ServerOptions {
  /** The application: hooks for connect, helo, auth, mail, rcpt, data, reset, close. Default: accept everything, read and drop bodies. */
  readonly handler?: Handler;
  /** The server's name in the greeting, EHLO reply and `Received:` field. Default: `os.hostname()`. */
  readonly hostname?: string;
  /** "smtp" (default) or "lmtp" (RFC 2033). */
  readonly protocol?: Protocol;
  /**
   * TLS certificates: a `TlsContextStore` from @lmail/tls (to reload it yourself) or its options
   * (the server makes the store). Enables STARTTLS on plain listeners and allows implicit-TLS listeners.
   */
  readonly tls?: TlsOptions | TlsContextStore;
  /** Protocol limits and extensions handed to every session (see @lmail/session). */
  readonly session?: SessionSettings;

  /** Connections open at once, all clients together. Default 1000. */
  readonly maxConnections?: number;
  /** Connections open at once from one client address. Default 20. */
  readonly maxConnectionsPerAddress?: number;

  /** Waiting for a command (RFC 5321 §4.5.3.2.7: 5 minutes); also the idle timeout (421 4.4.2). Default 300 000. */
  readonly commandTimeoutMs?: number;
  /** Waiting for the next block of message bytes (RFC 5321 §4.5.3.2.5: 3 minutes). Default 180 000. */
  readonly dataBlockTimeoutMs?: number;
  /**
   * The least average rate a client must keep up while sending a message, in bytes per second: every
   * block received extends the data deadline by `bytes / rate`, never beyond `dataBlockTimeoutMs` from
   * now, so a client trickling a byte every few seconds is cut off (Postfix `smtpd_min_data_rate`,
   * default 500). 0 turns the rate check off (only the block timeout applies). Default 500.
   */
  readonly minDataRateBytesPerSecond?: number;
  /**
   * How long a hook may take to decide (RFC 5321 §4.5.3.2.6: a client waits 10 minutes for the reply
   * to the end of data; a decision slower than that is lost anyway). Default 600 000.
   */
  readonly hookTimeoutMs?: number;
  /** How long a reply may wait for a client that does not read (the socket's write buffer stays full). Default 60 000. */
  readonly writeTimeoutMs?: number;
  /** TLS handshake limit for STARTTLS and implicit TLS, in ms. Default: the TLS store's `handshakeTimeoutMs` (30 000). */
  readonly tlsHandshakeTimeoutMs?: number;

  /** PROXY protocol from trusted load balancers. Default: off. */
  readonly proxyProtocol?: ProxyProtocolOptions;

  /** Prepend a `Received:` trace field to every message (RFC 5321 §4.4 requires it of an SMTP server). Default true. */
  readonly received?: boolean;
  /**
   * Look up the client's reverse-DNS name before the greeting: `true` for `dns.promises.reverse`, or
   * your own resolver. Off by default: a lookup costs a round trip per connection and the name is
   * only informational (it appears in `Received:` and `session.remoteHostname`).
   */
  readonly reverseDns?: boolean | ReverseResolver;
  /** How long a reverse-DNS lookup may take before the client is served without a name, in ms. Default 5000. */
  readonly reverseDnsTimeoutMs?: number;

  /** How many bytes of the message's start are parsed as its header block for the data hook. Default 65 536. */
  readonly maxHeaderBlockBytes?: number;
  /** Message bytes queued for a data hook that does not read before the socket is paused. Default 262 144. */
  readonly bodyHighWaterMarkBytes?: number;
}

/** The defaults of {@link ServerOptions}, each with its reason. */
export const SERVER_DEFAULTS = {
  protocol: "smtp",
  /** Bounds file descriptors and memory; far above what one small server sees (Postfix's process limit is 100). */
  maxConnections: 1000,
  /** One client must not take every slot; Postfix's `smtpd_client_connection_count_limit` is 50, a little generous. */
  maxConnectionsPerAddress: 20,
  /** RFC 5321 §4.5.3.2.7: the server waits at least 5 minutes for the next command. */
  commandTimeoutMs: 300_000,
  /** RFC 5321 §4.5.3.2.5: 3 minutes for each block of DATA. */
  dataBlockTimeoutMs: 180_000,
  /** Postfix `smtpd_min_data_rate` default: 500 bytes/s is slower than any real sender. */
  minDataRateBytesPerSecond: 500,
  /** RFC 5321 §4.5.3.2.6: the client waits 10 minutes for the final reply. */
  hookTimeoutMs: 600_000,
  /** A client that reads none of our replies for a minute is gone or hostile. */
  writeTimeoutMs: 60_000,
  /** A PROXY header comes in the first packet from a load balancer; 10 s is generous. */
  proxyTimeoutMs: 10_000,
  /** A v2 header with TLVs fits easily; the spec's own receive buffer is 536 bytes for v1/v2 addresses. */
  proxyMaxHeaderBytes: 4096,
  /** RFC 5321 §4.4 requires the trace field. */
  received: true,
  /** Off: a network round trip per connection for an informational name. */
  reverseDns: false,
  /** A slow resolver must not hold the greeting long. */
  reverseDnsTimeoutMs: 5000,
  /** Real header blocks are a few KiB; 64 KiB bounds what is held before the data hook runs. */
  maxHeaderBlockBytes: 65_536,
  /** A few socket reads' worth: enough to keep a fast handler busy, small per connection. */
  bodyHighWaterMarkBytes: 262_144,
} as const;

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly handler: Handler;
  readonly hostname: string;
  readonly protocol: Protocol;
  readonly session: SessionSettings;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly commandTimeoutMs: number;
  readonly dataBlockTimeoutMs: number;
  readonly minDataRateBytesPerSecond: number;
  readonly hookTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly tlsHandshakeTimeoutMs: number | undefined;
  readonly proxyProtocol: { readonly trusted: readonly string[]; readonly timeoutMs: number; readonly maxHeaderBytes: number } | undefined;
  readonly received: boolean;
  readonly reverseDns: ReverseResolver | undefined;
  readonly reverseDnsTimeoutMs: number;
  readonly maxHeaderBlockBytes: number;
  readonly bodyHighWaterMarkBytes: number;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? "non-negative" : "positive"} number, got ${String(value)}`);
  }
  return value;
}

export function resolveOptions(options: ServerOptions, defaultResolver: ReverseResolver): ResolvedOptions {
  const d = SERVER_DEFAULTS;
  const proxy = options.proxyProtocol;
  const rdns = options.reverseDns ?? d.reverseDns;
  return {
    handler: options.handler ?? {},
    hostname: options.hostname ?? osHostname(),
    protocol: options.protocol ?? d.protocol,
    session: options.session ?? {},
    maxConnections: positive("maxConnections", options.maxConnections, d.maxConnections),
    maxConnectionsPerAddress: positive("maxConnectionsPerAddress", options.maxConnectionsPerAddress, d.maxConnectionsPerAddress),
    commandTimeoutMs: positive("commandTimeoutMs", options.commandTimeoutMs, d.commandTimeoutMs),
    dataBlockTimeoutMs: positive("dataBlockTimeoutMs", options.dataBlockTimeoutMs, d.dataBlockTimeoutMs),
    minDataRateBytesPerSecond: positive("minDataRateBytesPerSecond", options.minDataRateBytesPerSecond, d.minDataRateBytesPerSecond, true),
    hookTimeoutMs: positive("hookTimeoutMs", options.hookTimeoutMs, d.hookTimeoutMs),
    writeTimeoutMs: positive("writeTimeoutMs", options.writeTimeoutMs, d.writeTimeoutMs),
    tlsHandshakeTimeoutMs:
      options.tlsHandshakeTimeoutMs === undefined ? undefined : positive("tlsHandshakeTimeoutMs", options.tlsHandshakeTimeoutMs, 0),
    proxyProtocol:
      proxy === undefined
        ? undefined
        : {
            trusted: proxy.trusted,
            timeoutMs: positive("proxyProtocol.timeoutMs", proxy.timeoutMs, d.proxyTimeoutMs),
            maxHeaderBytes: positive("proxyProtocol.maxHeaderBytes", proxy.maxHeaderBytes, d.proxyMaxHeaderBytes),
          },
    received: options.received ?? d.received,
    reverseDns: rdns === false ? undefined : rdns === true ? defaultResolver : rdns,
    reverseDnsTimeoutMs: positive("reverseDnsTimeoutMs", options.reverseDnsTimeoutMs, d.reverseDnsTimeoutMs),
    maxHeaderBlockBytes: positive("maxHeaderBlockBytes", options.maxHeaderBlockBytes, d.maxHeaderBlockBytes),
    bodyHighWaterMarkBytes: positive("bodyHighWaterMarkBytes", options.bodyHighWaterMarkBytes, d.bodyHighWaterMarkBytes),
  };
}
