/**
 * The public types of @lmail/parser. This file is the contract @lmail/session and others build on:
 * change it only compatibly. Every result that comes from client bytes is a value, never a throw;
 * a failure carries the `Reply` to send.
 */
import type { Reply } from "@lmail/codes";

// ---------------------------------------------------------------------------------------------
// Command-line framing (line-framer.ts)

/** What to do with a bare LF or bare CR inside a command line. */
export type BareLineEndingPolicy = "reject" | "accept";

export interface LineFramerOptions {
  /** RFC 5321 §4.5.3.1.4: a command line is at most 512 octets including CRLF. Default 512. */
  readonly maxLineBytes?: number;
  /** Bare LF / bare CR in a command line. Default "reject" (the line gets 500 5.5.2). "accept" treats a bare LF as a line end. */
  readonly bareLineEndings?: BareLineEndingPolicy;
}

/** One framed command line, or the report of a line that could not be framed. */
export type FramedLine =
  | { readonly kind: "line"; /** the line without its CRLF */ readonly line: Uint8Array }
  | { readonly kind: "too-long"; readonly reply: Reply }
  | { readonly kind: "bare-line-ending"; readonly reply: Reply };

// ---------------------------------------------------------------------------------------------
// Addresses (address.ts)

/** A mailbox address from a path (RFC 5321 §4.1.2), as given and normalised. Frozen. */
export interface Address {
  /** The mailbox exactly as given, `local@domain` (no angle brackets, no source route). */
  readonly raw: string;
  /** The local part as given: a dot-string, or a quoted-string with its quotes. */
  readonly localPart: string;
  /** The local part with quoting undone (`"a b"` → `a b`, `"x\"y"` → `x"y`). */
  readonly localPartUnquoted: string;
  /** The domain as given (U-labels kept), or the address literal with brackets, e.g. `[192.0.2.1]`. */
  readonly domain: string;
  /** The domain as lowercase A-labels (IDNA / UTS #46), or the lowercased address literal. */
  readonly asciiDomain: string;
  /** True when the domain is an address literal (`[...]`). */
  readonly isAddressLiteral: boolean;
  /** True when the local part or domain holds non-ASCII (needs SMTPUTF8). */
  readonly isUtf8: boolean;
  /** The seed's `Email()`: the address as provided, same as `raw`. */
  readonly email: string;
  /** The seed's `Hostname()`: the canonical lowercase hostname, same as `asciiDomain`. */
  readonly hostname: string;
}

/** `<Postmaster>` without a domain (RFC 5321 §4.1.1.3) is a special recipient. */
export interface PostmasterAddress {
  readonly raw: "Postmaster";
  readonly postmaster: true;
}

/** Options for parsing a path or an address. */
export interface AddressOptions {
  /** Accept UTF-8 local parts and U-labels (RFC 6531). Default false: non-ASCII is rejected with 553 5.6.7. */
  readonly utf8?: boolean;
}

// ---------------------------------------------------------------------------------------------
// ESMTP parameters (parameters.ts)

export type BodyType = "7BIT" | "8BITMIME" | "BINARYMIME";
export type NotifyCondition = "SUCCESS" | "FAILURE" | "DELAY";

/** MAIL FROM parameters (RFC 1870, 6152, 3030, 6531, 4954, 3461, 8689), decoded. */
export interface MailParameters {
  /** SIZE=n, declared message size in octets (RFC 1870). */
  readonly size?: number;
  /** BODY= (RFC 6152, RFC 3030). */
  readonly body?: BodyType;
  /** SMTPUTF8 (RFC 6531). */
  readonly smtputf8?: true;
  /** AUTH= (RFC 4954 §5), xtext decoded; null for `AUTH=<>`. */
  readonly auth?: string | null;
  /** RET= (RFC 3461). */
  readonly ret?: "FULL" | "HDRS";
  /** ENVID= (RFC 3461), xtext decoded. */
  readonly envid?: string;
  /** REQUIRETLS (RFC 8689). */
  readonly requireTls?: true;
  /** Every parameter as given, keyword upper-cased, value undefined when absent. */
  readonly raw: readonly (readonly [keyword: string, value: string | undefined])[];
}

/** RCPT TO parameters (RFC 3461), decoded. */
export interface RcptParameters {
  /** NOTIFY=NEVER or a list of conditions. */
  readonly notify?: "NEVER" | readonly NotifyCondition[];
  /** ORCPT=addr-type;xtext (RFC 3461 §4.2), decoded. */
  readonly orcpt?: { readonly addressType: string; readonly address: string };
  readonly raw: readonly (readonly [keyword: string, value: string | undefined])[];
}

/**
 * Which ESMTP parameters the server accepts (those it advertised). A parameter whose extension
 * is not enabled is reported as unknown: 555 5.5.4.
 */
export interface ParameterOptions {
  readonly size?: boolean;
  readonly eightBitMime?: boolean;
  readonly binaryMime?: boolean;
  readonly smtputf8?: boolean;
  readonly auth?: boolean;
  readonly dsn?: boolean;
  readonly requireTls?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Commands (command.ts)

export type Verb =
  | "HELO" | "EHLO" | "LHLO" | "MAIL" | "RCPT" | "DATA" | "BDAT" | "RSET" | "NOOP" | "QUIT"
  | "VRFY" | "EXPN" | "HELP" | "STARTTLS" | "AUTH";

export type Command =
  | { readonly verb: "HELO" | "EHLO" | "LHLO"; /** domain or address literal as given */ readonly name: string }
  | { readonly verb: "MAIL"; /** null for the null reverse-path `<>` */ readonly from: Address | null; readonly params: MailParameters }
  | { readonly verb: "RCPT"; readonly to: Address | PostmasterAddress; readonly params: RcptParameters }
  | { readonly verb: "DATA" | "RSET" | "QUIT" | "STARTTLS" }
  | { readonly verb: "BDAT"; readonly size: number; readonly last: boolean }
  | { readonly verb: "NOOP" | "HELP"; readonly argument?: string }
  | { readonly verb: "VRFY" | "EXPN"; readonly argument: string }
  | { readonly verb: "AUTH"; readonly mechanism: string; /** base64 initial response as given; "=" for an empty one */ readonly initialResponse?: string };

/** The result of parsing one command line. */
export type CommandResult =
  | { readonly ok: true; readonly command: Command }
  | {
      readonly ok: false;
      /** The reply to send (500 5.5.1 unknown, 500 5.5.2 syntax, 501 5.5.4 arguments, 555 5.5.4 parameter, 553 …). */
      readonly reply: Reply;
      /** The verb when it was recognised (so the session can count errors per command), else undefined. */
      readonly verb?: Verb;
      /** True when the line looks like another protocol (an HTTP request line, TLS bytes): answer and close. */
      readonly crossProtocol?: boolean;
    };

export interface CommandOptions {
  /** Extensions whose MAIL/RCPT parameters are accepted. */
  readonly parameters?: ParameterOptions;
  /** Accept UTF-8 addresses in RCPT TO (the transaction's MAIL carried SMTPUTF8). MAIL decides from its own SMTPUTF8 parameter when `parameters.smtputf8` is on. */
  readonly utf8Addresses?: boolean;
}

// ---------------------------------------------------------------------------------------------
// DATA decoding (data-decoder.ts) and BDAT (bdat-reader.ts)

/** What to do with a bare LF or bare CR inside a DATA body. */
export type BodyLineEndingPolicy = "reject" | "normalize";

export interface DataDecoderOptions {
  /** RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF. Default 1000; 0 for no limit. */
  readonly maxLineBytes?: number;
  /**
   * Bare LF / bare CR in the body. "reject" (default): the message is refused after its end with
   * 550 5.5.2, as Postfix's `smtpd_forbid_bare_newline = reject`. "normalize": rewritten to CRLF.
   * Either way a bare LF or CR never ends the message: only CRLF.CRLF does.
   */
  readonly bareLineEndings?: BodyLineEndingPolicy;
  /** Message size limit in octets (after dot-unstuffing); 0 for none. Bytes past it are counted and dropped. */
  readonly maxMessageBytes?: number;
}

/** The result of one {@link DataDecoder.push}. */
export interface DecodeStep {
  /** Decoded message bytes, in order (views into the input where possible, never copies per byte). */
  readonly output: readonly Uint8Array[];
  /** How many input octets were used; the rest (after CRLF.CRLF) belongs to the next commands. */
  readonly consumed: number;
  /** True once CRLF.CRLF was seen. */
  readonly done: boolean;
}

/** The verdict on a finished body. */
export interface BodySummary {
  /** Octets of the decoded message (all of them, also those past the size limit). */
  readonly bytes: number;
  /** When set, the message must be refused with this reply (too big: 552 5.3.4; bare line ending: 550 5.5.2; line too long: 500 5.5.2 …) and never delivered. */
  readonly reject?: Reply;
}
