/**
 * Which recipients lmaild accepts, and where their mail goes: a pure function of the recipient
 * and the configuration, decided at RCPT time (DESIGN.md: an unknown recipient gets 550 5.1.1
 * now, never a bounce after DATA). No relay, ever: a domain that is not local gets 550 5.7.1.
 */
import { Enhanced, ReplyCode, reply, type Reply } from "@lmail/codes";

/** The recipient as the session hands it over (an `Address`, or `<Postmaster>` without a domain). */
export type PolicyRecipient =
  | { readonly localPartUnquoted: string; readonly asciiDomain: string; readonly isAddressLiteral: boolean }
  | { readonly postmaster: true };

export interface RecipientPolicyOptions {
  /** Local domains, lowercase A-labels. The first one receives `<Postmaster>` without a domain. */
  readonly domains: readonly string[];
  /**
   * Declared mailboxes by domain (lowercase local parts without `+tag`). A domain with an entry
   * accepts only those; a domain without one accepts every safely named local part.
   */
  readonly mailboxes: ReadonlyMap<string, ReadonlySet<string>>;
}

export type RecipientDecision =
  | { readonly accept: true; /** local domain (A-label) */ readonly domain: string; /** the mailbox name: lowercased, `+tag` stripped */ readonly mailbox: string }
  | { readonly accept: false; readonly reply: Reply };

/** The subaddress separator (RFC 5233): `you+tag@example.com` is delivered to `you`. */
export const SUBADDRESS_SEPARATOR = "+";

export const relayDenied: Reply = reply(ReplyCode.MailboxUnavailable, Enhanced.NotAuthorized, "Relay access denied: this server delivers only to its own domains");
export const unknownMailbox: Reply = reply(ReplyCode.MailboxUnavailable, Enhanced.BadMailbox, "No such mailbox here");
export const unsafeMailbox: Reply = reply(ReplyCode.MailboxNameNotAllowed, Enhanced.BadMailboxSyntax, "Mailbox name not allowed");

/**
 * Why a local part cannot name a directory under the maildir root, or undefined when it can.
 * Refused: empty, `/` or `\` (a path separator), `..` (a parent reference), a leading `.` (a
 * hidden file, or `.` / `..` themselves, or a Maildir++ folder), NUL and every control character
 * (C0, DEL, C1), which could hide or forge names in listings and logs.
 */
export function unsafeLocalPartReason(localPart: string): string | undefined {
  if (localPart.length === 0) return "is empty";
  if (localPart.includes("/") || localPart.includes("\\")) return "contains a path separator";
  if (localPart.includes("..")) return 'contains ".."';
  if (localPart.startsWith(".")) return 'starts with "."';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(localPart)) return "contains a control character";
  return undefined;
}

/**
 * The mailbox name of a local part: lowercased (locale-independent, Unicode NFC for SMTPUTF8
 * local parts) and with the `+tag` subaddress removed.
 */
export function mailboxName(localPart: string): string {
  const lowered = localPart.normalize("NFC").toLowerCase();
  const plus = lowered.indexOf(SUBADDRESS_SEPARATOR);
  return plus === -1 ? lowered : lowered.slice(0, plus);
}

/** Decide one recipient. Pure: the same inputs always give the same decision. */
export function decideRecipient(recipient: PolicyRecipient, options: RecipientPolicyOptions): RecipientDecision {
  if ("postmaster" in recipient) {
    // RFC 5321 §4.1.1.3: <Postmaster> without a domain must always be accepted, even where
    // mailboxes are declared; it is delivered to the first local domain's "postmaster".
    const first = options.domains[0];
    if (first === undefined) return { accept: false, reply: relayDenied };
    return { accept: true, domain: first, mailbox: "postmaster" };
  }
  if (recipient.isAddressLiteral || !options.domains.includes(recipient.asciiDomain)) {
    return { accept: false, reply: relayDenied };
  }
  const domain = recipient.asciiDomain;
  const localPart = recipient.localPartUnquoted;
  // Check the whole local part before stripping the tag: "../x+y" must not pass as "..".
  if (unsafeLocalPartReason(localPart) !== undefined) return { accept: false, reply: unsafeMailbox };
  const mailbox = mailboxName(localPart);
  if (unsafeLocalPartReason(mailbox) !== undefined) return { accept: false, reply: unsafeMailbox };
  const declared = options.mailboxes.get(domain);
  if (declared !== undefined && !declared.has(mailbox)) return { accept: false, reply: unknownMailbox };
  return { accept: true, domain, mailbox };
}
