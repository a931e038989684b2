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

/** A terminal's input: raw mode lets the password be read without echo. */
interface TtyInput extends Readable {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** Read one line from a terminal without echoing it. Ctrl-C cancels; Backspace deletes. */
export function readHiddenLine(input: TtyInput, prompt: Writable, question: string): Promise<string> {
  prompt.write(question);
  input.setRawMode?.(true);
  input.setEncoding("utf8");
  input.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (): void => {
      input.off("data", onData);
      input.setRawMode?.(false);
      input.pause();
      prompt.write("\n");
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") {
          finish();
          resolve(value);
          return;
        }
        if (ch === "\u0003") {
          finish();
          reject(new DaemonExit(ExitCode.Usage, "cancelled"));
          return;
        }
        if (ch === "\u007f" || ch === "\b") value = [...value].slice(0, -1).join("");
        else value += ch;
        if (Buffer.byteLength(value) > MAX_PASSWORD_BYTES) {
          finish();
          reject(new DaemonExit(ExitCode.Usage, `the password is longer than ${String(MAX_PASSWORD_BYTES)} bytes`));
          return;
        }
      }
    };
    input.on("data", onData);
  });
}

/**
 * On a terminal: ask twice without echo. Otherwise: the first line of stdin
 * (`echo 'secret' | lmaild hash-password`).
 */
export async function hashPasswordCommand(input: TtyInput, output: Writable, prompt: Writable): Promise<void> {
  let password: string;
  if (input.isTTY === true && typeof input.setRawMode === "function") {
    password = await readHiddenLine(input, prompt, "Password: ");
    if (password.length === 0) throw new DaemonExit(ExitCode.Usage, "empty password");
    if ((await readHiddenLine(input, prompt, "Again: ")) !== password) throw new DaemonExit(ExitCode.Usage, "the passwords differ");
  } else {
    password = await readPassword(input);
  }
  output.write(`${await hashPassword(password)}\n`);
}
