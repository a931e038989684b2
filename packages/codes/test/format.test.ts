import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeReply, formatReply, MAX_REPLY_LINE_BYTES, neutraliseText, reply, wrapText } from "../src/index.js";

const utf8 = (s: string) => new TextEncoder().encode(s).length;

describe("reply formatting (RFC 5321 §4.2, §4.5.3.1.5; RFC 2034)", () => {
  it("RFC 5321 §4.2: a single line is code, space, text, CRLF", () => {
    expect(formatReply(reply(250, "2.0.0", "OK"))).toBe("250 2.0.0 OK\r\n");
  });

  it("RFC 5321 §4.2.1: multiline replies use code- on every line but the last", () => {
    expect(formatReply(reply(250, undefined, ["mx.example", "PIPELINING", "8BITMIME"]))).toBe(
      "250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
    );
  });

  it("RFC 2034 §4: the enhanced code precedes the text of every line, unless turned off", () => {
    const r = reply(550, "5.1.1", ["No such user", "here"]);
    expect(formatReply(r)).toBe("550-5.1.1 No such user\r\n550 5.1.1 here\r\n");
    expect(formatReply(r, { enhancedStatusCodes: false })).toBe("550-No such user\r\n550 here\r\n");
  });

  it("encodes UTF-8 bytes", () => {
    expect(new TextDecoder().decode(encodeReply(reply(250, "2.0.0", "héllo")))).toBe("250 2.0.0 héllo\r\n");
  });

  it("reply injection: CR, LF and NUL in text can never split or forge a reply", () => {
    const hostile = "ok\r\n250 2.0.0 forged\nx\0y\rz";
    const out = formatReply(reply(550, "5.1.1", `unknown <${hostile}>`));
    expect(out.split("\r\n")).toHaveLength(2);
    expect(out).not.toMatch(/[\0\n](?!$)/);
    expect(out.indexOf("\r")).toBe(out.length - 2);
    expect(out).toBe("550 5.1.1 unknown <ok  250 2.0.0 forged x y z>\r\n");
  });

  it("neutralises every control character but TAB, and C1 controls", () => {
    expect(neutraliseText("a\tb\x01c\x7fd\u0085e\u2028f")).toBe("a\tb c d e\u2028f");
  });

  it("RFC 5321 §4.5.3.1.5: wraps text so that no line exceeds 512 octets with CRLF", () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i}`).join(" ");
    const out = formatReply(reply(250, "2.0.0", words));
    const lines = out.split("\r\n").slice(0, -1);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(utf8(line) + 2).toBeLessThanOrEqual(MAX_REPLY_LINE_BYTES);
    expect(lines.slice(0, -1).every((l) => l.startsWith("250-2.0.0 "))).toBe(true);
    expect(lines.at(-1)!.startsWith("250 2.0.0 ")).toBe(true);
    expect(lines.map((l) => l.slice(10)).join(" ")).toBe(words);
  });

  it("wraps a word longer than a line inside the word, never inside a UTF-8 sequence", () => {
    const long = "é".repeat(700) + "😀".repeat(100);
    const out = formatReply(reply(550, "5.1.1", long));
    const lines = out.split("\r\n").slice(0, -1);
    for (const line of lines) expect(utf8(line) + 2).toBeLessThanOrEqual(512);
    expect(lines.map((l) => l.slice(10)).join("")).toBe(long);
    expect(out).not.toContain("\ufffd");
  });

  it("property: any text gives lines of at most 512 octets, none with a bare CR or LF", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 3000 }), fc.array(fc.string({ maxLength: 600 }), { maxLength: 4 }), (text, more) => {
        const out = formatReply(reply(451, "4.3.0", [text, ...more]));
        expect(out.endsWith("\r\n")).toBe(true);
        const lines = out.slice(0, -2).split("\r\n");
        for (const line of lines) {
          expect(line).not.toMatch(/[\r\n\0]/);
          expect(utf8(line) + 2).toBeLessThanOrEqual(512);
          expect(line).toMatch(/^451[- ]4\.3\.0( |$)/);
        }
        expect(lines.at(-1)!.startsWith("451 ")).toBe(true);
      }),
    );
  });

  it("the short-line fast path gives the same text as wrapping every line", () => {
    // The formatting before the fast path existed: every line neutralised and wrapped.
    const reference = (r: ReturnType<typeof reply>, enhanced: boolean): string => {
      const prefix = enhanced && r.enhanced !== undefined ? `${r.enhanced} ` : "";
      const lines = r.lines.flatMap((line) => wrapText(neutraliseText(line), MAX_REPLY_LINE_BYTES - 4 - prefix.length - 2));
      return lines.map((text, i) => `${r.code}${i === lines.length - 1 ? " " : "-"}${prefix}${text}`.trimEnd() + "\r\n").join("");
    };
    const line = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "grapheme", maxLength: 200 }), fc.string({ unit: "binary", maxLength: 170 }));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 5 }), fc.boolean(), (lines, enhanced) => {
        const r = reply(250, "2.1.0", lines);
        expect(formatReply(r, { enhancedStatusCodes: enhanced })).toBe(reference(r, enhanced));
      }),
    );
  });

  it("wrapText refuses a budget too small for one code point", () => {
    expect(() => wrapText("abc", 3)).toThrow(RangeError);
    expect(wrapText("ab cd ef", 5)).toEqual(["ab cd", "ef"]);
  });
});
