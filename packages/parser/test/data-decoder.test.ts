import { describe, expect, it } from "vitest";
import { BdatReader, DataDecoder, type DataDecoderOptions } from "../src/index.js";
import { bytes, concat, decodeAll, raw, splitAt } from "./helpers.js";

interface Decoded {
  text: string;
  consumed: number;
  done: boolean;
  bytes: number;
  reject: string | undefined;
}

/** Decode `chunks` in order, stopping at done, as a session does. */
function decode(chunks: readonly Uint8Array[], options: DataDecoderOptions = {}): Decoded {
  const { output, consumed, done, summary: s } = decodeAll(chunks, options);
  const text = Array.from(output, (b) => String.fromCharCode(b)).join("");
  return { text, consumed, done, bytes: s.bytes, reject: s.reject && `${s.reject.code} ${s.reject.enhanced ?? ""}` };
}

const one = (s: string, o: DataDecoderOptions = {}) => decode([raw(s)], o);

/** Decoding under every split into up to three chunks gives the same result as one chunk. */
function expectSplitInvariant(s: string, o: DataDecoderOptions = {}): Decoded {
  const data = raw(s);
  const whole = decode([data], o);
  for (let i = 0; i <= data.length; i++) {
    for (let j = i; j <= data.length; j++) {
      expect(decode(splitAt(data, [i, j]), o), `split at ${i},${j} of ${JSON.stringify(s)}`).toEqual(whole);
    }
  }
  return whole;
}

describe("DataDecoder (RFC 5321 §4.5.2, §3.3)", () => {
  it("RFC 5321 §4.1.1.4: the data ends at CRLF.CRLF; the message keeps its final CRLF", () => {
    expect(one("Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n")).toEqual({
      text: "Subject: hi\r\n\r\nbody\r\n",
      consumed: 24,
      done: true,
      bytes: 21,
      reject: undefined,
    });
  });

  it("RFC 5321 §4.1.1.4: an immediate .CRLF is an empty message", () => {
    expect(one(".\r\n")).toMatchObject({ text: "", consumed: 3, done: true, bytes: 0 });
  });

  it("RFC 5321 §4.5.2: a leading dot is removed (dot-unstuffing), anywhere a line starts", () => {
    expect(one("..\r\n..leading\r\nmid.dle\r\n...\r\n.\r\n").text).toBe(".\r\n.leading\r\nmid.dle\r\n..\r\n");
    expect(one(".x\r\n.\r\n").text).toBe("x\r\n");
  });

  it("RFC 5321 §4.1.1.4: output stops at the end; what follows is not consumed", () => {
    const d = new DataDecoder();
    const step = d.push(bytes("a\r\n.\r\nRSET\r\n"));
    expect(step).toMatchObject({ consumed: 6, done: true });
    expect(d.push(bytes("more"))).toEqual({ output: [], consumed: 0, done: true });
  });

  it("hot path: a chunk without dot lines is passed through as one view, no copy", () => {
    const chunk = bytes("line one\r\nline two\r\n");
    const step = new DataDecoder().push(chunk);
    expect(step.output).toHaveLength(1);
    expect(step.output[0]!.buffer).toBe(chunk.buffer);
    expect(step.output[0]!.byteOffset).toBe(chunk.byteOffset);
  });

  it("SMTP smuggling: <LF>.<LF>, <LF>.<CR><LF>, <CR>.<CR>, <CR><LF>.<LF>, <CR>.<LF> never end the data, whatever the chunking", () => {
    for (const marker of ["\n.\n", "\n.\r\n", "\r.\r", "\r\n.\n", "\r.\n", "\r\n.\r", "\n.\r", "\r.\r\n", "\r\n\n.\n", "\r\n.\n\r\n"]) {
      const s = `a${marker}MAIL FROM:<x@y>\r\n`;
      const r = expectSplitInvariant(s);
      expect(r.done, JSON.stringify(marker)).toBe(false);
      expect(r.consumed).toBe(s.length);
      expect(r.reject).toBe("550 5.5.2");
    }
  });

  it("SMTP smuggling: with policy normalize the same sequences do not end the data either", () => {
    for (const marker of ["\n.\n", "\n.\r\n", "\r.\r", "\r\n.\n", "\r.\n"]) {
      const r = expectSplitInvariant(`a${marker}x`, { bareLineEndings: "normalize" });
      expect(r.done, JSON.stringify(marker)).toBe(false);
      expect(r.reject).toBeUndefined();
    }
  });

  it("the real end is found under every chunking, also after bare line endings", () => {
    const r = expectSplitInvariant("a\rb\nc\r\n..d\r\n.\r\nNOOP");
    expect(r).toEqual({ text: "a\rb\nc\r\n.d\r\n", consumed: 15, done: true, bytes: 11, reject: "550 5.5.2" });
  });

  it("bare LF / bare CR, policy reject (default): passed through, message refused with 550 5.5.2", () => {
    expect(one("a\nb\r\n.\r\n")).toMatchObject({ text: "a\nb\r\n", reject: "550 5.5.2" });
    expect(one("a\rb\r\n.\r\n")).toMatchObject({ text: "a\rb\r\n", reject: "550 5.5.2" });
    expect(one("a\r\r\n.\r\n")).toMatchObject({ text: "a\r\r\n", reject: "550 5.5.2" });
  });

  it("bare LF / bare CR, policy normalize: each becomes CRLF and no line starts there", () => {
    const o = { bareLineEndings: "normalize" } as const;
    expect(expectSplitInvariant("a\nb\rc\r\r\n.\r\n", o)).toMatchObject({ text: "a\r\nb\r\nc\r\n\r\n", done: true, reject: undefined });
    // after a bare LF a dot is content, not stuffing and not an end marker
    expect(one("a\n.\r\nb\r\n.\r\n", o)).toMatchObject({ text: "a\r\n.\r\nb\r\n", done: true });
    // ".\r" followed by a non-LF: the dot is stuffing, the CR bare
    expect(expectSplitInvariant("\r\n.\rx\r\n.\r\n", o)).toMatchObject({ text: "\r\n\r\nx\r\n", done: true });
  });

  it("RFC 5321 §4.5.3.1.6: a 1000-octet line passes, 1001 refuses the message with 500 5.5.2", () => {
    const ok = `${"a".repeat(998)}\r\n`;
    const long = `${"a".repeat(999)}\r\n`;
    expect(one(`${ok}.\r\n`).reject).toBeUndefined();
    expect(one(`${long}.\r\n`)).toMatchObject({ reject: "500 5.5.2", text: long });
    // the stuffing dot does not count
    expect(one(`.${ok}.\r\n`).reject).toBeUndefined();
    expect(one(`${long}.\r\n`, { maxLineBytes: 0 }).reject).toBeUndefined();
    expect(expectSplitInvariant("abcd\r\nabcde\r\n.\r\n", { maxLineBytes: 6 }).reject).toBe("500 5.5.2");
    expect(expectSplitInvariant("abcd\r\nabcd\r\n.\r\n", { maxLineBytes: 6 }).reject).toBeUndefined();
  });

  it("RFC 1870 §6.3: past maxMessageBytes output stops, counting goes on, 552 5.3.4 at the end", () => {
    const body = `${"x".repeat(98)}\r\n`.repeat(10); // 1000 octets
    const r = one(`${body}.\r\n`, { maxMessageBytes: 250 });
    expect(r.text).toBe(body.slice(0, 250));
    expect(r.bytes).toBe(1000);
    expect(r.reject).toBe("552 5.3.4");
    expect(one(`${body}.\r\n`, { maxMessageBytes: 1000 }).reject).toBeUndefined();
    // a too-big message is refused as too big first
    expect(one(`a\nb${body}.\r\n`, { maxMessageBytes: 10 }).reject).toBe("552 5.3.4");
  });

  it("memory stays flat: a 10 MB stream in 64 KB chunks needs no buffering", () => {
    const chunk = bytes(`${"y".repeat(1022)}\r\n`.repeat(64));
    const d = new DataDecoder({ maxMessageBytes: 1024 });
    let emitted = 0;
    for (let k = 0; k < 160; k++) {
      const step = d.push(chunk);
      emitted += step.output.reduce((n, o) => n + o.length, 0);
      expect(step.consumed).toBe(chunk.length);
    }
    expect(d.push(bytes(".\r\n")).done).toBe(true);
    expect(emitted).toBe(1024);
    expect(d.finish()).toMatchObject({ bytes: 160 * chunk.length });
  });

  it("rejects nonsensical options at construction (a programming error)", () => {
    expect(() => new DataDecoder({ maxMessageBytes: -1 })).toThrow(RangeError);
    expect(() => new DataDecoder({ maxLineBytes: 1.5 })).toThrow(RangeError);
  });
});

describe("BdatReader (RFC 3030 §2)", () => {
  it("RFC 3030 §2: passes exactly `size` octets through, dots and bare line endings untouched", () => {
    const r = new BdatReader(10);
    const a = r.push(raw("\r\n.\r\n\n."));
    expect(a).toMatchObject({ consumed: 7, done: false });
    expect(r.remaining).toBe(3);
    const b = r.push(raw("abcBDAT 1 LAST\r\n"));
    expect(b.consumed).toBe(3);
    expect(b.done).toBe(true);
    expect(concat([...a.output, ...b.output])).toEqual(raw("\r\n.\r\n\n.abc"));
  });

  it("RFC 3030 §2: BDAT 0 is done at once and consumes nothing", () => {
    expect(new BdatReader(0).push(bytes("QUIT\r\n"))).toEqual({ output: [], consumed: 0, done: true });
  });

  it("output is views into the input, no copies", () => {
    const chunk = bytes("0123456789");
    const out = new BdatReader(4).push(chunk).output[0]!;
    expect(out.buffer).toBe(chunk.buffer);
    expect(out).toEqual(bytes("0123"));
  });

  it("rejects an invalid size (a programming error: parseCommand never yields one)", () => {
    expect(() => new BdatReader(-1)).toThrow(RangeError);
    expect(() => new BdatReader(Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
  });
});
