import { toASCII } from "tr46";
import { hasNonAscii, utf8Length } from "./bytes.js";

/** RFC 5321 §4.5.3.1.2: a domain name is at most 255 octets. */
export const MAX_DOMAIN_BYTES = 255;
/** RFC 1035 §2.3.4 / UTS #46 VerifyDnsLength: a name of at most 253 characters (255 octets on the wire). */
const MAX_DNS_NAME_CHARS = 253;

/** The result of checking a domain or an address literal. */
export type DomainCheck =
  | { readonly ok: true; readonly ascii: string; readonly isAddressLiteral: boolean; readonly isUtf8: boolean }
  | { readonly ok: false; readonly nonAscii: boolean; readonly reason: string };

// UTS #46 processing with every check on: nontransitional (ß stays ß, as IDNA2008), STD3 rules
// (letters, digits, hyphen only), bidi and joiner rules, DNS lengths (labels 1-63, name ≤ 253).
// checkHyphens stays off: RFC 5321's Ldh-str allows "ab--cd"; leading and trailing hyphens are
// rejected by our own label check below.
const IDNA_OPTIONS = {
  checkBidi: true,
  checkHyphens: false,
  checkJoiners: true,
  useSTD3ASCIIRules: true,
  verifyDNSLength: true,
  transitionalProcessing: false,
} as const;

const LDH_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const SNUM = /^(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]|0[0-9]{1,2})$/;
const GENERAL_TAG = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/** The label `text[start, end)` starts with "xn--" in any case (an A-label, or something claiming to be one). */
function isAceLabel(text: string, start: number, end: number): boolean {
  return (
    end - start >= 4 &&
    (text.charCodeAt(start) | 0x20) === 0x78 &&
    (text.charCodeAt(start + 1) | 0x20) === 0x6e &&
    text.charCodeAt(start + 2) === 0x2d &&
    text.charCodeAt(start + 3) === 0x2d
  );
}

/**
 * The common name, checked in one pass without allocating: at most 253 characters, ASCII LDH
 * labels of 1 to 63 characters, none with the A-label prefix. For such a name UTS #46 processing
 * is exactly lowercasing (the property test compares with tr46); anything else, valid or not, goes
 * through the general checks of {@link checkDomain}.
 */
function isPlainLdhName(text: string): boolean {
  const n = text.length;
  if (n === 0 || n > MAX_DNS_NAME_CHARS) return false;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    const c = i === n ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e) {
      const length = i - start;
      if (length === 0 || length > 63) return false;
      if (text.charCodeAt(start) === 0x2d || text.charCodeAt(i - 1) === 0x2d) return false;
      if (isAceLabel(text, start, i)) return false;
      start = i + 1;
    } else if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x2d)) {
      return false;
    }
  }
  return true;
}

function fail(reason: string, nonAscii = false): DomainCheck {
  return { ok: false, nonAscii, reason };
}

/** RFC 5321 §4.1.3 IPv4-address-literal: four Snum (0-255, at most three digits). */
export function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => SNUM.test(p));
}

/**
 * RFC 5321 §4.1.3 IPv6-addr (the RFC 4291 text forms): eight groups of 1-4 hex digits, or fewer
 * with one `::` standing for at least one zero group, optionally ending in an IPv4 address that
 * counts as two groups. (RFC 5321's ABNF wants `::` to stand for at least two groups; RFC 4291
 * allows one, and such addresses are real, so we accept them.)
 */
export function isIPv6(text: string): boolean {
  if (text.length === 0 || text.length > 45) return false;
  const lastColon = text.lastIndexOf(":");
  if (lastColon === -1) return false;
  let body = text;
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    if (!isIPv4(last)) return false;
    body = `${text.slice(0, lastColon + 1)}0:0`; // the IPv4 tail stands for two groups
  }
  const hex = (groups: string[]) => groups.every((g) => HEX_GROUP.test(g));
  const gap = body.indexOf("::");
  if (gap === -1) {
    const groups = body.split(":");
    return groups.length === 8 && hex(groups);
  }
  if (body.indexOf("::", gap + 1) !== -1) return false;
  const head = body.slice(0, gap);
  const tail = body.slice(gap + 2);
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === "" ? [] : tail.split(":");
  return headGroups.length + tailGroups.length <= 7 && hex(headGroups) && hex(tailGroups);
}

/** Check an address literal with its brackets, `[192.0.2.1]`, `[IPv6:2001:db8::1]`, `[tag:content]`. */
export function checkAddressLiteral(text: string): DomainCheck {
  if (text.length < 3 || !text.startsWith("[") || !text.endsWith("]")) return fail("Invalid address literal");
  const inner = text.slice(1, -1);
  if (hasNonAscii(inner)) return fail("Non-ASCII address literal", true);
  if (isIPv4(inner)) return { ok: true, ascii: text, isAddressLiteral: true, isUtf8: false };
  const colon = inner.indexOf(":");
  if (colon === -1) return fail("Invalid IPv4 address literal");
  const tag = inner.slice(0, colon);
  const content = inner.slice(colon + 1);
  if (tag.toLowerCase() === "ipv6") {
    return isIPv6(content)
      ? { ok: true, ascii: text.toLowerCase(), isAddressLiteral: true, isUtf8: false }
      : fail("Invalid IPv6 address literal");
  }
  // General-address-literal = Standardized-tag ":" 1*dcontent; dcontent = %d33-90 / %d94-126
  if (!GENERAL_TAG.test(tag) || content.length === 0) return fail("Invalid address literal");
  for (let i = 0; i < content.length; i++) {
    const c = content.charCodeAt(i);
    if (c < 33 || c > 126 || (c >= 91 && c <= 93)) return fail("Invalid address literal");
  }
  return { ok: true, ascii: text.toLowerCase(), isAddressLiteral: true, isUtf8: false };
}

/**
 * Check a domain name (RFC 5321 §4.1.2 `Domain`, RFC 6531 U-labels when `utf8`) and convert it to
 * lowercase A-labels with UTS #46 (tr46). Rejects empty labels, a trailing dot, leading or trailing
 * hyphens, underscores, invalid Punycode, bidi and joiner violations, and over-long names.
 */
export function checkDomain(text: string, utf8: boolean): DomainCheck {
  // Fast path, the common name (a property test compares it with tr46); the general checks below.
  if (isPlainLdhName(text)) return { ok: true, ascii: text.toLowerCase(), isAddressLiteral: false, isUtf8: false };
  if (text.length === 0) return fail("Empty domain");
  if (utf8Length(text) > MAX_DOMAIN_BYTES) return fail("Domain too long");
  const nonAscii = hasNonAscii(text);
  if (nonAscii && !utf8) return fail("Non-ASCII domain requires SMTPUTF8", true);
  for (const label of text.split(".")) {
    if (label.length === 0) return fail("Empty domain label");
    if (nonAscii && hasNonAscii(label)) {
      if (label.startsWith("-") || label.endsWith("-")) return fail("Invalid domain label");
    } else if (!LDH_LABEL.test(label)) {
      return fail("Invalid domain label");
    }
  }
  let ascii: string | null;
  try {
    ascii = toASCII(text, IDNA_OPTIONS);
  } catch {
    ascii = null;
  }
  if (ascii === null || ascii.length === 0) return fail("Invalid domain name");
  // UTS #46 maps some non-ASCII to ASCII punctuation (e.g. U+FF0E FULLWIDTH FULL STOP to "."):
  // the result must still be a plain LDH name.
  if (!ascii.split(".").every((l) => LDH_LABEL.test(l))) return fail("Invalid domain name");
  return { ok: true, ascii: ascii.toLowerCase(), isAddressLiteral: false, isUtf8: nonAscii };
}

/** {@link checkDomain} or {@link checkAddressLiteral}, by the first character. */
export function checkDomainOrLiteral(text: string, utf8: boolean): DomainCheck {
  return text.startsWith("[") ? checkAddressLiteral(text) : checkDomain(text, utf8);
}

/** Options of {@link toLookupDomain}. */
export interface LookupDomainOptions {
  /**
   * Accept a name written with one trailing dot (`example.org.`, the fully qualified form of DNS
   * and of configuration files) and drop it. Default false: a trailing dot is refused, as it is in
   * an SMTP address. Never applies to address literals (`[192.0.2.1].` is refused).
   */
  readonly trailingDot?: boolean;
}

/**
 * The lookup form of a domain: exactly the `asciiDomain` that `parseCommand` gives for
 * `RCPT TO:<x@text>` (with SMTPUTF8, so U-labels are accepted): lowercase A-labels by UTS #46 as
 * {@link checkDomain} applies it, or an address literal in the parser's form (`[192.0.2.1]`,
 * `[ipv6:2001:db8::1]`). Undefined for anything the parser would refuse in an address. Use it for
 * every key (routes, configured domains, SNI names) that must match a parsed address, so that a
 * key and an address never go through two different IDNA implementations.
 */
export function toLookupDomain(text: string, options?: LookupDomainOptions): string | undefined {
  let name = text;
  if (options?.trailingDot === true && name.endsWith(".") && !name.startsWith("[")) name = name.slice(0, -1);
  const check = checkDomainOrLiteral(name, true);
  return check.ok ? check.ascii : undefined;
}
