import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPostmaster, parseCommand, toLookupDomain } from "../src/index.js";
import { bytes } from "./helpers.js";

/** What RCPT gives for the name: `asciiDomain` of `RCPT TO:<x@name>` (UTF-8 allowed), or undefined if refused. */
function rcptDomain(name: string): string | undefined {
  const r = parseCommand(bytes(`RCPT TO:<x@${name}>`), { utf8Addresses: true });
  if (!r.ok || r.command.verb !== "RCPT" || isPostmaster(r.command.to)) return undefined;
  return r.command.to.asciiDomain;
}

describe("toLookupDomain", () => {
  it("gives the asciiDomain of RCPT for names, U-labels and literals, and refuses what RCPT refuses", () => {
    const cases: [string, string | undefined][] = [
      ["Example.ORG", "example.org"],
      ["Bücher．Example", "xn--bcher-kva.example"],
      ["faß.de", "xn--fa-hia.de"], // nontransitional: ß is kept, not mapped to "ss"
      ["XN--BCHER-KVA.example", "xn--bcher-kva.example"],
      ["xn--a.example", undefined], // invalid Punycode
      ["ab--cd.example", "ab--cd.example"],
      ["-ab.example", undefined],
      ["-ü.example", undefined], // node:url's domainToASCII gives xn----eha.example
      ["_dmarc.example", undefined],
      ["127.1", "127.1"], // an ordinary name to the parser (domainToASCII would give 127.0.0.1)
      ["[192.0.2.1]", "[192.0.2.1]"],
      ["[IPv6:2001:DB8::1]", "[ipv6:2001:db8::1]"],
      ["[foo]", undefined],
      ["example.org.", undefined],
      ["", undefined],
    ];
    for (const [name, expected] of cases) {
      expect(toLookupDomain(name), name).toBe(expected);
      expect(rcptDomain(name), name).toBe(expected);
    }
  });

  it("drops one trailing dot only when asked, and never after an address literal", () => {
    expect(toLookupDomain("Example.ORG.", { trailingDot: true })).toBe("example.org");
    expect(toLookupDomain("bücher.example.", { trailingDot: true })).toBe("xn--bcher-kva.example");
    expect(toLookupDomain("example.org.", { trailingDot: false })).toBeUndefined();
    expect(toLookupDomain("example.org..", { trailingDot: true })).toBeUndefined();
    expect(toLookupDomain(".", { trailingDot: true })).toBeUndefined();
    expect(toLookupDomain("[192.0.2.1].", { trailingDot: true })).toBeUndefined();
  });

  it("checks DNS lengths: labels of at most 63, names of at most 253 characters (after IDNA)", () => {
    expect(toLookupDomain(`${"a".repeat(63)}.example`)).toBe(`${"a".repeat(63)}.example`);
    expect(toLookupDomain(`${"a".repeat(64)}.example`)).toBeUndefined();
    const name253 = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
    expect(toLookupDomain(name253)).toBe(name253);
    expect(toLookupDomain(`${name253}e`)).toBeUndefined();
    // ü is 1 character but its A-label is longer: 62 ü-free letters and ü make a 63-character U-label, a 71-character A-label
    expect(toLookupDomain(`${"a".repeat(62)}ü.example`)).toBeUndefined();
  });

  it("property: for any name of letters, digits, hyphens, dots, underscores, ß, ü and fullwidth dots, equals RCPT's asciiDomain", () => {
    const piece = fc.constantFrom("a", "Z", "0", "9", "-", ".", "_", "ß", "ü", "Ü", "\uff0e", "xn--", "XN--", "kva", "hia", "zz");
    fc.assert(
      fc.property(fc.array(piece, { minLength: 0, maxLength: 12 }), (pieces) => {
        const name = pieces.join("");
        expect(toLookupDomain(name)).toBe(rcptDomain(name));
      }),
      { numRuns: 3000 },
    );
  });
});
