/**
 * How the mux compares addresses: domains as lowercase A-labels (the form @lmail/parser gives in
 * `Address.asciiDomain`), local parts with their subaddress optionally stripped (RFC 5233).
 */

import { toLookupDomain } from "@lmail/parser";

/**
 * A domain as the mux compares it: exactly the `asciiDomain` @lmail/parser gives for the same name
 * in an address (its `toLookupDomain`): lowercase A-labels by UTS #46 (non-transitional, STD3
 * rules, bidi, joiners, DNS lengths; `xn--` labels must be valid Punycode), or an address literal
 * in the parser's form (`[192.0.2.1]`, `[ipv6:2001:db8::1]`). A trailing dot is dropped (not after
 * a literal). Throws a `RangeError` for something the parser would refuse in an address (a
 * programming error when registering a route: such a rule could never match).
 */
export function toAsciiDomain(domain: string): string {
  const ascii = toLookupDomain(domain, { trailingDot: true });
  if (ascii === undefined) throw new RangeError(`not a domain: ${JSON.stringify(domain)}`);
  return ascii;
}

/**
 * The local part without its subaddress: everything before the first of `delimiters` (each
 * character is one delimiter, as Postfix's `recipient_delimiter`). Unchanged when `delimiters` is
 * empty, when no delimiter occurs, or when the local part starts with one (`+foo` is a name, not
 * an empty user with a tag).
 */
export function stripSubaddress(localPart: string, delimiters: string): string {
  if (delimiters === "") return localPart;
  for (let i = 1; i < localPart.length; i++) {
    if (delimiters.includes(localPart[i] ?? "")) return localPart.slice(0, i);
  }
  return localPart;
}
