// One domain normalisation: a configured domain and a mux route key must be exactly the
// `asciiDomain` the parser gives a recipient at RCPT, or a recipient of a local domain gets 550 or
// is misrouted. Both use @lmail/parser's toLookupDomain; this table checks the outcome.
import { toAsciiDomain } from "@lmail/mux";
import { isPostmaster, parseCommand } from "@lmail/parser";
import { describe, expect, it } from "vitest";
import { ConfigError, resolveConfig, type DaemonConfig } from "../src/config.js";
import { decideRecipient } from "../src/recipient-policy.js";

const cwd = "/srv/lmail";

/** The recipient RCPT gives for `x@name` (UTF-8 addresses allowed, as after MAIL … SMTPUTF8), or undefined if refused. */
function rcpt(name: string) {
  const r = parseCommand(new TextEncoder().encode(`RCPT TO:<x@${name}>`), { utf8Addresses: true });
  return r.ok && r.command.verb === "RCPT" && !isPostmaster(r.command.to) ? r.command.to : undefined;
}

/** The config's value for `domain: [name]`, and the mailbox domain for `mailbox: ["x@name"]`, or the ConfigError's message. */
function configured(name: string): { domain: string | undefined; mailboxDomain: string | undefined; error: string | undefined } {
  const attempt = (data: object): DaemonConfig | string => {
    try {
      return resolveConfig({ cwd, file: { path: "/etc/lmaild.json", data } });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.message;
    }
  };
  const domain = attempt({ domain: [name] });
  // The mailbox's domain must be a local domain: declare it under the parser's form when there is one.
  const mailbox = attempt({ domain: [rcpt(name)?.asciiDomain ?? "localhost"], mailbox: [`x@${name}`] });
  return {
    domain: typeof domain === "string" ? undefined : domain.domains[0],
    mailboxDomain: typeof mailbox === "string" ? undefined : [...mailbox.mailboxes.keys()][0],
    error: typeof domain === "string" ? domain : undefined,
  };
}

// [name as configured, the parser's asciiDomain for it (undefined: RCPT refuses it)]
const names: [string, string | undefined][] = [
  ["Example.ORG", "example.org"],
  ["bücher.example", "xn--bcher-kva.example"],
  ["BÜCHER．Example", "xn--bcher-kva.example"], // fullwidth full stop, uppercase U-label
  ["faß.de", "xn--fa-hia.de"], // nontransitional: ß kept (transitional would give fass.de)
  ["XN--BCHER-KVA.example", "xn--bcher-kva.example"],
  ["xn--fa-hia.de", "xn--fa-hia.de"],
  ["مثال.إختبار", "xn--mgbh0fb.xn--kgbechtv"],
  ["xn--a.example", undefined], // invalid Punycode
  ["xn--zz.example", undefined],
  ["ab--cd.example", "ab--cd.example"], // hyphens inside: RFC 5321 Ldh-str allows them
  ["-ab.example", undefined],
  ["ab-.example", undefined],
  ["-ü.example", undefined], // a U-label with a leading hyphen: domainToASCII gave xn----eha.example
  ["_dmarc.example", undefined],
  ["ü_x.example", undefined],
  ["a\u200db.example", undefined], // a joiner where CONTEXTJ forbids it
  [`${"a".repeat(63)}.example`, `${"a".repeat(63)}.example`],
  [`${"a".repeat(64)}.example`, undefined],
  [`${"a".repeat(62)}ü.example`, undefined], // a 63-character U-label whose A-label is too long
  [`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(60)}`, `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(60)}`], // 252, the longest a path can carry
  [`${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(63)}`, undefined], // 255
  ["example..org", undefined],
  ["127.1", "127.1"], // a name to the parser; domainToASCII made it 127.0.0.1
  ["0x7f.1", "0x7f.1"],
  ["192.0.2.1", "192.0.2.1"],
  ["example.123", "example.123"], // domainToASCII refused it; the parser accepts it at RCPT
];

/** The mux's key for a domain rule, or undefined where it throws its documented RangeError. */
function muxKey(name: string): string | undefined {
  try {
    return toAsciiDomain(name);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return undefined;
  }
}

describe("configured domains and mux keys are the parser's asciiDomain", () => {
  it.each(names)("%s", (name, expected) => {
    expect(muxKey(name), "mux").toBe(expected);
    expect(rcpt(name)?.asciiDomain, "the table's expectation").toBe(expected);
    const c = configured(name);
    expect(c.domain, "domain").toBe(expected);
    expect(c.mailboxDomain, "mailbox").toBe(expected);
    if (expected === undefined) expect(c.error).toMatch(/is not a domain name/);
  });

  it("a trailing dot is accepted and dropped, in domain and in mailbox", () => {
    const c = resolveConfig({ cwd, file: { path: "/etc/lmaild.json", data: { domain: ["Example.ORG.", "bücher.example."], mailbox: ["Alice@BÜCHER.example."] } } });
    expect(c.domains).toEqual(["example.org", "xn--bcher-kva.example"]);
    expect(c.mailboxes).toEqual(new Map([["xn--bcher-kva.example", new Set(["alice"])]]));
    expect(toAsciiDomain("Example.ORG.")).toBe("example.org");
  });

  it("address literals: the mux keys them as the parser does; lmaild refuses them", () => {
    for (const literal of ["[192.0.2.1]", "[IPv6:2001:db8::1]"]) {
      expect(rcpt(literal)?.isAddressLiteral).toBe(true);
      expect(toAsciiDomain(literal)).toBe(rcpt(literal)?.asciiDomain);
      expect(() => resolveConfig({ cwd, flags: { domain: [literal] } })).toThrow(/is an address literal/);
      expect(() => resolveConfig({ cwd, flags: { mailbox: [`x@${literal}`] } })).toThrow(/the domain of "x@\[.*\]" is an address literal/);
    }
  });

  it("a recipient of a configured domain is accepted at RCPT, in whatever form either was written", () => {
    const c = resolveConfig({ cwd, flags: { domain: ["127.1", "Bücher.example", "faß.de"], mailbox: ["anna@BÜCHER．example"] } });
    for (const [address, mailbox] of [["you@127.1", "you"], ["anna@xn--bcher-kva.EXAMPLE", "anna"], ["Jo@FASS.de", undefined], ["jo@faß.DE", "jo"]] as const) {
      const to = rcpt(address.slice(address.indexOf("@") + 1));
      expect(to, address).toBeDefined();
      const decision = decideRecipient({ localPartUnquoted: address.slice(0, address.indexOf("@")), asciiDomain: to!.asciiDomain, isAddressLiteral: to!.isAddressLiteral }, c);
      expect(decision.accept ? decision.mailbox : undefined, address).toBe(mailbox);
    }
  });
});
