/**
 * Property tests (fast-check): chunking invariance, dot-stuffing round trips, the only end of DATA,
 * and that no input makes any entry point throw or exceed its limits.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LineFramer,
  decodeBase64,
  decodeSaslLogin,
  decodeSaslPlain,
  decodeXtext,
  encodeBase64,
  encodeXtext,
  isPostmaster,
  parseAddress,
  parseCommand,
  parseForwardPath,
  parseHeaderBlock,
  parseMailParameters,
  parseRcptParameters,
  parseReversePath,
  type BareLineEndingPolicy,
  type BodyLineEndingPolicy,
  type DataDecoderOptions,
} from "../src/index.js";
import { concat, decodeAll, describe as describeFramed, frameAll, splitAt, type Framed } from "./helpers.js";

const CR = 13;
const LF = 10;
const DOT = 46;

/** Bytes biased towards the octets that matter to framing: CR, LF, dot, TLS header, SP, letters. */
const framingBytes = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.constantFrom(CR, LF, DOT, 0x16, 0x03, 0x20, 0x41, 0x42), fc.integer({ min: 0, max: 255 })), { maxLength, size: "medium" })
    .map((a) => Uint8Array.from(a));
/** Cut points as per-mille of the data's length, so they fall inside data of any length. */
const cuts = fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 16 });
const split = (data: Uint8Array, perMille: readonly number[]) => splitAt(data, perMille.map((p) => Math.floor((p * data.length) / 1000)));

// Known reply codes the parser may produce on client input.
const PARSER_CODES = new Set([500, 501, 553, 555]);

describe("properties: LineFramer", () => {
  it("any chunking gives the same results, and memory stays within maxLineBytes (RFC 5321 §4.5.3.1.4)", () => {
    fc.assert(
      fc.property(
        framingBytes(300),
        cuts,
        fc.integer({ min: 3, max: 40 }),
        fc.constantFrom<BareLineEndingPolicy>("reject", "accept"),
        (data, points, maxLineBytes, bareLineEndings) => {
          const whole = frameAll(new LineFramer({ maxLineBytes, bareLineEndings }), [data]);
          const framer = new LineFramer({ maxLineBytes, bareLineEndings });
          const results: Framed[] = [];
          for (const chunk of split(data, points)) {
            results.push(...frameAll(framer, [chunk]));
            // after draining, only the start of one line is held, never a whole over-long line
            expect(framer.bufferedBytes).toBeLessThan(maxLineBytes);
          }
          expect(results).toEqual(whole);
          for (const r of results) if (r.kind === "line") expect(r.text.length).toBeLessThan(maxLineBytes);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("policy reject matches a reference model: only CRLF ends a line, a bare LF is refused at once (RFC 5321 §2.3.8)", () => {
    const reference = (s: string, max: number): Framed[] => {
      const out: Framed[] = [];
      const tooLong: Framed = { kind: "too-long", code: 500, enhanced: "5.5.2" };
      const bare: Framed = { kind: "bare-line-ending", code: 500, enhanced: "5.5.2" };
      let i = 0;
      for (;;) {
        if (s.charCodeAt(i) === 0x16 && s.charCodeAt(i + 1) === 0x03) {
          out.push({ kind: "line", text: "\x16\x03" });
          const k = s.indexOf("\r\n", i + 2);
          if (k === -1) return out;
          i = k + 2;
          continue;
        }
        // the first LF ends the line: a CRLF, or a bare LF (reported, then discarded up to a CRLF)
        const k = s.indexOf("\n", i);
        if (k === -1) {
          if (s.length - i >= max) out.push(tooLong);
          return out;
        }
        const bareLf = !(k > i && s[k - 1] === "\r");
        if (k - i >= max) out.push(tooLong);
        else if (bareLf) out.push(bare);
        else if (s.slice(i, k - 1).includes("\r")) out.push(bare);
        else out.push({ kind: "line", text: s.slice(i, k - 1) });
        if (!bareLf) {
          i = k + 1;
          continue;
        }
        const crlf = s.indexOf("\r\n", k + 1);
        if (crlf === -1) return out;
        i = crlf + 2;
      }
    };
    fc.assert(
      fc.property(framingBytes(300), cuts, fc.integer({ min: 3, max: 40 }), (data, points, max) => {
        const s = Array.from(data, (b) => String.fromCharCode(b)).join("");
        expect(frameAll(new LineFramer({ maxLineBytes: max }), split(data, points))).toEqual(reference(s, max));
      }),
      { numRuns: 1000 },
    );
  });

  it("takeBuffered plus what was framed accounts for every octet (nothing lost or invented)", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("NOOP", "DATA", "x", " "), { maxLength: 30 }), cuts, (words, points) => {
        const data = new TextEncoder().encode(words.join("\r\n"));
        const framer = new LineFramer();
        const lines: Uint8Array[] = [];
        for (const chunk of split(data, points)) {
          framer.push(chunk);
          for (let f = framer.next(); f !== undefined; f = framer.next()) if (f.kind === "line") lines.push(f.line);
        }
        const rest = framer.takeBuffered();
        const rebuilt = concat([...lines.flatMap((l) => [l, Uint8Array.of(CR, LF)]), rest]);
        expect(rebuilt).toEqual(data);
      }),
    );
  });
});

interface Decoded {
  output: Uint8Array;
  consumed: number;
  done: boolean;
  bytes: number;
  reject: number | undefined;
}

function decode(chunks: readonly Uint8Array[], options: DataDecoderOptions = {}): Decoded {
  const { output, consumed, done, summary } = decodeAll(chunks, options);
  return { output, consumed, done, bytes: summary.bytes, reject: summary.reject?.code };
}

const dataBytes = (maxLength: number) =>
  fc.array(fc.constantFrom(CR, LF, DOT, DOT, 0x61, 0x62), { maxLength, size: "medium" }).map((a) => Uint8Array.from(a));

const decoderOptions = fc.record({
  bareLineEndings: fc.constantFrom<BodyLineEndingPolicy>("reject", "normalize"),
  maxLineBytes: fc.constantFrom(0, 4, 10, 1000),
  maxMessageBytes: fc.constantFrom(0, 5, 50),
});

/** The reference end of DATA: the first CRLF "." CRLF, the data starting at a line start. */
function referenceEnd(data: Uint8Array): number {
  const s = `\r\n${Array.from(data, (b) => String.fromCharCode(b)).join("")}`;
  const k = s.indexOf("\r\n.\r\n");
  return k === -1 ? -1 : k + 3;
}

/**
 * An independent model of the DATA decoder, octet by octet over the whole input: what the
 * decoder must output, consume and decide whatever its internal structure and however the input
 * is chunked. The line limit counts decoded octets (a stuffing dot is not), CRLF included.
 */
function referenceDecode(data: Uint8Array, options: DataDecoderOptions): Decoded {
  const normalize = options.bareLineEndings === "normalize";
  const maxLine = options.maxLineBytes ?? 1000;
  const maxMessage = options.maxMessageBytes ?? 0;
  const out: number[] = [];
  let lineStart = true;
  let line = 0;
  let bare = false;
  let long = false;
  let done = false;
  let consumed = data.length;
  const endLine = (length: number) => {
    if (maxLine > 0 && length > maxLine) long = true;
    line = 0;
  };
  for (let i = 0; i < data.length; ) {
    const b = data[i]!;
    if (lineStart && b === DOT) {
      if (data[i + 1] === CR && data[i + 2] === LF) {
        done = true;
        consumed = i + 3;
        break;
      }
      lineStart = false;
      i++; // the stuffing dot is never output
      continue;
    }
    lineStart = false;
    if (b === CR) {
      if (i + 1 === data.length) break; // held: the next octet would tell what it is
      if (data[i + 1] === LF) {
        out.push(CR, LF);
        endLine(line + 2);
        lineStart = true;
        i += 2;
        continue;
      }
    }
    if (b === CR || b === LF) {
      bare = true;
      if (normalize) {
        out.push(CR, LF);
        endLine(line + 2);
      } else {
        out.push(b);
        line++;
      }
      i++;
      continue;
    }
    out.push(b);
    line++;
    i++;
  }
  const bytes = out.length;
  let reject: number | undefined;
  if (maxMessage > 0 && bytes > maxMessage) reject = 552;
  else if (bare && !normalize) reject = 550;
  else if (long) reject = 500;
  return { output: Uint8Array.from(maxMessage > 0 ? out.slice(0, maxMessage) : out), consumed, done, bytes, reject };
}

describe("properties: DataDecoder", () => {
  it("matches an octet-by-octet reference model under any chunking (output, consumption, size; the verdict once done)", () => {
    const lineOctets = fc.oneof(
      dataBytes(40),
      fc.string({ unit: fc.constantFrom("a", "b", "."), maxLength: 14 }).map((t) => new TextEncoder().encode(`${t}\r\n`)),
    );
    fc.assert(
      fc.property(fc.array(lineOctets, { maxLength: 12 }), cuts, decoderOptions, (parts, points, options) => {
        const data = concat(parts);
        const expected = referenceDecode(data, options);
        const r = decode(split(data, points), options);
        expect({ ...r, reject: r.done ? r.reject : undefined }).toEqual({ ...expected, reject: expected.done ? expected.reject : undefined });
      }),
      { numRuns: 3000 },
    );
  });

  it("any chunking gives identical output, consumption and verdict", () => {
    fc.assert(
      fc.property(dataBytes(200), cuts, decoderOptions, (data, points, options) => {
        expect(decode(split(data, points), options)).toEqual(decode([data], options));
      }),
      { numRuns: 2000 },
    );
  });

  it("only CRLF.CRLF ends DATA (SMTP smuggling is impossible), under either policy", () => {
    fc.assert(
      fc.property(dataBytes(200), cuts, decoderOptions, (data, points, options) => {
        const r = decode(split(data, points), options);
        const end = referenceEnd(data);
        expect(r.done).toBe(end !== -1);
        expect(r.consumed).toBe(end === -1 ? data.length : end);
      }),
      { numRuns: 2000 },
    );
  });

  it("RFC 5321 §4.5.2: dot-stuffing round-trips for any CRLF text", () => {
    /** The sender's side, written here: stuff every line that starts with a dot, add the end marker. */
    const stuff = (lines: readonly string[]) => `${lines.map((l) => `${l.startsWith(".") ? "." : ""}${l}\r\n`).join("")}.\r\n`;
    const line = fc.string({ unit: fc.constantFrom(".", "a", " ", "é", "\t"), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), cuts, fc.string({ maxLength: 10 }), (lines, points, after) => {
        const message = lines.map((l) => `${l}\r\n`).join("");
        const wire = new TextEncoder().encode(stuff(lines));
        const data = concat([wire, new TextEncoder().encode(after)]);
        const r = decode(split(data, points));
        expect(r.done).toBe(true);
        expect(r.consumed).toBe(wire.length);
        expect(new TextDecoder().decode(r.output)).toBe(message);
        expect(r.reject).toBeUndefined();
        expect(r.bytes).toBe(r.output.length);
      }),
      { numRuns: 500 },
    );
  });

  it("output never exceeds maxMessageBytes, and every decoded octet is counted", () => {
    fc.assert(
      fc.property(dataBytes(300), cuts, fc.integer({ min: 1, max: 40 }), (data, points, maxMessageBytes) => {
        const r = decode(split(data, points), { maxMessageBytes, bareLineEndings: "normalize" });
        expect(r.output.length).toBeLessThanOrEqual(maxMessageBytes);
        expect(r.output.length).toBe(Math.min(r.bytes, maxMessageBytes));
        if (r.bytes > maxMessageBytes) expect(r.reject).toBe(552);
      }),
      { numRuns: 500 },
    );
  });
});

describe("properties: no input makes an entry point throw", () => {
  const anyText = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 300 }));
  const commandLike = fc
    .tuple(
      fc.constantFrom("MAIL FROM:", "RCPT TO:", "EHLO ", "HELO ", "BDAT ", "AUTH ", "VRFY ", "DATA", "NOOP ", "mail from: ", "rcpt to:"),
      fc.string({ unit: fc.constantFrom("<", ">", "@", ".", "\"", "\\", "[", "]", ":", ",", " ", "=", "a", "1", "é", "\u0000", "I", "P", "v", "6", "x", "n", "-"), maxLength: 80 }),
    )
    .map(([v, rest]) => v + rest);

  it("parseCommand returns a result with a parser reply code for any bytes", () => {
    const options = { parameters: { size: true, eightBitMime: true, binaryMime: true, smtputf8: true, auth: true, dsn: true, requireTls: true } };
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), commandLike.map((s) => new TextEncoder().encode(s))), fc.boolean(), (line, utf8Addresses) => {
        const r = parseCommand(line, { ...options, utf8Addresses });
        if (!r.ok) expect(PARSER_CODES.has(r.reply.code)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("address, parameter, xtext, base64, SASL and header functions never throw", () => {
    fc.assert(
      fc.property(anyText, fc.boolean(), (s, utf8) => {
        for (const r of [parseReversePath(s, { utf8 }), parseForwardPath(s, { utf8 }), parseAddress(s, { utf8 })]) {
          if (!r.ok) expect(r.reply.code).toBe(553);
          else if (r.address !== null && !isPostmaster(r.address)) expect(r.address.raw.length).toBeLessThanOrEqual(256);
        }
        const all = { size: true, eightBitMime: true, binaryMime: true, smtputf8: utf8, auth: true, dsn: true, requireTls: true };
        for (const r of [parseMailParameters(s, all), parseRcptParameters(s, all)]) if (!r.ok) expect([501, 555]).toContain(r.reply.code);
        decodeXtext(s);
        decodeBase64(s);
        for (const r of [decodeSaslPlain(s), decodeSaslLogin(s)]) if (!r.ok) expect(r.reply.code).toBe(501);
        parseHeaderBlock(new TextEncoder().encode(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("xtext and base64 round-trip any value", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 50 }), fc.uint8Array({ maxLength: 100 }), (s, b) => {
        expect(decodeXtext(encodeXtext(s))).toBe(s);
        expect(decodeBase64(encodeBase64(b))).toEqual(b);
      }),
    );
  });

  it("RFC 5321 §4.1.2 / RFC 6531: an unquoted local part is accepted exactly when every dot-separated atom is non-empty atext", () => {
    const atext = "abcXYZ019!#$%&'*+-/=?^_`{|}~";
    const reference = (local: string, utf8: boolean) =>
      local.split(".").every((atom) => atom.length > 0 && [...atom].every((ch) => atext.includes(ch) || (utf8 && ch.charCodeAt(0) > 0x7f)));
    const local = fc.string({ unit: fc.constantFrom(..."aZ9.!~-", " ", "(", ",", "é", "\u00ff", "\u{1F600}", "\\"), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(local, fc.boolean(), (l, utf8) => {
        fc.pre(!l.startsWith('"'));
        const r = parseAddress(`${l}@example.com`, { utf8 });
        const nonAscii = [...l].some((ch) => ch.charCodeAt(0) > 0x7f);
        expect(r.ok).toBe((utf8 || !nonAscii) && reference(l, utf8));
        if (r.ok) expect(r.address.isUtf8).toBe(nonAscii);
      }),
      { numRuns: 2000 },
    );
  });

  it("RFC 5321 §4.1.2: any dot-atom local part at any LDH domain parses, the domain lowercased", () => {
    const atom = fc.string({ unit: fc.constantFrom(..."abcXYZ019!#$%&'*+-/=?^_`{|}~"), minLength: 1, maxLength: 8 });
    const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?$/);
    fc.assert(
      fc.property(fc.array(atom, { minLength: 1, maxLength: 4 }), fc.array(label, { minLength: 1, maxLength: 4 }), (atoms, labels) => {
        const local = atoms.join(".");
        const domain = labels.join(".");
        fc.pre(!/^xn--/i.test(domain) && !labels.some((l) => /^xn--/i.test(l)));
        const r = parseForwardPath(`<${local}@${domain}>`);
        expect(r.ok).toBe(true);
        if (r.ok && !isPostmaster(r.address)) {
          expect(r.address.localPart).toBe(local);
          expect(r.address.asciiDomain).toBe(domain.toLowerCase());
        }
      }),
    );
  });
});

describe("properties: framing helpers are what the tests assume", () => {
  it("describe() reports lines octet for octet", () => {
    expect(describeFramed({ kind: "line", line: Uint8Array.of(0x41, 0xff) })).toEqual({ kind: "line", text: "A\xff" });
  });
});

describe("properties: IDNA fast path", () => {
  it("for ASCII names the fast path agrees with tr46 toASCII (UTS #46) exactly", async () => {
    const { toASCII } = await import("tr46");
    const { checkDomain } = await import("../src/index.js");
    const label = fc.oneof(
      fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,70}[a-zA-Z0-9])?$/),
      fc.constantFrom("xn--bcher-kva", "XN--zz", "xn--a", "a--b", "xn--nxasmm1c"),
    );
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 6 }), (labels) => {
        const name = labels.join(".");
        const ours = checkDomain(name, false);
        const theirs = toASCII(name, { checkBidi: true, checkJoiners: true, useSTD3ASCIIRules: true, verifyDNSLength: true, transitionalProcessing: false });
        expect(ours.ok ? ours.ascii : null).toBe(theirs === null ? null : theirs.toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });
});
