/**
 * How the mux compares addresses: domains as lowercase A-labels (the form @lmail/parser gives in
 * `Address.asciiDomain`), local parts with their subaddress optionally stripped (RFC 5233).
 */

// RFC 5321 §4.1.2 Domain, as lowercase A-labels: LDH labels separated by dots.
const ASCII_DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
// Characters that a URL parser would take as something other than part of a host name.
const NOT_HOST = /[\s/\\?#@:%[\]]/u;

/**
 * A domain as the mux compares it: lowercase A-labels, IDNA (UTS #46, non-transitional, as the
 * WHATWG URL standard applies it) for U-labels; an address literal (`[192.0.2.1]`) lowercased.
 * A trailing dot is dropped. Throws a `RangeError` for something that is not a domain (a
 * programming error when registering a route).
 */
export function toAsciiDomain(domain: string): string {
  let name = domain.endsWith(".") ? domain.slice(0, -1) : domain;
  if (name.startsWith("[") && name.endsWith("]")) return name.toLowerCase();
  name = name.toLowerCase();
  // eslint-disable-next-line no-control-regex
  if (/[^\u0000-\u007f]/u.test(name)) {
    if (NOT_HOST.test(name)) throw new RangeError(`not a domain: ${JSON.stringify(domain)}`);
    try {
      // The URL standard is available in every JavaScript runtime and applies UTS #46 to hosts.
      name = new URL(`http://${name}/`).hostname;
    } catch (cause) {
      throw new RangeError(`not a domain: ${JSON.stringify(domain)}`, { cause });
    }
  }
  if (!ASCII_DOMAIN.test(name)) throw new RangeError(`not a domain: ${JSON.stringify(domain)}`);
  return name;
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
