/**
 * The users file for AUTH: one `user:HASH` per line (HASH from `lmaild hash-password`), blank
 * lines and lines starting with `#` ignored. Parsing is pure; reading is one `readFile`.
 */
import { readFile } from "node:fs/promises";
import { parseHash, type ParsedHash } from "./password-hash.js";

export type Users = ReadonlyMap<string, ParsedHash>;

/** A users file that cannot be used; `line` is 1-based. */
export class UsersFileError extends Error {
  readonly code = "ERR_LMAILD_USERS_FILE";
  readonly line: number | undefined;

  constructor(message: string, line?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsersFileError";
    this.line = line;
  }
}

/** Parse the text of a users file. Throws {@link UsersFileError} naming the line and the problem. */
export function parseUsers(text: string, source = "users file"): Users {
  const users = new Map<string, ParsedHash>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const number = index + 1;
    if (line === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    if (colon <= 0) throw new UsersFileError(`${source}, line ${String(number)}: expected user:HASH`, number);
    const user = line.slice(0, colon);
    // eslint-disable-next-line no-control-regex
    if (/[\s\u0000-\u001f\u007f]/u.test(user)) throw new UsersFileError(`${source}, line ${String(number)}: the user name contains white space or a control character`, number);
    if (users.has(user)) throw new UsersFileError(`${source}, line ${String(number)}: user "${user}" appears twice`, number);
    const parsed = parseHash(line.slice(colon + 1));
    if ("error" in parsed) throw new UsersFileError(`${source}, line ${String(number)}: ${parsed.error}`, number);
    users.set(user, parsed);
  });
  return users;
}

/** Read and parse a users file. */
export async function loadUsers(file: string): Promise<Users> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new UsersFileError(`cannot read users file ${file}: ${(error as Error).message}`, undefined, { cause: error });
  }
  return parseUsers(text, file);
}
