/** Test helpers: bytes from text, text from bytes, frame all lines of a byte sequence. */
import { DataDecoder, type BodySummary, type DataDecoderOptions, type FramedLine, type LineFramer } from "../src/index.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (s: string): Uint8Array => encoder.encode(s);
/** Latin-1 style: one octet per char code (for raw, possibly invalid UTF-8, sequences). */
export const raw = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
export const text = (b: Uint8Array): string => decoder.decode(b);

export type Framed = { kind: "line"; text: string } | { kind: "too-long" | "bare-line-ending"; code: number; enhanced: string | undefined };

export function describe(f: FramedLine): Framed {
  if (f.kind === "line") return { kind: "line", text: Array.from(f.line, (b) => String.fromCharCode(b)).join("") };
  return { kind: f.kind, code: f.reply.code, enhanced: f.reply.enhanced };
}

/** Push each chunk and drain after each push, as a session does. */
export function frameAll(framer: LineFramer, chunks: readonly Uint8Array[]): Framed[] {
  const out: Framed[] = [];
  for (const c of chunks) {
    framer.push(c);
    for (let f = framer.next(); f !== undefined; f = framer.next()) out.push(describe(f));
  }
  return out;
}

/** Concatenate byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Split `data` at the given cut points (sorted, deduplicated, clamped). */
export function splitAt(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(data.length, c))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let start = 0;
  for (const p of points) {
    out.push(data.subarray(start, p));
    start = p;
  }
  out.push(data.subarray(start));
  return out;
}

/** Decode `chunks` in order with a fresh DataDecoder, stopping at done, as a session does. */
export function decodeAll(chunks: readonly Uint8Array[], options: DataDecoderOptions = {}): { output: Uint8Array; consumed: number; done: boolean; summary: BodySummary } {
  const d = new DataDecoder(options);
  const out: Uint8Array[] = [];
  let consumed = 0;
  let done = false;
  for (const c of chunks) {
    const step = d.push(c);
    out.push(...step.output);
    consumed += step.consumed;
    if (step.done) {
      done = true;
      break;
    }
  }
  return { output: concat(out), consumed, done, summary: d.finish() };
}

