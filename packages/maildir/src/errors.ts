import { Enhanced, isSmtpError, reply, ReplyCode, type Reply } from "@lmail/codes";
import { LOCAL_ERROR } from "@lmail/session";

/** The stable codes of {@link MaildirError}. */
export const MaildirErrorCode = {
  /** A symbolic link was found where a maildir directory (tmp/, new/, cur/, a folder) belongs. */
  Symlink: "ERR_MAILDIR_SYMLINK",
  /** Something other than a directory is where a maildir directory belongs. */
  NotDirectory: "ERR_MAILDIR_NOT_DIRECTORY",
  /** A Maildir++ folder name that is empty, has `/`, a NUL, a leading dot or an empty component. */
  BadFolderName: "ERR_MAILDIR_FOLDER_NAME",
  /** The delivery was aborted (its `signal` fired) before the message was committed. */
  Aborted: "ERR_MAILDIR_ABORTED",
} as const;
export type MaildirErrorCode = (typeof MaildirErrorCode)[keyof typeof MaildirErrorCode];

/** An error of this package (as opposed to an errno error from the file system, passed on as is). */
export class MaildirError extends Error {
  readonly code: MaildirErrorCode;
  /** The path concerned. */
  readonly path: string;

  constructor(code: MaildirErrorCode, message: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MaildirError";
    this.code = code;
    this.path = path;
  }
}

/** The errno code of a Node error (`"ENOSPC"`, …), if it has one. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

const noSpace = reply(ReplyCode.InsufficientStorage, Enhanced.SystemFull, "Insufficient system storage");
const overQuota = reply(ReplyCode.ExceededStorage, Enhanced.MailboxFull, "Mailbox full or over quota");

/**
 * The SMTP reply for a failed delivery: ENOSPC → 452 4.3.1; EDQUOT or EFBIG → 552 5.2.2; an
 * `SmtpError` → its own reply; EIO and anything else → 451 4.3.0. The text never shows a path or
 * an internal message.
 */
export function replyForError(err: unknown): Reply {
  if (isSmtpError(err)) return err.reply;
  const code = errnoCode(err);
  if (code === "ENOSPC") return noSpace;
  if (code === "EDQUOT" || code === "EFBIG") return overQuota;
  return LOCAL_ERROR;
}
