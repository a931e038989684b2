import fc from "fast-check";
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

/** The parser before its US-ASCII fast path (each field's value joined into a new array and decoded, names decoded): the reference. */
function referenceParse(bytes: Uint8Array): { fields: { name: string; value: string }[]; end: number | undefined } {
  const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
  const isWsp = (c: number) => c === 0x20 || c === 0x09;
  const trim = (t: string) => {
    let s = 0;
    let e = t.length;
    while (s < e && isWsp(t.charCodeAt(s))) s++;
    while (e > s && isWsp(t.charCodeAt(e - 1))) e--;
    return t.slice(s, e);
  };
  const fields: { name: string; value: string }[] = [];
  let name: string | undefined;
  let parts: Uint8Array[] = [];
  const close = () => {
    if (name === undefined) return;
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    fields.push({ name, value: trim(lenient.decode(joined)) });
    name = undefined;
    parts = [];
  };
  let pos = 0;
  for (;;) {
    const lf = bytes.indexOf(0x0a, pos);
    if (lf === -1) {
      if (pos < bytes.length && !isWsp(bytes[pos] ?? 0)) close();
      return { fields, end: undefined };
    }
    const contentEnd = lf > pos && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
    if (contentEnd === pos) {
      close();
      return { fields, end: lf + 1 };
    }
    const first = bytes[pos];
    if (first === 0x20 || first === 0x09) {
      if (name === undefined) return { fields, end: pos };
      parts.push(bytes.subarray(pos, contentEnd));
    } else {
      const colon = bytes.subarray(pos, contentEnd).indexOf(0x3a);
      let nameEnd = pos + colon;
      while (colon > 0 && nameEnd > pos && isWsp(bytes[nameEnd - 1] ?? 0)) nameEnd--;
      let valid = nameEnd > pos;
      for (let i = pos; i < nameEnd; i++) if ((bytes[i] ?? 0) < 33 || (bytes[i] ?? 0) > 126) valid = false;
      if (colon === -1 || !valid) {
        close();
        return { fields, end: pos };
      }
      close();
      name = lenient.decode(bytes.subarray(pos, nameEnd));
      parts = [bytes.subarray(pos + colon + 1, contentEnd)];
    }
    pos = lf + 1;
  }
}

describe("parseHeaderBlock: US-ASCII fast path", () => {
  it("gives exactly what the decoder-only parser gave, for any octets (folding, 8-bit, bad UTF-8, controls, CR and LF anywhere)", () => {
    // An alphabet that makes fields, continuations, empty lines and every kind of odd octet likely.
    const octet = fc.constantFrom(0x41, 0x62, 0x2d, 0x3a, 0x3a, 0x20, 0x09, 0x0d, 0x0a, 0x0a, 0x00, 0x7f, 0xc3, 0xa9, 0xff, 0xe2, 0x82, 0xac, 0x80);
    fc.assert(
      fc.property(fc.array(octet, { maxLength: 120 }), (list) => {
        const input = Uint8Array.from(list);
        expect(parseHeaderBlock(input)).toEqual(referenceParse(input));
        // Node Buffers (what a socket delivers) and views at an offset alike
        const padded = new Uint8Array(input.length + 3);
        padded.set(input, 3);
        expect(parseHeaderBlock(padded.subarray(3))).toEqual(referenceParse(input));
      }),
      { numRuns: 3000 },
    );
  });

  it("long values (past the one-call bound), folded ones and non-ASCII ones decode as before", () => {
    for (const text of [
      `Subject: ${"a".repeat(5000)}\r\n\r\n`,
      `Subject: ${"a".repeat(4095)}\r\n\r\n`,
      `Subject: ${"a".repeat(4096)}\r\n\r\n`,
      `Subject: ${"a".repeat(4097)}é\r\n\r\n`,
      `Subject: one\r\n two\r\n\tthree\r\nTo: x\r\n\r\n`,
      `Subject: gr\r\n üße\r\n\r\n`,
      `X-${"N".repeat(5000)}: v\r\n\r\n`,
    ]) {
      const input = new TextEncoder().encode(text);
      expect(parseHeaderBlock(input)).toEqual(referenceParse(input));
    }
  });
});
