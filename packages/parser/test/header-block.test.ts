import { describe, expect, it } from "vitest";
import { parseHeaderBlock } from "../src/index.js";
import { bytes, raw } from "./helpers.js";

describe("parseHeaderBlock (RFC 5322 §2.2)", () => {
  it("RFC 5322 §2.2: fields up to the empty line; end counts the empty line", () => {
    const head = "From: a@example.com\r\nSubject: Hello\r\n\r\n";
    expect(parseHeaderBlock(bytes(`${head}body\r\n`))).toEqual({
      fields: [
        { name: "From", value: "a@example.com" },
        { name: "Subject", value: "Hello" },
      ],
      end: head.length,
    });
  });

  it("RFC 5322 §2.2.3: folded fields are unfolded", () => {
    const r = parseHeaderBlock(bytes("Subject: a long\r\n  subject\r\n\tline\r\nX: y\r\n\r\n"));
    expect(r.fields).toEqual([
      { name: "Subject", value: "a long  subject\tline" },
      { name: "X", value: "y" },
    ]);
  });

  it("no complete block: end is undefined and only fields known to be complete are given", () => {
    expect(parseHeaderBlock(bytes("From: a\r\nSubject: partial"))).toEqual({ fields: [{ name: "From", value: "a" }], end: undefined });
    expect(parseHeaderBlock(bytes("From: a\r\nSubject: x\r\n"))).toEqual({ fields: [{ name: "From", value: "a" }], end: undefined });
    expect(parseHeaderBlock(new Uint8Array(0))).toEqual({ fields: [], end: undefined });
  });

  it("a message without header fields: the block is just the empty line", () => {
    expect(parseHeaderBlock(bytes("\r\nbody"))).toEqual({ fields: [], end: 2 });
  });

  it("RFC 5322 §3.6.8: a line that is not a field ends the block there (it starts the body)", () => {
    expect(parseHeaderBlock(bytes("From: a\r\nthis is body\r\n\r\n"))).toEqual({ fields: [{ name: "From", value: "a" }], end: 9 });
    expect(parseHeaderBlock(bytes(" continuation first\r\n\r\n"))).toEqual({ fields: [], end: 0 });
    expect(parseHeaderBlock(bytes(": no name\r\n\r\n")).end).toBe(0);
  });

  it("LF-only lines, whitespace before the colon (RFC 5322 §4.5.8) and 8-bit values are handled", () => {
    expect(parseHeaderBlock(bytes("A: 1\nB : 2\n\nbody"))).toEqual({ fields: [{ name: "A", value: "1" }, { name: "B", value: "2" }], end: 12 });
    expect(parseHeaderBlock(bytes("Subject: grüße\r\n\r\n")).fields[0]?.value).toBe("grüße");
    expect(parseHeaderBlock(raw("Subject: \xff\r\n\r\n")).fields[0]?.value).toBe("\ufffd");
  });
});

describe("parseHeaderBlock: hostile input", () => {
  it("a long whitespace run inside a value takes linear time (no regex backtracking)", () => {
    const value = `x${" \t".repeat(100_000)}y`;
    const start = performance.now();
    const r = parseHeaderBlock(bytes(`Subject: ${value}  \r\n\r\n`));
    expect(r.fields[0]?.value).toBe(value);
    // quadratic trimming took minutes here; linear takes milliseconds (bound generous for busy CI)
    expect(performance.now() - start).toBeLessThan(2_000);
  });
});
