/**
 * SMTP reply codes: every code of RFC 5321 §4.2.2 and §4.2.3, the AUTH codes of RFC 4954,
 * 455/555 (RFC 5321 §4.2.2 for ESMTP parameters), and the constants of the Go seed `lmail`.
 */

/** Named SMTP reply codes. */
export const ReplyCode = {
  /** 211 System status, or system help reply. */
  SystemStatus: 211,
  /** 214 Help message. */
  Help: 214,
  /** 220 <domain> Service ready. */
  ServiceReady: 220,
  /** 221 <domain> Service closing transmission channel. */
  ServiceClosing: 221,
  /** 235 Authentication succeeded (RFC 4954). */
  AuthSucceeded: 235,
  /** 250 Requested mail action okay, completed. */
  Ok: 250,
  /** 251 User not local; will forward to <forward-path>. */
  UserNotLocalWillForward: 251,
  /** 252 Cannot VRFY user, but will accept message and attempt delivery. */
  CannotVerifyUser: 252,
  /** 334 Server challenge for AUTH (RFC 4954). */
  AuthChallenge: 334,
  /** 354 Start mail input; end with <CRLF>.<CRLF>. */
  StartMailInput: 354,
  /** 421 <domain> Service not available, closing transmission channel. */
  ServiceNotAvailable: 421,
  /** 432 A password transition is needed (RFC 4954). */
  PasswordTransitionNeeded: 432,
  /** 450 Requested mail action not taken: mailbox unavailable (busy or blocked). */
  MailboxBusy: 450,
  /** 451 Requested action aborted: local error in processing. */
  LocalError: 451,
  /** 452 Requested action not taken: insufficient system storage. */
  InsufficientStorage: 452,
  /** 454 Temporary authentication failure, or TLS not available (RFC 4954, RFC 3207). */
  TemporaryFailure: 454,
  /** 455 Server unable to accommodate parameters. */
  CannotAccommodateParameters: 455,
  /** 500 Syntax error, command unrecognized (also: line too long). */
  SyntaxError: 500,
  /** 501 Syntax error in parameters or arguments. */
  ParameterSyntaxError: 501,
  /** 502 Command not implemented. */
  CommandNotImplemented: 502,
  /** 503 Bad sequence of commands. */
  BadSequence: 503,
  /** 504 Command parameter not implemented. */
  ParameterNotImplemented: 504,
  /** 521 Host does not accept mail (RFC 7504). */
  DoesNotAcceptMail: 521,
  /** 530 Authentication required (RFC 4954). */
  AuthRequired: 530,
  /** 534 Authentication mechanism is too weak (RFC 4954). */
  AuthMechanismTooWeak: 534,
  /** 535 Authentication credentials invalid (RFC 4954). */
  AuthCredentialsInvalid: 535,
  /** 538 Encryption required for requested authentication mechanism (RFC 4954). */
  EncryptionRequired: 538,
  /** 550 Requested action not taken: mailbox unavailable. */
  MailboxUnavailable: 550,
  /** 551 User not local; please try <forward-path>. */
  UserNotLocal: 551,
  /** 552 Requested mail action aborted: exceeded storage allocation. */
  ExceededStorage: 552,
  /** 553 Requested action not taken: mailbox name not allowed. */
  MailboxNameNotAllowed: 553,
  /** 554 Transaction failed (or, as a greeting, no SMTP service here). */
  TransactionFailed: 554,
  /** 555 MAIL FROM/RCPT TO parameters not recognized or not implemented. */
  ParametersNotRecognized: 555,
} as const;

/** The name of a reply code in {@link ReplyCode}. */
export type ReplyCodeName = keyof typeof ReplyCode;
/** A reply code lmail knows by name. */
export type KnownReplyCode = (typeof ReplyCode)[ReplyCodeName];
/**
 * Any three-digit SMTP reply code (RFC 5321 §4.2: first digit 2-5, second 0-5, third 0-9).
 * Known codes are listed in {@link ReplyCode}; applications may send others.
 */
export type ReplyCodeNumber = number;

/** What lmail knows about one reply code. */
export interface ReplyCodeInfo {
  readonly code: KnownReplyCode;
  readonly name: ReplyCodeName;
  /** The default reply text. */
  readonly text: string;
  /** Where the code is defined. */
  readonly source: string;
}

const info = (name: ReplyCodeName, text: string, source: string): ReplyCodeInfo => ({
  code: ReplyCode[name],
  name,
  text,
  source,
});

/** Every known reply code with its name, default text and source, by code. */
export const replyCodes: ReadonlyMap<KnownReplyCode, ReplyCodeInfo> = new Map(
  [
    info("SystemStatus", "System status", "RFC 5321 §4.2.3"),
    info("Help", "Help message follows", "RFC 5321 §4.2.3"),
    info("ServiceReady", "Service ready", "RFC 5321 §4.2.3"),
    info("ServiceClosing", "Service closing transmission channel", "RFC 5321 §4.2.3"),
    info("AuthSucceeded", "Authentication succeeded", "RFC 4954 §6"),
    info("Ok", "Requested mail action okay, completed", "RFC 5321 §4.2.3"),
    info("UserNotLocalWillForward", "User not local; will forward", "RFC 5321 §4.2.3"),
    info("CannotVerifyUser", "Cannot VRFY user, but will accept message and attempt delivery", "RFC 5321 §4.2.3"),
    info("AuthChallenge", "", "RFC 4954 §4"),
    info("StartMailInput", "Start mail input; end with <CRLF>.<CRLF>", "RFC 5321 §4.2.3"),
    info("ServiceNotAvailable", "Service not available, closing transmission channel", "RFC 5321 §4.2.3"),
    info("PasswordTransitionNeeded", "A password transition is needed", "RFC 4954 §6"),
    info("MailboxBusy", "Requested mail action not taken: mailbox unavailable", "RFC 5321 §4.2.3"),
    info("LocalError", "Requested action aborted: local error in processing", "RFC 5321 §4.2.3"),
    info("InsufficientStorage", "Requested action not taken: insufficient system storage", "RFC 5321 §4.2.3"),
    info("TemporaryFailure", "Temporary authentication failure", "RFC 4954 §6"),
    info("CannotAccommodateParameters", "Server unable to accommodate parameters", "RFC 5321 §4.2.3"),
    info("SyntaxError", "Syntax error, command unrecognized", "RFC 5321 §4.2.3"),
    info("ParameterSyntaxError", "Syntax error in parameters or arguments", "RFC 5321 §4.2.3"),
    info("CommandNotImplemented", "Command not implemented", "RFC 5321 §4.2.3"),
    info("BadSequence", "Bad sequence of commands", "RFC 5321 §4.2.3"),
    info("ParameterNotImplemented", "Command parameter not implemented", "RFC 5321 §4.2.3"),
    info("DoesNotAcceptMail", "Host does not accept mail", "RFC 7504 §3"),
    info("AuthRequired", "Authentication required", "RFC 4954 §6"),
    info("AuthMechanismTooWeak", "Authentication mechanism is too weak", "RFC 4954 §6"),
    info("AuthCredentialsInvalid", "Authentication credentials invalid", "RFC 4954 §6"),
    info("EncryptionRequired", "Encryption required for requested authentication mechanism", "RFC 4954 §6"),
    info("MailboxUnavailable", "Requested action not taken: mailbox unavailable", "RFC 5321 §4.2.3"),
    info("UserNotLocal", "User not local; please try <forward-path>", "RFC 5321 §4.2.3"),
    info("ExceededStorage", "Requested mail action aborted: exceeded storage allocation", "RFC 5321 §4.2.3"),
    info("MailboxNameNotAllowed", "Requested action not taken: mailbox name not allowed", "RFC 5321 §4.2.3"),
    info("TransactionFailed", "Transaction failed", "RFC 5321 §4.2.3"),
    info("ParametersNotRecognized", "MAIL FROM/RCPT TO parameters not recognized or not implemented", "RFC 5321 §4.2.3"),
  ].map((i) => [i.code, i] as const),
);

/** The default text for a reply code, or a generic text for the class of an unknown code. */
export function defaultText(code: ReplyCodeNumber): string {
  const known = replyCodes.get(code as KnownReplyCode)?.text;
  if (known !== undefined && known !== "") return known;
  switch (Math.floor(code / 100)) {
    case 2:
      return "OK";
    case 3:
      return "Continue";
    case 4:
      return "Temporary failure";
    default:
      return "Permanent failure";
  }
}

/** True when `code` is a syntactically valid SMTP reply code (RFC 5321 §4.2: [2-5][0-5][0-9]). */
export function isReplyCode(code: number): code is ReplyCodeNumber {
  return Number.isInteger(code) && code >= 200 && code <= 559 && Math.floor(code / 10) % 10 <= 5;
}

/** The class of a reply: positive completion, intermediate, transient or permanent negative. */
export type ReplyClass = "positive" | "intermediate" | "transient" | "permanent";

/** The class of a reply code, from its first digit (RFC 5321 §4.2.1). */
export function replyClass(code: ReplyCodeNumber): ReplyClass {
  const first = Math.floor(code / 100);
  return first === 2 ? "positive" : first === 3 ? "intermediate" : first === 4 ? "transient" : "permanent";
}
