/**
 * `lmaild hash-password`: read one password on stdin (its first line; the line ending is not part
 * of it) and print its hash, ready for a users-file line `user:HASH`.
 */
import type { Readable, Writable } from "node:stream";
import { DaemonExit, ExitCode } from "./exit-codes.js";
import { hashPassword } from "./password-hash.js";

/** Longest password accepted, in bytes: 1024 is far beyond any real password and bounds what is read. */
const MAX_PASSWORD_BYTES = 1024;

export async function readPassword(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(bytes);
    length += bytes.length;
    const text = Buffer.concat(chunks).toString("utf8");
    if (text.includes("\n")) break;
    if (length > MAX_PASSWORD_BYTES) break;
  }
  const text = Buffer.concat(chunks).toString("utf8");
  const newline = text.indexOf("\n");
  const password = (newline === -1 ? text : text.slice(0, newline)).replace(/\r$/, "");
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) throw new DaemonExit(ExitCode.Usage, `the password is longer than ${String(MAX_PASSWORD_BYTES)} bytes`);
  if (password.length === 0) throw new DaemonExit(ExitCode.Usage, "no password on stdin (usage: echo 'secret' | lmaild hash-password)");
  return password;
}

export async function hashPasswordCommand(input: Readable & { isTTY?: boolean }, output: Writable, prompt: Writable): Promise<void> {
  if (input.isTTY === true) prompt.write("Password (shown as typed; pipe it in to hide it): ");
  const password = await readPassword(input);
  output.write(`${await hashPassword(password)}\n`);
}
