import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../src/password-hash.js";
import { loadUsers, parseUsers, UsersFileError } from "../src/users-file.js";
import { tempDir } from "./support/temp-dir.js";

describe("users file: user:HASH lines", () => {
  it("reads users, skipping blank lines and # comments", async () => {
    const hash = await hashPassword("s3cret", { ln: 10, r: 8, p: 1 });
    const users = parseUsers(`# lmaild users\n\nalice:${hash}\r\n  bob@example.com:${hash}  \n`);
    expect([...users.keys()]).toEqual(["alice", "bob@example.com"]);
    expect(await verifyPassword("s3cret", users.get("alice")!)).toBe(true);
  });

  it("names the line and the problem", async () => {
    const hash = await hashPassword("x", { ln: 10, r: 8, p: 1 });
    expect(() => parseUsers(`alice:${hash}\nbob`)).toThrow(/line 2: expected user:HASH/);
    expect(() => parseUsers(`alice:${hash}\nalice:${hash}`)).toThrow(/line 2: user "alice" appears twice/);
    expect(() => parseUsers("carol:plaintext")).toThrow(/line 1: not an scrypt hash/);
    expect(() => parseUsers(`a b:${hash}`)).toThrow(/line 1: the user name contains white space/);
    expect(() => parseUsers(":x")).toThrow(UsersFileError);
  });

  it("loads from a file and reports an unreadable one", async () => {
    const dir = await tempDir("lmaild-users-");
    const file = path.join(dir, "users");
    await writeFile(file, `alice:${await hashPassword("pw", { ln: 10, r: 8, p: 1 })}\n`);
    expect((await loadUsers(file)).has("alice")).toBe(true);
    await expect(loadUsers(path.join(dir, "missing"))).rejects.toThrow(/cannot read users file/);
  });
});
