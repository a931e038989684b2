import { describe as suite, expect, it } from "vitest";
import { LineFramer } from "../src/index.js";
import { bytes, frameAll, raw, splitAt, text } from "./helpers.js";

const line = (t: string) => ({ kind: "line", text: t });
const tooLong = { kind: "too-long", code: 500, enhanced: "5.5.2" };
const bare = { kind: "bare-line-ending", code: 500, enhanced: "5.5.2" };

suite("LineFramer", () => {
  it("RFC 5321 §2.3.8: frames CRLF-terminated lines, several per chunk (pipelining, RFC 2920)", () => {
    const f = new LineFramer();
    expect(frameAll(f, [bytes("EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n")])).toEqual([
      line("EHLO a"),
      line("MAIL FROM:<a@b>"),
      line("RCPT TO:<c@d>"),
    ]);
    expect(f.bufferedBytes).toBe(0);
  });

  it("RFC 5321 §2.3.8: a line split anywhere, CR and LF in separate chunks, is framed once", () => {
    const f = new LineFramer();
    expect(frameAll(f, [bytes("NO"), bytes("OP\r"), bytes("\nQU"), bytes("IT\r\n")])).toEqual([line("NOOP"), line("QUIT")]);
  });

  it("holds an incomplete line and reports it through bufferedBytes", () => {
    const f = new LineFramer();
    expect(frameAll(f, [bytes("EHLO exa")])).toEqual([]);
    expect(f.bufferedBytes).toBe(8);
  });

  it("an empty line is framed as an empty line", () => {
    expect(frameAll(new LineFramer(), [bytes("\r\n")])).toEqual([line("")]);
  });

  it("RFC 5321 §4.5.3.1.4: a line of exactly 512 octets with CRLF passes, 513 is too long", () => {
    const ok = "A".repeat(510);
    const long = "B".repeat(511);
    expect(frameAll(new LineFramer(), [bytes(`${ok}\r\n`)])).toEqual([line(ok)]);
    expect(frameAll(new LineFramer(), [bytes(`${long}\r\nQUIT\r\n`)])).toEqual([tooLong, line("QUIT")]);
  });

  it("RFC 5321 §4.5.3.1.4: an over-long line is reported once, as soon as certain, and never buffered", () => {
    const f = new LineFramer();
    const out = frameAll(f, [bytes("X".repeat(600))]);
    expect(out).toEqual([tooLong]);
    expect(f.bufferedBytes).toBe(0);
    // the rest of the line, however long, is dropped as it arrives
    for (let i = 0; i < 100; i++) {
      expect(frameAll(f, [bytes("Y".repeat(10_000))])).toEqual([]);
      expect(f.bufferedBytes).toBe(0);
    }
    expect(frameAll(f, [bytes("Y\r"), bytes("\nNOOP\r\n")])).toEqual([line("NOOP")]);
  });

  it("maxLineBytes is settable (RFC 4954 §4: 12288 octets during AUTH)", () => {
    const f = new LineFramer();
    const response = "A".repeat(12286);
    f.maxLineBytes = 12288;
    expect(frameAll(f, [bytes(`${response}\r\n`)])).toEqual([line(response)]);
    f.maxLineBytes = 512;
    expect(frameAll(f, [bytes(`${response}\r\n`)])).toEqual([tooLong]);
  });

  it("RFC 5321 §2.3.8: a bare LF is refused at once and what follows it is discarded up to the next CRLF (policy reject)", () => {
    // nothing after a bare LF is taken as a command (a proxy that ends lines only at CRLF sees one line here)
    expect(frameAll(new LineFramer(), [bytes("MAIL FROM:<a@b>\nRCPT TO:<c@d>\r\nQUIT\r\n")])).toEqual([bare, line("QUIT")]);
    // an LF-only client is answered at its first line, not after 512 octets
    const f = new LineFramer();
    expect(frameAll(f, [bytes("EHLO x\n")])).toEqual([bare]);
    expect(frameAll(f, [bytes("MAIL FROM:<a@b>\n")])).toEqual([]);
    expect(f.bufferedBytes).toBe(0);
    // a CR held over a chunk boundary still makes a CRLF
    expect(frameAll(new LineFramer(), [bytes("NOOP\r"), bytes("\n")])).toEqual([line("NOOP")]);
  });

  it("RFC 5321 §2.3.8: a bare CR in a command line is rejected (policy reject)", () => {
    expect(frameAll(new LineFramer(), [bytes("NOOP\rX\r\n"), bytes("NOOP\r\r\n")])).toEqual([bare, bare]);
  });

  it("policy accept: a bare LF ends a line and an optional CR before it is dropped", () => {
    const f = new LineFramer({ bareLineEndings: "accept" });
    expect(frameAll(f, [bytes("EHLO a\nNOOP\r\nQUIT\n")])).toEqual([line("EHLO a"), line("NOOP"), line("QUIT")]);
  });

  it("a TLS ClientHello on the plain port is framed at once as 0x16 0x03, the rest discarded", () => {
    const f = new LineFramer();
    const hello = raw("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
    expect(frameAll(f, [hello])).toEqual([line("\x16\x03")]);
    expect(f.bufferedBytes).toBe(0);
    // split between the two octets
    expect(frameAll(new LineFramer(), [raw("\x16"), raw("\x03\x01")])).toEqual([line("\x16\x03")]);
  });

  it("takeBuffered returns every unframed octet, the partial line included, and resets", () => {
    const f = new LineFramer();
    f.push(bytes("DATA\r\nSubject: x\r\n"));
    f.push(bytes("\r\nbody"));
    expect(f.next()).toEqual({ kind: "line", line: bytes("DATA") });
    expect(text(f.takeBuffered())).toBe("Subject: x\r\n\r\nbody");
    expect(f.bufferedBytes).toBe(0);
    expect(f.next()).toBeUndefined();

    const g = new LineFramer();
    expect(frameAll(g, [bytes("STARTTLS\r\nMAIL FR")])).toEqual([line("STARTTLS")]);
    expect(text(g.takeBuffered())).toBe("MAIL FR");
    expect(g.takeBuffered().length).toBe(0);
  });

  it("any split of the same bytes gives the same results (exhaustive over two cut points)", () => {
    const data = bytes(`EHLO a\r\nX\nY\r\n${"Z".repeat(20)}\r\nNOOP\r\r\nQUIT\r\n`);
    const expected = frameAll(new LineFramer({ maxLineBytes: 16 }), [data]);
    expect(expected).toEqual([line("EHLO a"), bare, tooLong, bare, line("QUIT")]);
    for (let i = 0; i <= data.length; i++) {
      for (let j = i; j <= data.length; j++) {
        expect(frameAll(new LineFramer({ maxLineBytes: 16 }), splitAt(data, [i, j]))).toEqual(expected);
      }
    }
  });

  it("rejects a nonsensical limit at construction (a programming error)", () => {
    expect(() => new LineFramer({ maxLineBytes: 0 })).toThrow(RangeError);
  });
});
