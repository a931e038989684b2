/** The replies the session sends on its own, in one place. */
import { reply, type Reply } from "@lmail/codes";
import { ParserReplies } from "@lmail/parser";

export const Replies = {
  senderOk: reply(250, "2.1.0", "Sender OK"),
  recipientOk: reply(250, "2.1.5", "Recipient OK"),
  messageAccepted: reply(250, "2.6.0", "Message accepted for delivery"),
  ok: reply(250, "2.0.0", "OK"),
  resetOk: reply(250, "2.0.0", "Reset OK"),
  vrfy: reply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery"),
  expn: reply(502, "5.5.1", "EXPN is not supported"),
  help: reply(214, "2.0.0", ["Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP", "See RFC 5321"]),
  startData: reply(354, undefined, "Start mail input; end with <CRLF>.<CRLF>"),
  tlsReady: reply(220, "2.0.0", "Ready to start TLS"),
  tlsActive: reply(503, "5.5.1", "Error: TLS already active"),
  notImplemented: reply(502, "5.5.1", "Error: command not implemented"),
  noValidRecipients: reply(554, "5.5.1", "Error: no valid recipients"),
  binaryNeedsBdat: reply(503, "5.5.1", "Error: BODY=BINARYMIME requires BDAT"),
  tooManyRecipients: reply(452, "4.5.3", "Error: too many recipients"),
  messageTooBig: ParserReplies.messageTooBig,
  authOk: reply(235, "2.7.0", "Authentication successful"),
  authFailed: reply(535, "5.7.8", "Error: authentication failed"),
  authUnknownMechanism: reply(504, "5.5.4", "Error: unrecognized authentication type"),
  authAgain: reply(503, "5.5.1", "Error: already authenticated"),
  authNeedsTls: reply(538, "5.7.11", "Encryption required for requested authentication mechanism"),
  authRequired: reply(530, "5.7.0", "Authentication required"),
  authLineTooLong: reply(500, "5.5.6", "Authentication exchange line is too long"),
  tlsRequired: reply(530, "5.7.0", "Must issue a STARTTLS command first"),
  protocolMismatch: reply(500, "5.5.1", "Command unrecognized"),
  earlyTalker: reply(554, "5.5.0", "Error: SMTP protocol synchronization"),
} as const;

/** The 503 reply for a command out of sequence. */
export function badSequence(text: string): Reply {
  return reply(503, "5.5.1", text);
}

/** 421 replies that close the session. */
export function closing(hostname: string, why: "errors" | "unknown" | "junk" | "auth" | "input" | "timeout" | "shutdown"): Reply {
  switch (why) {
    case "errors":
      return reply(421, "4.7.0", `${hostname} Error: too many errors, closing connection`);
    case "unknown":
      return reply(421, "4.7.0", `${hostname} Error: too many unrecognized commands, closing connection`);
    case "junk":
      return reply(421, "4.7.0", `${hostname} Error: too many commands, closing connection`);
    case "auth":
      return reply(421, "4.7.0", `${hostname} Error: too many authentication failures, closing connection`);
    case "input":
      return reply(421, "4.7.0", `${hostname} Error: too much pipelined input, closing connection`);
    case "timeout":
      return reply(421, "4.4.2", `${hostname} Error: timeout exceeded, closing connection`);
    case "shutdown":
      return reply(421, "4.3.2", `${hostname} Service shutting down, closing connection`);
  }
}

/**
 * The reply to send when ENHANCEDSTATUSCODES is in effect: a reply without an enhanced code gets
 * the class's generic one (X.0.0) so that every reply carries one (RFC 2034 §3).
 */
export function withEnhanced(r: Reply): Reply {
  if (r.enhanced !== undefined || r.code < 200 || (r.code >= 300 && r.code < 400)) return r;
  const cls = Math.floor(r.code / 100) as 2 | 4 | 5;
  return reply(r.code, `${cls}.0.0`, r.lines);
}
