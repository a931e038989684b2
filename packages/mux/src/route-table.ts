import type { Envelope, Handler, Recipient, SessionInfo } from "@lmail/session";
import { stripSubaddress, toAsciiDomain } from "./normalize.js";

/** A routing rule decided by code: true when `handler` serves this recipient. Called at RCPT time. */
export type RoutePredicate = (recipient: Recipient, envelope: Envelope, session: SessionInfo) => boolean;

/** How a {@link RouteTable} compares local parts. */
export interface LocalPartRules {
  /** Compare local parts case-sensitively (RFC 5321 §2.4 allows it; "Postmaster" never is). */
  readonly caseSensitiveLocalParts: boolean;
  /** Subaddress delimiter characters; "" turns subaddress stripping off. */
  readonly subaddressDelimiters: string;
}

/** True for the bare `<Postmaster>` recipient of RFC 5321 §4.1.1.3 (no domain). */
export function isPostmaster(address: Recipient["address"]): address is Extract<Recipient["address"], { postmaster: true }> {
  return "postmaster" in address && address.postmaster;
}

/**
 * The routing rules of a {@link Mux}, and their precedence. For a recipient `local@domain`:
 *
 * 1. an exact address rule for `local@domain`, then for `base@domain` (the subaddress stripped);
 * 2. a local-part rule for `local`, then for `base`;
 * 3. a domain rule for `domain`, then a wildcard rule `*.parent` for each parent, nearest first;
 * 4. the predicates, in the order they were added; the first that returns true wins;
 * 5. none (the mux's default handler).
 *
 * The bare `<Postmaster>` has no domain: only local-part rules for "postmaster" and predicates
 * apply to it. Domains compare as lowercase A-labels; "postmaster" compares case-insensitively
 * (RFC 5321 §4.5.1) whatever the local-part rule.
 */
export class RouteTable {
  readonly #rules: LocalPartRules;
  readonly #addresses = new Map<string, Handler>();
  readonly #localParts = new Map<string, Handler>();
  readonly #domains = new Map<string, Handler>();
  readonly #wildcards = new Map<string, Handler>();
  readonly #predicates: (readonly [RoutePredicate, Handler])[] = [];

  constructor(rules: LocalPartRules) {
    this.#rules = rules;
  }

  #foldLocal(localPart: string): string {
    const lower = localPart.toLowerCase();
    return this.#rules.caseSensitiveLocalParts && lower !== "postmaster" ? localPart : lower;
  }

  static #add(map: Map<string, Handler>, key: string, handler: Handler, what: string): void {
    if (map.has(key)) throw new RangeError(`${what} ${JSON.stringify(key)} is already routed`);
    map.set(key, handler);
  }

  /** `address` is `local@domain`, the local part unquoted (`a b@example.org` for `"a b"@example.org`). */
  addAddress(address: string, handler: Handler): void {
    const at = address.lastIndexOf("@");
    if (at <= 0 || at === address.length - 1) throw new RangeError(`not an address: ${JSON.stringify(address)}`);
    const key = `${this.#foldLocal(address.slice(0, at))}@${toAsciiDomain(address.slice(at + 1))}`;
    RouteTable.#add(this.#addresses, key, handler, "address");
  }

  /** `localPart` unquoted, in any domain. */
  addLocalPart(localPart: string, handler: Handler): void {
    if (localPart === "") throw new RangeError("empty local part");
    RouteTable.#add(this.#localParts, this.#foldLocal(localPart), handler, "local part");
  }

  /** A domain (U-labels or A-labels, any case), or `*.example.org` for every subdomain of example.org (not example.org itself). */
  addDomain(domain: string, handler: Handler): void {
    if (domain.startsWith("*.")) {
      RouteTable.#add(this.#wildcards, toAsciiDomain(domain.slice(2)), handler, "domain");
    } else {
      RouteTable.#add(this.#domains, toAsciiDomain(domain), handler, "domain");
    }
  }

  addPredicate(predicate: RoutePredicate, handler: Handler): void {
    this.#predicates.push([predicate, handler]);
  }

  /** The handler the rules give for `recipient`, or undefined when no rule matches. */
  lookup(recipient: Recipient, envelope: Envelope, session: SessionInfo): Handler | undefined {
    const address = recipient.address;
    const local = isPostmaster(address) ? "postmaster" : this.#foldLocal(address.localPartUnquoted);
    const base = stripSubaddress(local, this.#rules.subaddressDelimiters);
    if (!isPostmaster(address)) {
      const domain = address.asciiDomain;
      const exact = this.#addresses.get(`${local}@${domain}`) ?? this.#addresses.get(`${base}@${domain}`);
      if (exact !== undefined) return exact;
      const byLocal = this.#localParts.get(local) ?? this.#localParts.get(base);
      if (byLocal !== undefined) return byLocal;
      const byDomain = this.#domains.get(domain);
      if (byDomain !== undefined) return byDomain;
      if (!address.isAddressLiteral) {
        for (let dot = domain.indexOf("."); dot !== -1; dot = domain.indexOf(".", dot + 1)) {
          const byParent = this.#wildcards.get(domain.slice(dot + 1));
          if (byParent !== undefined) return byParent;
        }
      }
    } else {
      const byLocal = this.#localParts.get(local);
      if (byLocal !== undefined) return byLocal;
    }
    for (const [predicate, handler] of this.#predicates) {
      if (predicate(recipient, envelope, session)) return handler;
    }
    return undefined;
  }
}
