import type { Reply } from "@lmail/codes";
import { hasControl, utf8Length } from "./bytes.js";
import { checkDomain, checkDomainOrLiteral } from "./domain.js";
import { badAddress, ParserReplies } from "./replies.js";
import type { Address, AddressOptions, PostmasterAddress } from "./types.js";

/** RFC 5321 §4.5.3.1.1: a local part is at most 64 octets. */
export const MAX_LOCAL_PART_BYTES = 64;
/** RFC 5321 §4.5.3.1.3: a path is at most 256 octets, angle brackets and source route included. */
export const MAX_PATH_BYTES = 256;

type Role = "sender" | "recipient";
type Failure = { readonly ok: false; readonly reply: Reply };

const POSTMASTER: PostmasterAddress = Object.freeze({ raw: "Postmaster", postmaster: true });

// RFC 5322 atext, as RFC 5321 §4.1.2 uses it for Dot-string atoms.
const ATOM = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~]+";
const ATEXT = new RegExp(`^${ATOM}$`);
// A whole ASCII Dot-string (Atom *("." Atom)) in one test, the common local part; linear (the dot
// is not in the atom class).
const DOT_STRING = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);

function isAtext(atom: string, utf8: boolean): boolean {
  if (ATEXT.test(atom)) return true;
  if (!utf8 || atom.length === 0) return false;
  // RFC 6531 §3.3: atext =/ UTF8-non-ascii
  for (const ch of atom) if (ch.charCodeAt(0) < 0x80 && !ATEXT.test(ch)) return false;
  return true;
}

/** Validate a Quoted-string local part (RFC 5321 §4.1.2 QcontentSMTP), returning it unquoted. */
function unquote(text: string, utf8: boolean): string | undefined {
  if (text.length < 2 || !text.startsWith('"') || !text.endsWith('"')) return undefined;
  let out = "";
  for (let i = 1; i < text.length - 1; i++) {
    let c = text.charCodeAt(i);
    if (c === 0x5c) {
      // quoted-pairSMTP = "\" %d32-126
      i++;
      if (i >= text.length - 1) return undefined;
      c = text.charCodeAt(i);
      if (c < 32 || (c > 126 && !utf8)) return undefined;
    } else if (c === 0x22 || c < 32 || c === 127 || (c > 127 && !utf8)) {
      // qtextSMTP = %d32-33 / %d35-91 / %d93-126 (RFC 6531: / UTF8-non-ascii)
      return undefined;
    }
    out += text[i];
  }
  return out;
}

/** Where the local part ends: the "@" after it (a quoted local part may itself hold "@"). */
function localPartEnd(text: string): number {
  if (!text.startsWith('"')) return text.indexOf("@");
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === '"') return text[i + 1] === "@" ? i + 1 : -1;
  }
  return -1;
}

/** What one pass over an address finds: a control character, or else whether any character is outside US-ASCII. */
const PRINTABLE_ASCII = 0;
const NON_ASCII = 1;
const CONTROL = 2;
function classify(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    // hasControl decides; a non-ASCII character without a control is what hasNonAscii says
    return hasControl(text) ? CONTROL : NON_ASCII;
  }
  return PRINTABLE_ASCII;
}

function mailbox(text: string, role: Role, utf8: boolean): { ok: true; address: Address } | Failure {
  const kind = classify(text);
  if (kind === CONTROL) return { ok: false, reply: badAddress(role, "Invalid character in address") };
  const nonAscii = kind === NON_ASCII;
  if (!utf8 && nonAscii) return { ok: false, reply: ParserReplies.nonAsciiAddress };
  const at = localPartEnd(text);
  if (at <= 0) return { ok: false, reply: badAddress(role, "Address must be local-part@domain") };
  const localPart = text.slice(0, at);
  const domain = text.slice(at + 1);
  if ((nonAscii ? utf8Length(localPart) : localPart.length) > MAX_LOCAL_PART_BYTES) return { ok: false, reply: badAddress(role, "Local part too long") };
  let localPartUnquoted: string;
  if (localPart.startsWith('"')) {
    const u = unquote(localPart, utf8);
    if (u === undefined) return { ok: false, reply: badAddress(role, "Invalid quoted local part") };
    localPartUnquoted = u;
  } else {
    if (!DOT_STRING.test(localPart) && !localPart.split(".").every((atom) => isAtext(atom, utf8))) {
      return { ok: false, reply: badAddress(role, "Invalid local part") };
    }
    localPartUnquoted = localPart;
  }
  const d = checkDomainOrLiteral(domain, utf8);
  if (!d.ok) return { ok: false, reply: d.nonAscii ? ParserReplies.nonAsciiAddress : badAddress(role, d.reason) };
  const address: Address = Object.freeze({
    raw: text,
    localPart,
    localPartUnquoted,
    domain,
    asciiDomain: d.ascii,
    isAddressLiteral: d.isAddressLiteral,
    isUtf8: nonAscii,
    email: text,
    hostname: d.ascii,
  });
  return { ok: true, address };
}

/** Parse `<[A-d-l ":"] Mailbox>` (RFC 5321 §4.1.2); a source route is checked and dropped (§C). */
function path(text: string, role: Role, utf8: boolean): { ok: true; address: Address } | Failure {
  // A UTF-16 code unit is at most 3 octets of UTF-8: a short path needs no count.
  if (text.length * 3 > MAX_PATH_BYTES && utf8Length(text) > MAX_PATH_BYTES) return { ok: false, reply: badAddress(role, "Path too long") };
  if (!text.startsWith("<") || !text.endsWith(">") || text.length < 2) {
    return { ok: false, reply: badAddress(role, "Address must be enclosed in <>") };
  }
  let inner = text.slice(1, -1);
  if (inner.startsWith("@")) {
    const colon = inner.indexOf(":");
    if (colon === -1) return { ok: false, reply: badAddress(role, "Invalid source route") };
    for (const hop of inner.slice(0, colon).split(",")) {
      if (!hop.startsWith("@")) return { ok: false, reply: badAddress(role, "Invalid source route") };
      const d = checkDomain(hop.slice(1), utf8);
      if (!d.ok) return { ok: false, reply: d.nonAscii ? ParserReplies.nonAsciiAddress : badAddress(role, "Invalid source route") };
    }
    inner = inner.slice(colon + 1);
  }
  return mailbox(inner, role, utf8);
}

/**
 * Parse a MAIL FROM reverse-path (RFC 5321 §4.1.1.2): `<>` (the null path, as `address: null`) or
 * `<mailbox>`, with an optional source route that is checked and ignored. Failures carry 553 5.1.7,
 * or 553 5.6.7 for a non-ASCII address without `utf8`.
 */
export function parseReversePath(
  text: string,
  options: AddressOptions = {},
): { ok: true; address: Address | null } | { ok: false; reply: Reply } {
  if (text === "<>") return { ok: true, address: null };
  return path(text, "sender", options.utf8 === true);
}

/**
 * Parse a RCPT TO forward-path (RFC 5321 §4.1.1.3): `<Postmaster>` (any case, no domain) gives the
 * {@link PostmasterAddress}; otherwise `<mailbox>` with an optional ignored source route. Failures
 * carry 553 5.1.3, or 553 5.6.7 for a non-ASCII address without `utf8`.
 */
export function parseForwardPath(
  text: string,
  options: AddressOptions = {},
): { ok: true; address: Address | PostmasterAddress } | { ok: false; reply: Reply } {
  if (text.length === 12 && text.toLowerCase() === "<postmaster>") return { ok: true, address: POSTMASTER };
  if (text === "<>") return { ok: false, reply: badAddress("recipient", "Empty recipient address") };
  return path(text, "recipient", options.utf8 === true);
}

/** Parse a bare `local-part@domain` (no angle brackets). Failures carry 553 5.1.3 (or 553 5.6.7). */
export function parseAddress(text: string, options: AddressOptions = {}): { ok: true; address: Address } | { ok: false; reply: Reply } {
  if (utf8Length(text) > MAX_PATH_BYTES - 2) return { ok: false, reply: badAddress("recipient", "Address too long") };
  return mailbox(text, "recipient", options.utf8 === true);
}

/** True for the special recipient `<Postmaster>` (RFC 5321 §4.1.1.3). */
export function isPostmaster(a: Address | PostmasterAddress): a is PostmasterAddress {
  return "postmaster" in a && a.postmaster;
}
