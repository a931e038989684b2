import type { BareLineEndingPolicy, BodyLineEndingPolicy } from "@lmail/parser";
import type { ConnectionInfo, Protocol } from "./types.js";

/** The SMTP service extensions a session may advertise (each on by default where it applies). */
export interface ExtensionOptions {
  /** PIPELINING (RFC 2920). Default true: the session answers pipelined commands in order either way. */
  readonly pipelining?: boolean;
  /** SIZE (RFC 1870), advertised with `limits.maxMessageBytes`. Default true. */
  readonly size?: boolean;
  /** 8BITMIME (RFC 6152). Default true. */
  readonly eightBitMime?: boolean;
  /** SMTPUTF8 (RFC 6531). Default true. */
  readonly smtputf8?: boolean;
  /** ENHANCEDSTATUSCODES (RFC 2034): enhanced codes on every reply after EHLO. Default true. */
  readonly enhancedStatusCodes?: boolean;
  /** CHUNKING (RFC 3030): the BDAT command. Default true. */
  readonly chunking?: boolean;
  /** BINARYMIME (RFC 3030), only together with CHUNKING. Default true. */
  readonly binaryMime?: boolean;
  /** DSN (RFC 3461): the NOTIFY, ORCPT, RET and ENVID parameters are passed to the application. Default true. */
  readonly dsn?: boolean;
  /** REQUIRETLS (RFC 8689), advertised only under TLS. Default true. */
  readonly requireTls?: boolean;
}

/** AUTH (RFC 4954) settings. */
export interface AuthOptions {
  /** Offer AUTH only under TLS; without TLS, AUTH gets 538 5.7.11. Default true: passwords never cross in clear text. */
  readonly requireTls?: boolean;
  /** MAIL needs a successful AUTH first (530 5.7.0): a submission server. Default false: an MX takes mail from anyone. */
  readonly required?: boolean;
  /** The SASL mechanisms offered, in order. Default ["PLAIN", "LOGIN"]. */
  readonly mechanisms?: readonly ("PLAIN" | "LOGIN")[];
}

/** Limits, each with a default and its reason. */
export interface SessionLimits {
  /** Recipients per transaction, then 452 4.5.3. Default 100: RFC 5321 §4.5.3.1.8 requires at least 100. */
  readonly maxRecipients?: number;
  /** Message size in octets (advertised in SIZE; 0 = no limit). Default 26_214_400 (25 MiB): a common provider limit that bounds disk use. */
  readonly maxMessageBytes?: number;
  /** A command line in octets, CRLF included. Default 512: RFC 5321 §4.5.3.1.4. */
  readonly maxCommandLineBytes?: number;
  /** A line of the AUTH exchange in octets, CRLF included. Default 12_288: RFC 4954 §4 asks servers to take at least 12288. */
  readonly maxAuthLineBytes?: number;
  /**
   * A text line of a DATA body in octets, CRLF included; 0 = no limit. Default 0: RFC 5321 §4.5.3.1.6
   * says 1000, but real mail breaks it daily and the decoder's memory does not grow with line length.
   */
  readonly maxTextLineBytes?: number;
  /** Negative replies (the application's refusals included) since the last delivered message, then 421 and close. Default 20: Postfix's smtpd_hard_error_limit. */
  readonly maxErrors?: number;
  /** Unrecognised commands per session, then 421 and close. Default 5: a client that speaks another protocol stops quickly. */
  readonly maxUnknownCommands?: number;
  /** NOOP, RSET, VRFY, EXPN and HELP since the last delivered message, then 421 and close. Default 100: Postfix's smtpd_junk_command_limit, bounds keep-alive abuse. */
  readonly maxJunkCommands?: number;
  /** Failed AUTH attempts per session, then 421 and close. Default 3: slows password guessing to a crawl per connection. */
  readonly maxAuthFailures?: number;
  /**
   * Input octets held while a decision is pending, then 421 4.7.0 and close. Default 1_048_576 (1 MiB): room for a
   * pipelined batch with a BDAT chunk, while a client that writes without reading gets bounded memory. Transports
   * should stop reading well before (see `bufferedBytes`); this is the backstop.
   */
  readonly maxPendingInputBytes?: number;
}

/** Options of {@link SmtpSession}. All are optional but `hostname` and `connection`. */
export interface SessionOptions {
  /** The server's name, in the greeting, EHLO reply and closing replies. */
  readonly hostname: string;
  /** What the transport knows about the connection; `connection.tls` means implicit TLS. */
  readonly connection: ConnectionInfo;
  /** "smtp" (default) or "lmtp" (RFC 2033: LHLO, one reply per recipient after the message). */
  readonly protocol?: Protocol;
  /** The transport can upgrade with STARTTLS (RFC 3207): advertise and accept it. Default false. */
  readonly starttls?: boolean;
  /** The application checks credentials (it has an `auth` hook): offer AUTH. Default false (no AUTH). */
  readonly auth?: boolean | AuthOptions;
  /** MAIL needs TLS first (530 5.7.0 Must issue a STARTTLS command first). Default false: RFC 3207 §4 forbids it on a public MX. */
  readonly requireTls?: boolean;
  /** Extensions to advertise; each defaults to true. */
  readonly extensions?: ExtensionOptions;
  /** Limits; see {@link SessionLimits} for the defaults. */
  readonly limits?: SessionLimits;
  /** Bare LF / bare CR in a command line. Default "reject" (500 5.5.2): SMTP smuggling needs lenient line ends. */
  readonly commandLineEndings?: BareLineEndingPolicy;
  /** Bare LF / bare CR in a DATA body. Default "reject" (550 5.5.2 after the end of data), as Postfix does since the 2023 smuggling attacks. */
  readonly bodyLineEndings?: BodyLineEndingPolicy;
  /**
   * Protocol synchronisation (RFC 5321 §4.3.1 greeting first): a client that sends bytes before the greeting
   * went out gets 554 5.5.0 and is closed. Default false: useful only when the transport delays the greeting.
   */
  readonly rejectEarlyTalkers?: boolean;
  /** Text after `<hostname>` in the greeting. Default "ESMTP" (LMTP: "LMTP"). */
  readonly greetingText?: string;
}

/** The options with every default filled in. */
export interface ResolvedOptions {
  readonly hostname: string;
  readonly connection: ConnectionInfo;
  readonly protocol: Protocol;
  readonly starttls: boolean;
  readonly auth: false | Required<AuthOptions>;
  readonly requireTls: boolean;
  readonly extensions: Required<ExtensionOptions>;
  readonly limits: Required<SessionLimits>;
  readonly commandLineEndings: BareLineEndingPolicy;
  readonly bodyLineEndings: BodyLineEndingPolicy;
  readonly rejectEarlyTalkers: boolean;
  readonly greetingText: string;
}

/** The default limits, as documented in {@link SessionLimits}. */
export const defaultLimits: Required<SessionLimits> = Object.freeze({
  maxRecipients: 100,
  maxMessageBytes: 26_214_400,
  maxCommandLineBytes: 512,
  maxAuthLineBytes: 12_288,
  maxTextLineBytes: 0,
  maxErrors: 20,
  maxUnknownCommands: 5,
  maxJunkCommands: 100,
  maxAuthFailures: 3,
  maxPendingInputBytes: 1_048_576,
});

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
  return value;
}

/** Fill in the defaults; throws a `RangeError` for a limit that is not a non-negative integer. */
export function resolveOptions(o: SessionOptions): ResolvedOptions {
  if (typeof o.hostname !== "string" || o.hostname === "") throw new TypeError("hostname is required");
  const protocol = o.protocol ?? "smtp";
  const limits: Required<SessionLimits> = Object.assign({}, defaultLimits, o.limits);
  for (const [name, value] of Object.entries(limits)) nonNegativeInteger(name, value);
  // the line framer needs room for at least one octet and CRLF
  if (limits.maxCommandLineBytes < 3 || limits.maxAuthLineBytes < 3) throw new RangeError("line limits must be at least 3 octets");
  const e = o.extensions ?? {};
  const auth =
    o.auth === undefined || o.auth === false
      ? false
      : {
          requireTls: (o.auth === true ? undefined : o.auth.requireTls) ?? true,
          required: (o.auth === true ? undefined : o.auth.required) ?? false,
          mechanisms: (o.auth === true ? undefined : o.auth.mechanisms) ?? (["PLAIN", "LOGIN"] as const),
        };
  const chunking = e.chunking ?? true;
  return {
    hostname: o.hostname,
    connection: o.connection,
    protocol,
    starttls: o.starttls ?? false,
    auth,
    requireTls: o.requireTls ?? false,
    extensions: {
      pipelining: e.pipelining ?? true,
      size: e.size ?? true,
      eightBitMime: e.eightBitMime ?? true,
      smtputf8: e.smtputf8 ?? true,
      enhancedStatusCodes: e.enhancedStatusCodes ?? true,
      chunking,
      binaryMime: chunking && (e.binaryMime ?? true),
      dsn: e.dsn ?? true,
      requireTls: e.requireTls ?? true,
    },
    limits,
    commandLineEndings: o.commandLineEndings ?? "reject",
    bodyLineEndings: o.bodyLineEndings ?? "reject",
    rejectEarlyTalkers: o.rejectEarlyTalkers ?? false,
    greetingText: o.greetingText ?? (protocol === "lmtp" ? "LMTP" : "ESMTP"),
  };
}
