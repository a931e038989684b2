import { Enhanced, reply, type Reply } from "@lmail/codes";

/**
 * Every reply the parser produces, by condition. Frozen values from `@lmail/codes`; the session may
 * compare against them or send them as they are.
 */
export const ParserReplies = {
  /** 500 5.5.1: the verb is not an SMTP command this parser knows. */
  unknownCommand: reply(500, Enhanced.InvalidCommand, "Command unrecognized"),
  /** 500 5.5.1: the line is another protocol's (HTTP, POP3, a TLS handshake): answer and close. */
  crossProtocol: reply(500, Enhanced.InvalidCommand, "Command unrecognized: this is an SMTP server"),
  /** 500 5.5.2: the line is not a command at all (empty, control characters, invalid UTF-8). */
  syntaxError: reply(500, Enhanced.SyntaxError, "Syntax error"),
  /** 500 5.5.2: RFC 5321 §4.5.3.1.4, a command line is at most 512 octets (or the raised limit). */
  lineTooLong: reply(500, Enhanced.SyntaxError, "Line too long"),
  /** 500 5.5.2: a bare CR or LF in a command line (only CRLF ends a line, RFC 5321 §2.3.8). */
  bareLineEnding: reply(500, Enhanced.SyntaxError, "Bare CR or LF in command line"),
  /** 501 5.5.4: control characters or invalid UTF-8 in the arguments of a known command. */
  badCharacters: reply(501, Enhanced.InvalidArguments, "Invalid characters in arguments"),
  /** 553 5.6.7: non-ASCII address without SMTPUTF8 (RFC 6531 §3.5). */
  nonAsciiAddress: reply(553, Enhanced.NonAsciiAddress, "Non-ASCII address requires SMTPUTF8"),
  /** 555 5.5.4: an unknown MAIL/RCPT parameter or one of an extension not enabled (RFC 5321 §4.1.1.11). */
  unknownParameter: reply(555, Enhanced.InvalidArguments, "Parameter not recognized"),
  /** 501 5.5.4: the same MAIL/RCPT parameter given twice. */
  duplicateParameter: reply(501, Enhanced.InvalidArguments, "Duplicate parameter"),
  /** 501 5.5.2: an AUTH response that is not valid base64 (RFC 4954 §4). */
  badBase64: reply(501, Enhanced.SyntaxError, "Invalid base64 data"),
  /** 501 5.7.0: the client cancelled the AUTH exchange with `*` (RFC 4954 §4). */
  authCancelled: reply(501, Enhanced.SecurityPolicy, "Authentication cancelled"),
  /** 552 5.3.4: the DATA body exceeded `maxMessageBytes` (RFC 1870 §6.3, RFC 5321 §4.5.3.1.10). */
  messageTooBig: reply(552, Enhanced.MessageTooBig, "Message too big for system"),
  /** 550 5.5.2: a bare CR or LF in the DATA body (policy "reject"; as Postfix smtpd_forbid_bare_newline). */
  bareLineEndingInBody: reply(550, Enhanced.SyntaxError, "Message refused: bare CR or LF in message text"),
  /** 500 5.5.2: a DATA text line longer than the limit (RFC 5321 §4.5.3.1.6, the RFC's own "500 Line too long"). */
  bodyLineTooLong: reply(500, Enhanced.SyntaxError, "Message refused: text line too long"),
} as const satisfies Record<string, Reply>;

/** 501 5.5.4 with a specific text: the arguments of a known command are malformed. */
export function badArguments(text: string): Reply {
  return reply(501, Enhanced.InvalidArguments, text);
}

/** 553 with the sender (5.1.7) or recipient (5.1.3) syntax code and a specific text. */
export function badAddress(role: "sender" | "recipient", text: string): Reply {
  return reply(553, role === "sender" ? Enhanced.BadSenderSyntax : Enhanced.BadMailboxSyntax, text);
}
