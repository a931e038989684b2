import { describe, expect, it } from "vitest";
import { parseCommand } from "@lmail/parser";
import type { Handler } from "@lmail/session";
import { Mux, stripSubaddress, toAsciiDomain } from "../src/index.js";
import { envelope, recipient, sessionInfo } from "./helpers.js";

const named = (name: string): Handler & { name: string } => ({ name });
const routeOf = (mux: Mux, raw: string): Handler => mux.route(recipient(raw), envelope([]), sessionInfo());

describe("exact address rules", () => {
  it("match the address, the domain compared case-insensitively (RFC 5321 §2.4)", () => {
    const a = named("a");
    const fallback = named("default");
    const mux = new Mux({ defaultHandler: fallback }).address("alice@Example.ORG", a);
    expect(routeOf(mux, "alice@example.org")).toBe(a);
    expect(routeOf(mux, "alice@EXAMPLE.org")).toBe(a);
    expect(routeOf(mux, "bob@example.org")).toBe(fallback);
    expect(routeOf(mux, "alice@example.net")).toBe(fallback);
  });

  it("compare domains as lowercase A-labels, whichever form was registered or sent (RFC 5890, UTS #46)", () => {
    const u = named("u");
    const a = named("a");
    const mux = new Mux().address("kim@Bücher.Example", u).address("jo@xn--mnchen-3ya.example", a);
    expect(routeOf(mux, "kim@xn--bcher-kva.example")).toBe(u);
    expect(routeOf(mux, "kim@bücher.example")).toBe(u);
    expect(routeOf(mux, "jo@münchen.example")).toBe(a);
  });

  it("also serve the address's +tag subaddresses (RFC 5233), unless the full address has its own rule", () => {
    const base = named("base");
    const tagged = named("tagged");
    const mux = new Mux().address("alice@example.org", base).address("alice+lists@example.org", tagged);
    expect(routeOf(mux, "alice+shop@example.org")).toBe(base);
    expect(routeOf(mux, "alice+lists@example.org")).toBe(tagged);
  });

  it("match an address literal domain, lowercased (RFC 5321 §4.1.3)", () => {
    const h = named("literal");
    const mux = new Mux().address("root@[IPv6:2001:DB8::1]", h);
    expect(routeOf(mux, "root@[IPv6:2001:db8::1]")).toBe(h);
  });
});

describe("domain rules", () => {
  it("match every local part in the domain, case-insensitively and by A-label", () => {
    const h = named("d");
    const mux = new Mux().domain("Bücher.example", h);
    expect(routeOf(mux, "anyone@BÜCHER.example")).toBe(h);
    expect(routeOf(mux, "x@xn--bcher-kva.example")).toBe(h);
    expect(routeOf(mux, "x@sub.bücher.example")).not.toBe(h);
  });

  it("*.parent matches every subdomain, not the parent; the exact domain and then the nearest parent win", () => {
    const star = named("*.example.org");
    const deep = named("*.b.example.org");
    const exact = named("a.b.example.org");
    const mux = new Mux().domain("*.example.org", star).domain("*.b.example.org", deep).domain("a.b.example.org", exact);
    expect(routeOf(mux, "x@a.b.example.org")).toBe(exact);
    expect(routeOf(mux, "x@c.b.example.org")).toBe(deep);
    expect(routeOf(mux, "x@z.example.org")).toBe(star);
    expect(routeOf(mux, "x@example.org")).not.toBe(star);
  });
});

describe("local-part rules", () => {
  it("strip the +tag subaddress before matching (RFC 5233)", () => {
    const h = named("lp");
    const mux = new Mux().localPart("support", h);
    expect(routeOf(mux, "support@a.example")).toBe(h);
    expect(routeOf(mux, "support+billing@b.example")).toBe(h);
    expect(routeOf(mux, "supporter@a.example")).not.toBe(h);
  });

  it("fold case by default; caseSensitiveLocalParts compares exactly (RFC 5321 §2.4)", () => {
    const h = named("lp");
    expect(routeOf(new Mux().localPart("Support", h), "SUPPORT@a.example")).toBe(h);
    const strict = new Mux({ caseSensitiveLocalParts: true }).localPart("Support", h);
    expect(routeOf(strict, "Support@a.example")).toBe(h);
    expect(routeOf(strict, "support@a.example")).not.toBe(h);
  });

  it("subaddressDelimiters: several delimiters, or none", () => {
    const h = named("lp");
    const both = new Mux({ subaddressDelimiters: "+-" }).localPart("list", h);
    expect(routeOf(both, "list-owner@a.example")).toBe(h);
    expect(routeOf(both, "list+x@a.example")).toBe(h);
    const none = new Mux({ subaddressDelimiters: "" }).localPart("list", h);
    expect(routeOf(none, "list+x@a.example")).not.toBe(h);
    expect(stripSubaddress("+leading", "+")).toBe("+leading");
    expect(stripSubaddress("a+b+c", "+")).toBe("a");
  });

  it("match the unquoted local part of a quoted-string address (RFC 5321 §4.1.2)", () => {
    const h = named("quoted");
    const mux = new Mux().localPart("john doe", h);
    expect(routeOf(mux, '"john doe"@a.example')).toBe(h);
  });

  it("postmaster serves <Postmaster> and postmaster@any domain, case-insensitively even when local parts are case-sensitive (RFC 5321 §4.5.1)", () => {
    const pm = named("postmaster");
    const dom = named("domain");
    const mux = new Mux({ caseSensitiveLocalParts: true }).localPart("postmaster", pm).domain("a.example", dom);
    expect(routeOf(mux, "Postmaster")).toBe(pm);
    expect(routeOf(mux, "POSTMASTER@a.example")).toBe(pm);
    // A bare <Postmaster> has no domain: domain rules never see it.
    expect(routeOf(new Mux().domain("a.example", dom), "Postmaster")).not.toBe(dom);
  });
});

describe("predicate rules", () => {
  it("are tried in the order added, with the recipient, the envelope and the session", () => {
    const first = named("first");
    const second = named("second");
    const seen: unknown[] = [];
    const mux = new Mux()
      .match((r, env, session) => {
        seen.push([r.address.raw, env.recipients.length, session.id]);
        return r.address.raw.startsWith("a");
      }, first)
      .match((r) => r.address.raw.startsWith("a") || r.address.raw.startsWith("b"), second);
    expect(routeOf(mux, "ann@x.example")).toBe(first);
    expect(routeOf(mux, "bob@x.example")).toBe(second);
    expect(seen).toEqual([
      ["ann@x.example", 0, "conn-1"],
      ["bob@x.example", 0, "conn-1"],
    ]);
  });
});

describe("precedence: address > local part > domain > predicates > default", () => {
  const byAddress = named("address");
  const byLocal = named("local");
  const byDomain = named("domain");
  const byPredicate = named("predicate");
  const fallback = named("default");
  const mux = new Mux({ defaultHandler: fallback })
    .match(() => true, byPredicate)
    .domain("a.example", byDomain)
    .localPart("sales", byLocal)
    .address("sales@a.example", byAddress);

  it.each([
    ["sales@a.example", byAddress],
    ["sales+q1@a.example", byAddress],
    ["sales@b.example", byLocal],
    ["info@a.example", byDomain],
    ["info@b.example", byPredicate],
  ])("%s", (raw, expected) => {
    expect(routeOf(mux, raw)).toBe(expected);
  });

  it("the default handler serves what no rule matches", () => {
    expect(routeOf(new Mux({ defaultHandler: fallback }).domain("a.example", byDomain), "x@b.example")).toBe(fallback);
  });
});

describe("registration", () => {
  it("refuses a second rule for the same key, and what is not an address or a domain", () => {
    const h = named("h");
    const mux = new Mux().address("a@b.example", h).domain("b.example", h).localPart("a", h);
    expect(() => mux.address("A@B.EXAMPLE", h)).toThrow(RangeError);
    expect(() => mux.domain("B.example.", h)).toThrow(RangeError);
    expect(() => mux.localPart("A", h)).toThrow(RangeError);
    expect(() => mux.address("no-at-sign", h)).toThrow(RangeError);
    expect(() => mux.address("@b.example", h)).toThrow(RangeError);
    expect(() => mux.domain("exa mple.org", h)).toThrow(RangeError);
    expect(() => mux.domain("bü/cher.example", h)).toThrow(RangeError);
    expect(() => mux.localPart("", h)).toThrow(RangeError);
  });

  it("toAsciiDomain gives lowercase A-labels and keeps literals", () => {
    expect(toAsciiDomain("Bücher.Example.")).toBe("xn--bcher-kva.example");
    expect(toAsciiDomain("EXAMPLE.org")).toBe("example.org");
    expect(toAsciiDomain("[192.0.2.1]")).toBe("[192.0.2.1]");
    expect(toAsciiDomain("faß.de")).toBe("xn--fa-hia.de");
  });

  it("toAsciiDomain is the parser's asciiDomain for the same name at RCPT, or a RangeError where RCPT refuses it", () => {
    const rcptDomain = (name: string): string | undefined => {
      const r = parseCommand(new TextEncoder().encode(`RCPT TO:<x@${name}>`), { utf8Addresses: true });
      return r.ok && r.command.verb === "RCPT" && !("postmaster" in r.command.to) ? r.command.to.asciiDomain : undefined;
    };
    // Accepted before this key was the parser's: each made a route that no recipient could match.
    for (const name of ["xn--a.example", "xn--zz.example", `${"a".repeat(64)}.example`, "[foo]", "[192.0.2.1].", "-ü.example"]) {
      expect(rcptDomain(name), name).toBeUndefined();
      expect(() => toAsciiDomain(name), name).toThrow(RangeError);
    }
    for (const name of ["Bücher．Example", "XN--BCHER-KVA.example", "ab--cd.example", "127.1", "[IPv6:2001:DB8::1]", "[192.0.2.1]"]) {
      expect(toAsciiDomain(name), name).toBe(rcptDomain(name));
    }
    expect(toAsciiDomain("Example.ORG.")).toBe(rcptDomain("Example.ORG"));
  });

  it("a route registered with a U-label serves the recipient the parser gives for it", () => {
    const u = named("u");
    const mux = new Mux({ defaultHandler: named("default") }).domain("Bücher．Example.", u);
    const r = parseCommand(new TextEncoder().encode("RCPT TO:<anna@BÜCHER.example>"), { utf8Addresses: true });
    if (!r.ok || r.command.verb !== "RCPT") throw new Error("expected a RCPT");
    expect(mux.route({ address: r.command.to, params: r.command.params }, envelope([]), sessionInfo())).toBe(u);
  });

  it("rejects limits that are not positive integers", () => {
    expect(() => new Mux({ spillThresholdBytes: 0 })).toThrow(RangeError);
    expect(() => new Mux({ spillReadBytes: 1.5 })).toThrow(RangeError);
  });
});
