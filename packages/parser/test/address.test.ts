import { describe, expect, it } from "vitest";
import { checkDomain, isIPv4, isIPv6, isPostmaster, parseAddress, parseForwardPath, parseReversePath } from "../src/index.js";

function addr(path: string, utf8 = false) {
  const r = parseForwardPath(path, { utf8 });
  if (!r.ok) throw new Error(`expected ${path} to parse: ${r.reply.lines.join(" ")}`);
  if (isPostmaster(r.address)) throw new Error("unexpected postmaster");
  return r.address;
}

function code(r: { ok: true } | { ok: false; reply: { code: number; enhanced?: string } }): string {
  return r.ok ? "ok" : `${r.reply.code} ${r.reply.enhanced ?? ""}`;
}

describe("paths (RFC 5321 §4.1.2)", () => {
  it("RFC 5321 §4.1.1.2: the null reverse-path <> gives null", () => {
    expect(parseReversePath("<>")).toEqual({ ok: true, address: null });
  });

  it("RFC 5321 §4.1.1.3: <>, the null path, is not a recipient (553 5.1.3)", () => {
    expect(code(parseForwardPath("<>"))).toBe("553 5.1.3");
  });

  it("RFC 5321 §4.1.1.3: <Postmaster> without a domain, any case, is the special recipient", () => {
    for (const p of ["<Postmaster>", "<postmaster>", "<POSTMASTER>"]) {
      const r = parseForwardPath(p);
      expect(r.ok && isPostmaster(r.address)).toBe(true);
    }
    // with a domain it is an ordinary mailbox
    expect(addr("<Postmaster@example.com>").localPart).toBe("Postmaster");
    // and it is no sender
    expect(code(parseReversePath("<Postmaster>"))).toBe("553 5.1.7");
  });

  it("RFC 5321 §4.1.2 Mailbox: keeps the raw form and gives local part, domain and A-label domain", () => {
    const a = addr("<John.Doe@Example.COM>");
    expect(a).toEqual({
      raw: "John.Doe@Example.COM",
      localPart: "John.Doe",
      localPartUnquoted: "John.Doe",
      domain: "Example.COM",
      asciiDomain: "example.com",
      isAddressLiteral: false,
      isUtf8: false,
      email: "John.Doe@Example.COM",
      hostname: "example.com",
    });
    expect(Object.isFrozen(a)).toBe(true);
  });

  it("RFC 5321 §4.1.2 Dot-string: every atext character is allowed, empty atoms are not", () => {
    expect(addr("<!#$%&'*+-/=?^_`{|}~@example.com>").localPart).toBe("!#$%&'*+-/=?^_`{|}~");
    for (const p of ["<.a@example.com>", "<a.@example.com>", "<a..b@example.com>", "<a b@example.com>", "<a(b)@example.com>", "<@example.com>"]) {
      expect(code(parseForwardPath(p)), p).toBe("553 5.1.3");
    }
  });

  it("RFC 5321 §4.1.2 Quoted-string: quoted local parts with spaces, @ and quoted-pairs are unquoted", () => {
    const a = addr('<"john \\"jd\\" doe@home"@example.com>');
    expect(a.localPart).toBe('"john \\"jd\\" doe@home"');
    expect(a.localPartUnquoted).toBe('john "jd" doe@home');
    expect(addr('<"a>b"@example.com>').localPartUnquoted).toBe("a>b");
    expect(code(parseForwardPath('<"a"b"@example.com>'))).toBe("553 5.1.3");
    expect(code(parseForwardPath('<"ab@example.com>'))).toBe("553 5.1.3");
  });

  it("RFC 5321 §4.1.2 / Appendix C: a source route is accepted and ignored", () => {
    const a = addr("<@relay.example,@other.example:user@example.com>");
    expect(a.raw).toBe("user@example.com");
    expect(code(parseForwardPath("<@relay.example user@example.com>"))).toBe("553 5.1.3");
    expect(code(parseForwardPath("<@bad_host:user@example.com>"))).toBe("553 5.1.3");
  });

  it("RFC 5321 §4.1.2 Domain: labels are let-dig [ldh-str], no empty label, no trailing dot", () => {
    expect(addr("<a@a-b.c0>").asciiDomain).toBe("a-b.c0");
    for (const d of ["-a.com", "a-.com", "a..com", "a.com.", "a_b.com", "a b.com", ".com", ""]) {
      expect(code(parseForwardPath(`<a@${d}>`)), d).toBe("553 5.1.3");
    }
  });

  it("RFC 5321 §4.1.3: IPv4 address literals are four numbers 0-255", () => {
    expect(addr("<a@[192.0.2.1]>")).toMatchObject({ domain: "[192.0.2.1]", asciiDomain: "[192.0.2.1]", isAddressLiteral: true });
    for (const l of ["[256.0.0.1]", "[1.2.3]", "[1.2.3.4.5]", "[1.2.3.x]", "[1234.1.1.1]", "[]"]) {
      expect(code(parseForwardPath(`<a@${l}>`)), l).toBe("553 5.1.3");
    }
    expect(isIPv4("0.0.0.0")).toBe(true);
    expect(isIPv4("255.255.255.255")).toBe(true);
  });

  it("RFC 5321 §4.1.3: IPv6 address literals are validated", () => {
    expect(addr("<a@[IPv6:2001:DB8::1]>").asciiDomain).toBe("[ipv6:2001:db8::1]");
    expect(addr("<a@[IPv6:::ffff:192.0.2.1]>").isAddressLiteral).toBe(true);
    for (const v of ["1:2:3:4:5:6:7:8", "::", "::1", "1::", "1:2:3:4:5:6:1.2.3.4", "1::1.2.3.4", "fe80::1:2:3:4:5:6"]) {
      expect(isIPv6(v), v).toBe(true);
    }
    for (const v of ["1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", ":::", "12345::", "g::1", "1:2:3:4:5:6:7:1.2.3.4", ":1::2", "1::2:", "1.2.3.4"]) {
      expect(isIPv6(v), v).toBe(false);
    }
    expect(code(parseForwardPath("<a@[IPv6:1::2::3]>"))).toBe("553 5.1.3");
  });

  it("RFC 5321 §4.1.3: general address literals are tag:dcontent", () => {
    expect(addr("<a@[x-tag:some-content]>").isAddressLiteral).toBe(true);
    expect(code(parseForwardPath("<a@[-tag:x]>"))).toBe("553 5.1.3");
    expect(code(parseForwardPath("<a@[tag:]>"))).toBe("553 5.1.3");
  });

  it("RFC 5321 §4.5.3.1.1: a local part of 64 octets passes, 65 fails", () => {
    expect(addr(`<${"a".repeat(64)}@example.com>`).localPart).toHaveLength(64);
    expect(code(parseForwardPath(`<${"a".repeat(65)}@example.com>`))).toBe("553 5.1.3");
  });

  it("RFC 5321 §4.5.3.1.2/§4.5.3.1.3: over-long domains and paths fail", () => {
    const label = "a".repeat(63);
    const domain = [label, label, label, "b".repeat(59)].join("."); // 251 octets: path <x@…> is 255
    expect(addr(`<x@${domain}>`).asciiDomain).toBe(domain);
    expect(code(parseForwardPath(`<xy@${domain}>`))).toBe("ok"); // 256
    expect(code(parseForwardPath(`<xyz@${domain}>`))).toBe("553 5.1.3"); // 257: path too long
    expect(code(parseForwardPath(`<x@${"a".repeat(64)}.com>`))).toBe("553 5.1.3"); // label > 63
    // a name over 253 octets (255 with the root's length octets) cannot be a DNS name
    expect(checkDomain(`${domain}.ab`, false).ok).toBe(false);
    expect(checkDomain(`${domain}.a`, false).ok).toBe(true);
  });

  it("RFC 5321 §4.1.2: the path needs its angle brackets", () => {
    expect(code(parseForwardPath("a@example.com"))).toBe("553 5.1.3");
    expect(code(parseReversePath("<a@example.com"))).toBe("553 5.1.7");
  });

  it("RFC 6531 §3.3: UTF-8 local parts and U-labels only with utf8, else 553 5.6.7", () => {
    expect(code(parseForwardPath("<jürgen@example.com>"))).toBe("553 5.6.7");
    expect(code(parseForwardPath("<a@bücher.example>"))).toBe("553 5.6.7");
    expect(code(parseReversePath("<a@bücher.example>"))).toBe("553 5.6.7");
    const a = addr("<jürgen@bücher.example>", true);
    expect(a).toMatchObject({ localPart: "jürgen", domain: "bücher.example", asciiDomain: "xn--bcher-kva.example", isUtf8: true });
    expect(addr('<"jü rgen"@example.com>', true).localPartUnquoted).toBe("jü rgen");
  });

  it("UTS #46 / IDNA: domains become lowercase A-labels; invalid labels are rejected", () => {
    expect(addr("<a@Bücher.EXAMPLE>", true).asciiDomain).toBe("xn--bcher-kva.example");
    expect(addr("<a@XN--BCHER-KVA.example>").asciiDomain).toBe("xn--bcher-kva.example");
    expect(addr("<a@faß.de>", true).asciiDomain).toBe("xn--fa-hia.de"); // nontransitional: ß kept
    expect(addr("<a@مثال.إختبار>", true).asciiDomain).toBe("xn--mgbh0fb.xn--kgbechtv");
    const check = (d: string) => checkDomain(d, true).ok;
    expect(check("xn--zz.example")).toBe(false); // invalid Punycode
    expect(check("xn--a.example")).toBe(false);
    expect(check("a\u200db.example")).toBe(false); // ZWJ outside a joining context (CheckJoiners)
    expect(check("a\u0661b1.example")).toBe(false); // mixed-direction label (CheckBidi)
    expect(check("ex\uff0eample.com")).toBe(true); // fullwidth full stop is a label separator in UTS #46
  });

  it("control characters and NUL in an address are rejected", () => {
    expect(code(parseForwardPath("<a\u0000b@example.com>"))).toBe("553 5.1.3");
    expect(code(parseForwardPath("<a@exa\tmple.com>"))).toBe("553 5.1.3");
    expect(code(parseForwardPath('<"a\u0085"@example.com>', { utf8: true }))).toBe("553 5.1.3");
  });

  it("parseAddress takes a bare local@domain", () => {
    const r = parseAddress("user@example.org");
    expect(r.ok && r.address.hostname).toBe("example.org");
    expect(parseAddress("<user@example.org>").ok).toBe(false);
    expect(parseAddress("user").ok).toBe(false);
  });
});
