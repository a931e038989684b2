import { formatReply } from "./format.js";
import { type EnhancedCode } from "./enhanced-codes.js";
import { reply, type Reply } from "./reply.js";
import type { ReplyCodeNumber } from "./reply-codes.js";

// A registry symbol, shared by every copy of this package loaded in one process, so that
// isSmtpError() and instanceof recognise an SmtpError made by another copy.
const BRAND: unique symbol = Symbol.for("@lmail/codes.SmtpError") as never;

/** The stable `code` of every {@link SmtpError}. */
export const SMTP_ERROR_CODE = "ERR_LMAIL_SMTP_REPLY";

/**
 * An error that carries the SMTP reply to send. A handler hook that throws one has its reply sent
 * as is; the server turns any other error into `451 4.3.0` and never shows it to the client.
 */
export class SmtpError extends Error {
  /** Always {@link SMTP_ERROR_CODE}: test for it, or use {@link isSmtpError}. */
  readonly code: typeof SMTP_ERROR_CODE = SMTP_ERROR_CODE;
  /** The reply to send. */
  readonly reply: Reply;
  declare readonly [BRAND]: true;

  constructor(r: Reply, options?: ErrorOptions) {
    super(formatReply(r).replace(/\r\n(?=.)/g, " ").trimEnd(), options);
    this.name = "SmtpError";
    this.reply = r;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Shorthand for `new SmtpError(reply(code, enhanced, text))`. */
  static of(code: ReplyCodeNumber, enhanced?: EnhancedCode, text?: string | readonly string[], options?: ErrorOptions): SmtpError {
    return new SmtpError(reply(code, enhanced, text), options);
  }

  /** `instanceof` recognises SmtpErrors from any copy of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isSmtpError(value);
  }
}

/** True when `value` is an {@link SmtpError}, even one made by another copy of this package. */
export function isSmtpError(value: unknown): value is SmtpError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
