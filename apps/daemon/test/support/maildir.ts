/**
 * Read back what lmaild delivered, and check it byte for byte against what was sent: the file is
 * `Return-Path:`, `Delivered-To:` (from @lmail/maildir) and the server's `Received:` field,
 * followed by the message exactly as sent, with CRLF stored as LF (the Maildir convention that
 * @lmail/maildir follows by default).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface Delivered {
  readonly file: string;
  readonly bytes: Buffer;
}

/** The files in `<root>/<domain>/<mailbox>/new/`, oldest name first. */
export function delivered(root: string, domain: string, mailbox: string): Delivered[] {
  const dir = path.join(root, domain, mailbox, "new");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((name) => ({ file: path.join(dir, name), bytes: readFileSync(path.join(dir, name)) }));
}

/** The trace fields lmaild prepends, and the message after them. */
export interface Split {
  readonly returnPath: string;
  readonly deliveredTo: string;
  readonly received: string;
  readonly message: Buffer;
}

/** Split a delivered file into the prepended trace fields and the message. Throws when they are not there. */
export function splitTrace(bytes: Buffer): Split {
  const lines: string[] = [];
  let offset = 0;
  const nextLine = (): string => {
    const end = bytes.indexOf(0x0a, offset);
    if (end === -1) throw new Error("delivered file ends inside its trace fields");
    const line = bytes.subarray(offset, end).toString("utf8");
    offset = end + 1;
    return line;
  };
  const returnPath = nextLine();
  const deliveredTo = nextLine();
  let received = nextLine();
  // The Received: field may be folded over several lines (continuations start with white space).
  while (offset < bytes.length && (bytes[offset] === 0x20 || bytes[offset] === 0x09)) received += `\n${nextLine()}`;
  lines.push(returnPath, deliveredTo, received);
  if (!/^Return-Path: /.test(returnPath)) throw new Error(`expected Return-Path first, got ${JSON.stringify(returnPath)}`);
  if (!/^Delivered-To: /.test(deliveredTo)) throw new Error(`expected Delivered-To second, got ${JSON.stringify(deliveredTo)}`);
  if (!/^Received: /.test(received)) throw new Error(`expected Received third, got ${JSON.stringify(received)}`);
  return { returnPath, deliveredTo, received, message: bytes.subarray(offset) };
}

/** What a message sent with CRLF line ends looks like once stored (LF line ends). */
export function stored(sent: string | Buffer): Buffer {
  const bytes = typeof sent === "string" ? Buffer.from(sent, "utf8") : sent;
  return Buffer.from(bytes.toString("latin1").replace(/\r\n/g, "\n"), "latin1");
}
