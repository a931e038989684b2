import { describe, expect, it } from "vitest";
import { parseHeaderBlock } from "../src/header-block.js";

const enc = new TextEncoder();

describe("header block for the data hook (RFC 5322 §2.2)", () => {
  it("unfolds fields and stops at the empty line", () => {
    const text = "Subject: hello\r\n world\r\nFrom: a@example.org\r\n\r\nbody: not a header\r\n";
    const r = parseHeaderBlock(enc.encode(text));
    expect(r.fields).toEqual([
      { name: "Subject", value: "hello world" },
      { name: "From", value: "a@example.org" },
    ]);
    expect(r.end).toBe(text.indexOf("body"));
  });

  it("reports no end while the block is incomplete, and decodes UTF-8 values", () => {
    const r = parseHeaderBlock(enc.encode("Subject: caf\u00e9\r\nTo: b"));
    expect(r.end).toBeUndefined();
    expect(r.fields[0]).toEqual({ name: "Subject", value: "caf\u00e9" });
  });
});
