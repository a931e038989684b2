/**
 * Enhanced mail system status codes (RFC 3463, carried in replies per RFC 2034), with the
 * additions of RFC 4954 (AUTH), RFC 6531 (SMTPUTF8), RFC 3030, RFC 7504 and RFC 8689 (REQUIRETLS).
 */

/** The class digit of an enhanced status code: success, persistent transient, permanent. */
export type EnhancedClass = 2 | 4 | 5;

/** An enhanced status code, `class.subject.detail` (RFC 3463 §2), such as `"5.1.1"`. */
export type EnhancedCode = `${EnhancedClass}.${number}.${number}`;

/** Meanings of the `subject.detail` part of enhanced codes, per the IANA registry. */
export const enhancedDetails: ReadonlyMap<string, string> = new Map([
  ["0.0", "Other undefined status"],
  ["1.0", "Other address status"],
  ["1.1", "Bad destination mailbox address"],
  ["1.2", "Bad destination system address"],
  ["1.3", "Bad destination mailbox address syntax"],
  ["1.4", "Destination mailbox address ambiguous"],
  ["1.5", "Destination address valid"],
  ["1.6", "Destination mailbox has moved, no forwarding address"],
  ["1.7", "Bad sender's mailbox address syntax"],
  ["1.8", "Bad sender's system address"],
  ["1.9", "Message relayed to non-compliant mailer"],
  ["1.10", "Recipient address has null MX"],
  ["2.0", "Other or undefined mailbox status"],
  ["2.1", "Mailbox disabled, not accepting messages"],
  ["2.2", "Mailbox full"],
  ["2.3", "Message length exceeds administrative limit"],
  ["2.4", "Mailing list expansion problem"],
  ["3.0", "Other or undefined mail system status"],
  ["3.1", "Mail system full"],
  ["3.2", "System not accepting network messages"],
  ["3.3", "System not capable of selected features"],
  ["3.4", "Message too big for system"],
  ["3.5", "System incorrectly configured"],
  ["4.0", "Other or undefined network or routing status"],
  ["4.1", "No answer from host"],
  ["4.2", "Bad connection"],
  ["4.3", "Directory server failure"],
  ["4.4", "Unable to route"],
  ["4.5", "Mail system congestion"],
  ["4.6", "Routing loop detected"],
  ["4.7", "Delivery time expired"],
  ["5.0", "Other or undefined protocol status"],
  ["5.1", "Invalid command"],
  ["5.2", "Syntax error"],
  ["5.3", "Too many recipients"],
  ["5.4", "Invalid command arguments"],
  ["5.5", "Wrong protocol version"],
  ["5.6", "Authentication exchange line is too long"],
  ["6.0", "Other or undefined media error"],
  ["6.1", "Media not supported"],
  ["6.2", "Conversion required and prohibited"],
  ["6.3", "Conversion required but not supported"],
  ["6.4", "Conversion with loss performed"],
  ["6.5", "Conversion failed"],
  ["6.6", "Message content not available"],
  ["6.7", "Non-ASCII addresses not permitted for that sender/recipient"],
  ["6.8", "UTF-8 string reply is required, but not permitted by the SMTP client"],
  ["6.9", "UTF-8 header message cannot be transferred to one or more recipients"],
  ["7.0", "Other or undefined security status"],
  ["7.1", "Delivery not authorized, message refused"],
  ["7.2", "Mailing list expansion prohibited"],
  ["7.3", "Security conversion required but not possible"],
  ["7.4", "Security features not supported"],
  ["7.5", "Cryptographic failure"],
  ["7.6", "Cryptographic algorithm not supported"],
  ["7.7", "Message integrity failure"],
  ["7.8", "Authentication credentials invalid"],
  ["7.9", "Authentication mechanism is too weak"],
  ["7.10", "Encryption needed"],
  ["7.11", "Encryption required for requested authentication mechanism"],
  ["7.12", "A password transition is needed"],
  ["7.13", "User account disabled"],
  ["7.14", "Trust relationship required"],
  ["7.30", "REQUIRETLS support required"],
]);

/**
 * The enhanced status codes lmail's packages send, by condition. Every reply lmail builds itself
 * uses one of these; applications may use any {@link EnhancedCode}.
 */
export const Enhanced = {
  /** 2.0.0 Success, nothing more to say. */
  Ok: "2.0.0",
  /** 2.1.0 Sender address accepted. */
  SenderOk: "2.1.0",
  /** 2.1.5 Recipient address accepted. */
  RecipientOk: "2.1.5",
  /** 2.6.0 Message accepted. */
  MessageAccepted: "2.6.0",
  /** 2.7.0 Security status ok (authenticated, TLS ready). */
  SecurityOk: "2.7.0",
  /** 4.2.1 Mailbox temporarily disabled. */
  MailboxDisabledTransient: "4.2.1",
  /** 4.2.2 Mailbox full, try later. */
  MailboxFullTransient: "4.2.2",
  /** 4.3.0 Local error in processing. */
  LocalError: "4.3.0",
  /** 4.3.1 Mail system full (e.g. no space left on device). */
  SystemFull: "4.3.1",
  /** 4.3.2 System not accepting network messages (shutting down). */
  NotAccepting: "4.3.2",
  /** 4.4.1 No answer from host. */
  NoAnswer: "4.4.1",
  /** 4.4.2 Bad connection: timeout or lost connection. */
  ConnectionTimeout: "4.4.2",
  /** 4.4.5 System congestion: too many connections. */
  Congestion: "4.4.5",
  /** 4.5.3 Too many recipients. */
  TooManyRecipientsTransient: "4.5.3",
  /** 4.7.0 Security or policy status, temporary (TLS unavailable, rate limit). */
  SecurityTransient: "4.7.0",
  /** 4.7.12 A password transition is needed. */
  PasswordTransition: "4.7.12",
  /** 5.0.0 Other permanent failure. */
  PermanentFailure: "5.0.0",
  /** 5.1.1 Bad destination mailbox address (unknown user). */
  BadMailbox: "5.1.1",
  /** 5.1.3 Bad destination mailbox address syntax. */
  BadMailboxSyntax: "5.1.3",
  /** 5.1.7 Bad sender's mailbox address syntax. */
  BadSenderSyntax: "5.1.7",
  /** 5.1.8 Bad sender's system address. */
  BadSenderSystem: "5.1.8",
  /** 5.2.2 Mailbox full or over quota. */
  MailboxFull: "5.2.2",
  /** 5.2.3 Message length exceeds administrative limit. */
  MessageTooLongForMailbox: "5.2.3",
  /** 5.3.3 System not capable of selected features. */
  FeatureNotSupported: "5.3.3",
  /** 5.3.4 Message too big for system. */
  MessageTooBig: "5.3.4",
  /** 5.5.0 Other protocol error. */
  ProtocolError: "5.5.0",
  /** 5.5.1 Invalid command. */
  InvalidCommand: "5.5.1",
  /** 5.5.2 Syntax error. */
  SyntaxError: "5.5.2",
  /** 5.5.3 Too many recipients. */
  TooManyRecipients: "5.5.3",
  /** 5.5.4 Invalid command arguments. */
  InvalidArguments: "5.5.4",
  /** 5.5.6 Authentication exchange line too long. */
  AuthLineTooLong: "5.5.6",
  /** 5.6.0 Other media error. */
  MediaError: "5.6.0",
  /** 5.6.1 Media not supported. */
  MediaNotSupported: "5.6.1",
  /** 5.6.7 Non-ASCII addresses not permitted without SMTPUTF8. */
  NonAsciiAddress: "5.6.7",
  /** 5.7.0 Other security or policy failure (e.g. authentication required). */
  SecurityPolicy: "5.7.0",
  /** 5.7.1 Delivery not authorized, message refused (e.g. relay denied). */
  NotAuthorized: "5.7.1",
  /** 5.7.4 Security features not supported. */
  SecurityNotSupported: "5.7.4",
  /** 5.7.8 Authentication credentials invalid. */
  AuthInvalid: "5.7.8",
  /** 5.7.9 Authentication mechanism too weak. */
  AuthTooWeak: "5.7.9",
  /** 5.7.10 Encryption needed. */
  EncryptionNeeded: "5.7.10",
  /** 5.7.11 Encryption required for requested authentication mechanism. */
  EncryptionRequired: "5.7.11",
  /** 5.7.30 REQUIRETLS support required. */
  RequireTls: "5.7.30",
} as const satisfies Record<string, EnhancedCode>;

const ENHANCED = /^([245])\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

/** True when `value` is a well-formed enhanced status code (RFC 3463 §2: up to three digits each). */
export function isEnhancedCode(value: string): value is EnhancedCode {
  return ENHANCED.test(value);
}

/** The registered meaning of an enhanced code's subject and detail, if any. */
export function describeEnhanced(code: EnhancedCode): string | undefined {
  return enhancedDetails.get(code.slice(2));
}
