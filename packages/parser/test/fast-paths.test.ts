// The printable-ASCII fast path of parseCommand and the short-line CR/LF scan of LineFramer must
// give exactly what the general paths give: the same line with a non-ASCII or control octet, a
// line past the fast path's length bound, a bare CR on either side of the loop/indexOf bound.
import { describe, expect, it } from "vitest";
import { LineFramer, parseCommand, type CommandOptions } from "../src/index.js";
import { bytes, frameAll } from "./helpers.js";

const options: CommandOptions = { parameters: { size: true, eightBitMime: true, smtputf8: true, dsn: true } };
const parse = (line: string | Uint8Array) => parseCommand(typeof line === "string" ? bytes(line) : line, options);

describe("parseCommand fast path (printable US-ASCII)", () => {
  it("verbs in any case, with and without arguments, as the general path parses them", () => {
    expect(parse("rcpt to:<a@b.example>")).toMatchObject({ ok: true, command: { verb: "RCPT", to: { raw: "a@b.example", domain: "b.example" }, params: { raw: [] } } });
    expect(parse("StartTLS")).toEqual({ ok: true, command: { verb: "STARTTLS" } });
    expect(parse("DATA")).toEqual({ ok: true, command: { verb: "DATA" } });
    expect(parse("DATA ")).toEqual({ ok: true, command: { verb: "DATA" } });
    expect(parse("noop  x  ")).toEqual({ ok: true, command: { verb: "NOOP", argument: " x" } });
    expect(parse("DATA x")).toMatchObject({ ok: false, verb: "DATA", reply: { code: 501 } });
  });

  it("a word that is no verb, or another protocol's, falls to the general path", () => {
    expect(parse("DATAX")).toMatchObject({ ok: false, reply: { code: 500 } });
    expect(parse("DAT")).toMatchObject({ ok: false, reply: { code: 500 } });
    expect(parse("GET / HTTP/1.1")).toMatchObject({ ok: false, crossProtocol: true });
    expect(parse("FOO bar HTTP/1.0")).toMatchObject({ ok: false, crossProtocol: true });
    expect(parse(" QUIT")).toMatchObject({ ok: false, reply: { code: 500 } });
  });

  it("a control or non-ASCII octet anywhere leaves the fast path: 501 5.5.4 after a known verb", () => {
    expect(parse("NOOP a\tb")).toMatchObject({ ok: false, verb: "NOOP", reply: { code: 501, enhanced: "5.5.4" } });
    expect(parse("NOOP a\x7fb")).toMatchObject({ ok: false, verb: "NOOP", reply: { code: 501, enhanced: "5.5.4" } });
    expect(parse(Uint8Array.of(0x4e, 0x4f, 0x4f, 0x50, 0x20, 0xff))).toMatchObject({ ok: false, verb: "NOOP", reply: { code: 501 } });
    // valid UTF-8 is parsed by the general path
    expect(parse("NOOP é")).toEqual({ ok: true, command: { verb: "NOOP", argument: "é" } });
  });

  it("a line past the fast path's bound parses the same way", () => {
    const long = `NOOP ${"x".repeat(5000)}`;
    expect(parse(long)).toEqual({ ok: true, command: { verb: "NOOP", argument: "x".repeat(5000) } });
    const justUnder = `NOOP ${"y".repeat(4096 - 5)}`;
    expect(parse(justUnder)).toEqual({ ok: true, command: { verb: "NOOP", argument: "y".repeat(4091) } });
  });
});

describe("LineFramer: CR and LF inside a line (policy reject)", () => {
  const bare = { kind: "bare-line-ending", code: 500, enhanced: "5.5.2" };
  it("a bare CR is found in short lines (scanned) and long ones (indexOf), in one chunk or across", () => {
    const f = new LineFramer({ maxLineBytes: 4096 });
    for (const n of [0, 10, 255, 256, 257, 1000]) {
      const withCr = `NOOP ${"a".repeat(n)}\rb\r\n`;
      expect(frameAll(f, [bytes(withCr + "QUIT\r\n")])).toEqual([bare, { kind: "line", text: "QUIT" }]);
      const split = bytes(withCr);
      expect(frameAll(f, [split.subarray(0, 3), split.subarray(3)])).toEqual([bare]);
      // a CR after the line's end (in the next line) is not this line's
      expect(frameAll(f, [bytes(`NOOP ${"a".repeat(n)}\r\nNO\rOP\r\n`)])).toEqual([{ kind: "line", text: `NOOP ${"a".repeat(n)}` }, bare]);
    }
  });
});
