import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cleanTmp, deliver, Maildir, MaildirErrorCode, nodeFs, type MaildirFs } from "../src/index.js";
import { bytes, names, tempDir } from "./helpers.js";

const message = bytes("Subject: x\r\n\r\nbody\r\n");

describe("never follows a symlink planted inside a maildir", () => {
  for (const sub of ["tmp", "new", "cur"]) {
    it(`refuses a symlink in place of ${sub}/ and writes nothing through it`, async () => {
      const root = await tempDir();
      const dir = path.join(root, "Maildir");
      const outside = path.join(root, "outside");
      await mkdir(outside);
      await mkdir(dir);
      await symlink(outside, path.join(dir, sub));
      await expect(deliver(dir, message)).rejects.toMatchObject({ code: MaildirErrorCode.Symlink });
      expect(await names(outside)).toEqual([]);
    });
  }

  it("refuses a dangling symlink in place of tmp/ rather than create through it", async () => {
    const root = await tempDir();
    const dir = path.join(root, "Maildir");
    await mkdir(dir);
    await symlink(path.join(root, "nowhere"), path.join(dir, "tmp"));
    await expect(deliver(dir, message)).rejects.toMatchObject({ code: MaildirErrorCode.Symlink });
    expect(await names(root)).toEqual(["Maildir"]);
  });

  it("refuses a symlinked Maildir++ folder", async () => {
    const root = await tempDir();
    const dir = path.join(root, "Maildir");
    const outside = path.join(root, "outside");
    await new Maildir(outside).ensure();
    await new Maildir(dir).ensure();
    await symlink(outside, path.join(dir, ".Spam"));
    await expect(deliver(dir, message, { folder: "Spam" })).rejects.toMatchObject({ code: MaildirErrorCode.Symlink });
    expect(await names(path.join(outside, "new"))).toEqual([]);
  });

  it("refuses a file where tmp/ belongs", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, "tmp"), "not a directory");
    await expect(deliver(dir, message)).rejects.toMatchObject({ code: MaildirErrorCode.NotDirectory });
  });

  it("does not write through a symlink planted at the tmp file's own name (O_EXCL | O_NOFOLLOW)", async () => {
    const root = await tempDir();
    const dir = path.join(root, "Maildir");
    const victim = path.join(root, "victim");
    await writeFile(victim, "precious\n");
    await new Maildir(dir).ensure();
    // Race the delivery: plant the link just before the file is created.
    const fs: MaildirFs = {
      ...nodeFs,
      async open(p, flags, mode) {
        if (p.includes(`${path.sep}tmp${path.sep}`)) await symlink(victim, p);
        return nodeFs.open(p, flags, mode);
      },
    };
    await expect(deliver(dir, message, { fs })).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(victim, "utf8")).toBe("precious\n");
    expect(await names(path.join(dir, "new"))).toEqual([]);
  });

  it("does not write through a symlink planted as a folder's maildirfolder marker", async () => {
    const root = await tempDir();
    const dir = path.join(root, "Maildir");
    const victim = path.join(root, "victim");
    await writeFile(victim, "precious\n");
    await mkdir(path.join(dir, ".Lists"), { recursive: true });
    await symlink(victim, path.join(dir, ".Lists", "maildirfolder"));
    await deliver(dir, message, { folder: "Lists" });
    expect(await readFile(victim, "utf8")).toBe("precious\n");
    expect(await names(path.join(dir, ".Lists", "new"))).toHaveLength(1);
  });

  it("follows a symlink that is the maildir's own path (the administrator's choice)", async () => {
    const root = await tempDir();
    const real = path.join(root, "real");
    await mkdir(real);
    await symlink(real, path.join(root, "link"));
    await deliver(path.join(root, "link"), message);
    expect(await names(path.join(real, "new"))).toHaveLength(1);
  });

  it("cleanTmp removes a planted symlink as a link, never its target", async () => {
    const root = await tempDir();
    const dir = path.join(root, "Maildir");
    const victim = path.join(root, "victim");
    await writeFile(victim, "precious\n");
    await new Maildir(dir).ensure();
    await symlink(victim, path.join(dir, "tmp", "old-link"));
    expect(await cleanTmp(dir, { nowMs: Date.now() + 37 * 3600 * 1000 })).toBe(1);
    expect(await readFile(victim, "utf8")).toBe("precious\n");
  });

  it("cleanTmp refuses a symlinked tmp/", async () => {
    const root = await tempDir();
    const dir = path.join(root, "Maildir");
    const outside = path.join(root, "outside");
    await mkdir(outside);
    await writeFile(path.join(outside, "keep"), "x");
    await mkdir(dir);
    await symlink(outside, path.join(dir, "tmp"));
    expect(await cleanTmp(dir, { maxAgeMs: 0, nowMs: Date.now() + 1000 })).toBe(0);
    expect(await names(outside)).toEqual(["keep"]);
  });
});
