import { describe, expect, it } from "vitest";
import { ehloKeywords, resolveOptions } from "../src/index.js";
import { connection, transcript } from "./helpers.js";

const base = { hostname: "mx.example", connection };

describe("the EHLO keyword list (RFC 5321 §4.1.1.1) reflects options and state", () => {
  it("defaults: every extension but STARTTLS, AUTH and REQUIRETLS", () => {
    expect(ehloKeywords(resolveOptions(base), { tls: false, authenticated: false })).toEqual([
      "PIPELINING", "SIZE 26214400", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "BINARYMIME", "DSN",
    ]);
  });

  it("RFC 3207: STARTTLS only when the transport can do TLS and only before TLS", () => {
    const o = resolveOptions({ ...base, starttls: true });
    expect(ehloKeywords(o, { tls: false, authenticated: false })).toContain("STARTTLS");
    expect(ehloKeywords(o, { tls: true, authenticated: false })).not.toContain("STARTTLS");
  });

  it("RFC 4954: AUTH only with an auth hook, by default only under TLS; RFC 8689: REQUIRETLS only under TLS", () => {
    const o = resolveOptions({ ...base, auth: true });
    expect(ehloKeywords(o, { tls: false, authenticated: false })).not.toContain("AUTH PLAIN LOGIN");
    expect(ehloKeywords(o, { tls: true, authenticated: false })).toEqual(expect.arrayContaining(["AUTH PLAIN LOGIN", "REQUIRETLS"]));
    expect(ehloKeywords(o, { tls: true, authenticated: true })).not.toContain("AUTH PLAIN LOGIN");
    const clear = resolveOptions({ ...base, auth: { requireTls: false, mechanisms: ["LOGIN"] } });
    expect(ehloKeywords(clear, { tls: false, authenticated: false })).toContain("AUTH LOGIN");
    expect(ehloKeywords(resolveOptions(base), { tls: true, authenticated: false }).join(" ")).not.toContain("AUTH");
  });

  it("extensions can be turned off; SIZE without a limit is bare; BINARYMIME needs CHUNKING", () => {
    const o = resolveOptions({
      ...base,
      extensions: { pipelining: false, eightBitMime: false, smtputf8: false, enhancedStatusCodes: false, chunking: false, dsn: false, requireTls: false },
      limits: { maxMessageBytes: 0 },
    });
    expect(ehloKeywords(o, { tls: true, authenticated: false })).toEqual(["SIZE"]);
    expect(ehloKeywords(resolveOptions({ ...base, extensions: { size: false } }), { tls: false, authenticated: false })).not.toContain("SIZE 26214400");
  });

  it("without ENHANCEDSTATUSCODES, replies carry no enhanced codes after EHLO", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      S: 250-mx.example Hello client.example
      S: 250 PIPELINING
      C: MAIL FROM:<a@example.org>
      S: 250 Sender OK
      C: FOO
      S: 500 Command unrecognized
    `,
      { extensions: { size: false, eightBitMime: false, smtputf8: false, enhancedStatusCodes: false, chunking: false, dsn: false } },
    );
  });

  it("options are checked: limits are non-negative integers, a hostname is required", () => {
    expect(() => resolveOptions({ ...base, limits: { maxRecipients: -1 } })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, limits: { maxErrors: 1.5 } })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, limits: { maxCommandLineBytes: 2 } })).toThrow(RangeError);
    expect(() => resolveOptions({ ...base, hostname: "" })).toThrow(TypeError);
    expect(resolveOptions({ ...base, protocol: "lmtp" }).greetingText).toBe("LMTP");
  });
});
