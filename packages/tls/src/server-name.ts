import { domainToASCII } from "node:url";

// RFC 1035 §2.3.4: a label is at most 63 octets, a name at most 253 in text form.
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const MAX_NAME_LENGTH = 253;

/**
 * The lookup form of a host name: A-labels (punycode), lower case, no trailing dot. Returns
 * undefined for something that is not a host name (an IP literal is not: RFC 6066 §3 forbids it in SNI).
 */
export function normalizeHostName(name: string): string | undefined {
  const trimmed = name.endsWith(".") ? name.slice(0, -1) : name;
  if (trimmed === "") return undefined;
  const ascii = domainToASCII(trimmed).toLowerCase();
  if (ascii === "" || ascii.length > MAX_NAME_LENGTH) return undefined;
  const labels = ascii.split(".");
  if (!labels.every((label) => LABEL.test(label))) return undefined;
  // A name made only of digits and dots is an IPv4 literal, not a host name.
  if (labels.every((label) => /^[0-9]+$/.test(label))) return undefined;
  return ascii;
}

/**
 * The lookup form of an SNI key: a host name, or `*.` and a host name of at least two labels
 * (one wildcard label, leftmost, as RFC 6125 §6.4.3 allows). Undefined when the key is neither.
 */
export function normalizeSniKey(key: string): string | undefined {
  if (key.startsWith("*.")) {
    const rest = normalizeHostName(key.slice(2));
    return rest !== undefined && rest.includes(".") ? `*.${rest}` : undefined;
  }
  return normalizeHostName(key);
}

/** The keys that may serve `servername`, best first: the exact name, then its one-label wildcard. */
export function sniCandidates(servername: string): string[] {
  const name = normalizeHostName(servername);
  if (name === undefined) return [];
  const dot = name.indexOf(".");
  return dot > 0 && name.indexOf(".", dot + 1) > 0 ? [name, `*${name.slice(dot)}`] : [name];
}
