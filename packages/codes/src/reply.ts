import { type EnhancedCode, isEnhancedCode } from "./enhanced-codes.js";
import { defaultText, isReplyCode, type ReplyCodeNumber } from "./reply-codes.js";

/**
 * One SMTP reply: a code, an optional enhanced status code, and one or more lines of text.
 * Values are frozen; build them with {@link reply}.
 */
export interface Reply {
  readonly code: ReplyCodeNumber;
  /** Sent before the text of every line when ENHANCEDSTATUSCODES is in effect (RFC 2034). */
  readonly enhanced?: EnhancedCode;
  /** The text lines, at least one. Formatting neutralises control characters and wraps long lines. */
  readonly lines: readonly string[];
}

/**
 * Build a {@link Reply}. Throws a `RangeError` (a programming error, never a peer's) when the
 * code is not a valid SMTP reply code or when the enhanced code's class does not match it
 * (RFC 3463 §2: 2xx goes with 2.x.x, 4xx with 4.x.x, 5xx with 5.x.x; 3xx carries none).
 *
 * @param text one line, several lines, or nothing for the code's default text.
 */
export function reply(code: ReplyCodeNumber, enhanced?: EnhancedCode, text?: string | readonly string[]): Reply {
  if (!isReplyCode(code)) throw new RangeError(`not an SMTP reply code: ${String(code)}`);
  if (enhanced !== undefined) {
    if (!isEnhancedCode(enhanced)) throw new RangeError(`not an enhanced status code: ${String(enhanced)}`);
    if (Number(enhanced[0]) !== Math.floor(code / 100)) {
      throw new RangeError(`enhanced code ${enhanced} does not match reply code ${String(code)}`);
    }
  }
  const lines = text === undefined ? [defaultText(code)] : typeof text === "string" ? [text] : [...text];
  if (lines.length === 0) lines.push(defaultText(code));
  const value: Reply = enhanced === undefined ? { code, lines: Object.freeze(lines) } : { code, enhanced, lines: Object.freeze(lines) };
  return Object.freeze(value);
}

/** A copy of `r` with other text, keeping its codes. */
export function withText(r: Reply, text: string | readonly string[]): Reply {
  return reply(r.code, r.enhanced, text);
}

/** True for 2xx replies. */
export const isPositive = (r: Reply): boolean => r.code >= 200 && r.code < 300;
/** True for 3xx replies. */
export const isIntermediate = (r: Reply): boolean => r.code >= 300 && r.code < 400;
/** True for 4xx replies: the client may try again later. */
export const isTransient = (r: Reply): boolean => r.code >= 400 && r.code < 500;
/** True for 5xx replies: the client must not repeat the same request. */
export const isPermanent = (r: Reply): boolean => r.code >= 500;
