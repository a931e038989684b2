import { describe, expect, it } from "vitest";
import type { Envelope, SessionInfo } from "../src/index.js";
import { formatReceived, formatRfc5322Date, withProtocol } from "../src/index.js";

const base: SessionInfo = {
  id: "abc123",
  protocol: "smtp",
  remoteAddress: "192.0.2.7",
  remotePort: 40000,
  localAddress: "198.51.100.1",
  localPort: 25,
  heloName: "client.example",
  heloVerb: "EHLO",
};
const address = (raw: string) => ({ raw, localPart: raw.split("@")[0]!, localPartUnquoted: raw.split("@")[0]!, domain: raw.split("@")[1]!, asciiDomain: raw.split("@")[1]!, isAddressLiteral: false, isUtf8: false, email: raw, hostname: raw.split("@")[1]! });
const envelope = (rcpts: string[], smtputf8 = false): Envelope => ({
  from: address("a@client.example"),
  mailParams: { raw: [] },
  recipients: rcpts.map((r) => ({ address: address(r), params: { raw: [] } })),
  bodyType: "7BIT",
  smtputf8,
});
const date = new Date(Date.UTC(2026, 10, 23, 7, 8, 5));

describe("Received: trace field (RFC 5321 §4.4)", () => {
  it("has from, by, with, id, for and the date, folded with CRLF", () => {
    const text = formatReceived({ session: { ...base, remoteHostname: "client.example.net" }, envelope: envelope(["u@example.org"]), hostname: "mx.example.org", date });
    expect(text).toBe(
      "Received: from client.example (client.example.net [192.0.2.7])\r\n" +
        "\tby mx.example.org (lmail) with ESMTP id abc123\r\n" +
        "\tfor <u@example.org>;\r\n" +
        "\tMon, 23 Nov 2026 07:08:05 +0000\r\n",
    );
  });

  it("names no recipient when there are several (no Bcc disclosure)", () => {
    const text = formatReceived({ session: base, envelope: envelope(["u@example.org", "v@example.org"]), hostname: "mx", date });
    expect(text).not.toContain("for <");
    expect(text).toContain("id abc123;\r\n\tMon, 23 Nov 2026");
  });

  it("shows IPv6 literals as [IPv6:…] and IPv4-mapped addresses as IPv4 (RFC 5321 §4.1.3)", () => {
    expect(formatReceived({ session: { ...base, remoteAddress: "2001:db8::5" }, envelope: envelope(["u@x"]), hostname: "mx", date })).toContain("([IPv6:2001:db8::5])");
    expect(formatReceived({ session: { ...base, remoteAddress: "::ffff:192.0.2.9" }, envelope: envelope(["u@x"]), hostname: "mx", date })).toContain("([192.0.2.9])");
  });

  it("keeps client text from breaking the field", () => {
    const text = formatReceived({ session: { ...base, heloName: "evil)\r\nX-Injected: 1" }, envelope: envelope(["u@x"]), hostname: "mx", date });
    expect(text.split("\r\n").filter((l) => l.startsWith("X-Injected"))).toEqual([]);
  });

  it("reports TLS with the protocol and cipher", () => {
    const text = formatReceived({ session: { ...base, tls: { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", implicit: false } }, envelope: envelope(["u@x"]), hostname: "mx", date });
    expect(text).toContain("with ESMTPS id");
    expect(text).toContain("(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)");
  });
});

describe("with-protocol names (RFC 3848, RFC 6531 §3.7.3)", () => {
  it("names SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, LMTP and UTF8SMTPS", () => {
    const tls = { protocol: "TLSv1.3", cipher: "x", implicit: false };
    expect(withProtocol({ ...base, heloVerb: "HELO" }, envelope([]))).toBe("SMTP");
    expect(withProtocol(base, envelope([]))).toBe("ESMTP");
    expect(withProtocol({ ...base, tls }, envelope([]))).toBe("ESMTPS");
    expect(withProtocol({ ...base, user: "u" }, envelope([]))).toBe("ESMTPA");
    expect(withProtocol({ ...base, tls, user: "u" }, envelope([]))).toBe("ESMTPSA");
    expect(withProtocol({ ...base, protocol: "lmtp", heloVerb: "LHLO" }, envelope([]))).toBe("LMTP");
    expect(withProtocol({ ...base, tls }, envelope([], true))).toBe("UTF8SMTPS");
  });

  it("formats RFC 5322 dates with two-digit times", () => {
    expect(formatRfc5322Date(new Date(Date.UTC(2027, 0, 2, 3, 4, 5)))).toBe("Sat, 2 Jan 2027 03:04:05 +0000");
  });
});
