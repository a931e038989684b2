import type { MaildirFs } from "./fs-layer.js";
import type { LineEnding } from "./line-endings.js";

/** How files are written: shared by {@link Maildir}, `deliver()` and `maildirHandler()`. */
export interface WriteOptions {
  /**
   * fsync the message file before linking it into `new/`, and `new/` after. Default true: no
   * success is reported before the message survives a power loss (the Maildir protocol's point).
   * Turn off only for throw-away mail (tests, mail catchers).
   */
  readonly fsync?: boolean;
  /**
   * The host part of unique file names. Default `os.hostname()`. `/` and `:` are written
   * `\057` and `\072` (the Maildir spec).
   */
  readonly hostname?: string;
  /**
   * `"lf"` (default) stores lines ended by LF, turning each CRLF of the SMTP body into LF: the
   * Unix convention that qmail, Postfix's local and Dovecot (mail_save_crlf = no) follow.
   * `"crlf"` stores the body bytes exactly as given and ends prepended header lines with CRLF.
   */
  readonly lineEnding?: LineEnding;
  /** The file-system layer. Default {@link nodeFs}; tests inject faults through it. */
  readonly fs?: MaildirFs;
}

/** Options of one delivery. */
export interface DeliverOptions extends WriteOptions {
  /** Prepend `Return-Path: <addr>` (RFC 5321 §4.4); null writes `Return-Path: <>`. Default: none. */
  readonly returnPath?: string | null;
  /** Prepend `Delivered-To: addr`. Default: none. */
  readonly deliveredTo?: string;
  /** Deliver into this Maildir++ folder (`.Folder` under each maildir given as a path). Default: the inbox. */
  readonly folder?: string;
  /** Abort the delivery: nothing is committed after it fires, the tmp file is removed. */
  readonly signal?: AbortSignal;
}
