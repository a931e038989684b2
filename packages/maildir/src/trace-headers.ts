import type { LineEnding } from "./line-endings.js";

const encoder = new TextEncoder();

/** Header fields to put before the message, as lmail prepends them on local delivery. */
export interface TraceFields {
  /** `Return-Path: <addr>`; null writes `Return-Path: <>` (RFC 5321 §4.4); undefined writes none. */
  readonly returnPath?: string | null | undefined;
  /** `Delivered-To: addr`; undefined writes none. */
  readonly deliveredTo?: string | undefined;
}

// An address comes from the parser and holds no line break; remove any anyway, so that no
// caller can inject a header line.
// eslint-disable-next-line no-control-regex
const unsafe = /[\u0000-\u001f\u007f]/g;
const clean = (value: string): string => value.replace(unsafe, "");

/**
 * The header block to prepend: `Return-Path:` first (RFC 5321 §4.4: the final delivery inserts
 * it at the top), then `Delivered-To:`, each ended by the file's line ending.
 */
export function traceHeaderBlock(fields: TraceFields, lineEnding: LineEnding): Uint8Array {
  const eol = lineEnding === "lf" ? "\n" : "\r\n";
  let text = "";
  if (fields.returnPath !== undefined) text += `Return-Path: <${clean(fields.returnPath ?? "")}>${eol}`;
  if (fields.deliveredTo !== undefined) text += `Delivered-To: ${clean(fields.deliveredTo)}${eol}`;
  return encoder.encode(text);
}
