import path from "node:path";
import { describe, expect, it } from "vitest";
import { deliver, Maildir, MaildirErrorCode, replyForError } from "../src/index.js";
import { bytes, errno, faultyFs, type Faults, names, tempDir } from "./helpers.js";

/** A body of `n` chunks of 40 KiB, so that writes happen while the body is still streaming. */
async function* bigBody(n: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < n; i++) yield await Promise.resolve(new Uint8Array(40 * 1024).fill(0x61 + (i % 26)));
}

interface Case {
  readonly name: string;
  readonly faults: Faults;
  readonly code: number;
  readonly enhanced: string;
}

const cases: Case[] = [
  { name: "ENOSPC on the first write", faults: { write: () => errno("ENOSPC") }, code: 452, enhanced: "4.3.1" },
  { name: "ENOSPC on a later write", faults: { write: (_p, i) => (i === 3 ? errno("ENOSPC") : undefined) }, code: 452, enhanced: "4.3.1" },
  { name: "EIO on write", faults: { write: (_p, i) => (i === 1 ? errno("EIO") : undefined) }, code: 451, enhanced: "4.3.0" },
  { name: "EDQUOT on write", faults: { write: () => errno("EDQUOT") }, code: 552, enhanced: "5.2.2" },
  { name: "EFBIG on write", faults: { write: (_p, i) => (i === 2 ? errno("EFBIG") : undefined) }, code: 552, enhanced: "5.2.2" },
  { name: "ENOSPC on fsync of the file", faults: { sync: () => errno("ENOSPC") }, code: 452, enhanced: "4.3.1" },
  { name: "EIO on fsync of the file", faults: { sync: () => errno("EIO") }, code: 451, enhanced: "4.3.0" },
  { name: "EIO on fsync of new/", faults: { syncDir: (p) => (p.endsWith(`${path.sep}new`) ? errno("EIO") : undefined) }, code: 451, enhanced: "4.3.0" },
  { name: "ENOSPC on fsync of new/", faults: { syncDir: (p) => (p.endsWith(`${path.sep}new`) ? errno("ENOSPC") : undefined) }, code: 452, enhanced: "4.3.1" },
  { name: "EIO on link into new/", faults: { link: () => errno("EIO") }, code: 451, enhanced: "4.3.0" },
];

describe("fault injection: every failure removes the tmp file, commits nothing, and maps to its reply", () => {
  for (const c of cases) {
    it(`${c.name} → ${String(c.code)} ${c.enhanced}`, async () => {
      const dir = await tempDir();
      await new Maildir(dir).ensure();
      const log: string[] = [];
      const err: unknown = await deliver(dir, bigBody(8), { fs: faultyFs(c.faults, log) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(replyForError(err)).toMatchObject({ code: c.code, enhanced: c.enhanced });
      expect(await names(path.join(dir, "tmp"))).toEqual([]);
      expect(await names(path.join(dir, "new"))).toEqual([]);
      // The file handle was closed before the unlink.
      const opened = log.find((l) => l.startsWith("open "))!.slice(5);
      expect(log).toContain(`close ${opened}`);
      expect(log.indexOf(`close ${opened}`)).toBeLessThan(log.lastIndexOf(`unlink ${opened}`));
    });
  }

  it("a failed fsync of new/ fails every concurrent delivery, each cleaned up", async () => {
    const dir = await tempDir();
    await new Maildir(dir).ensure();
    const fs = faultyFs({ syncDir: () => errno("EIO") });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => deliver(dir, bytes("x\n"), { fs })));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(await names(path.join(dir, "tmp"))).toEqual([]);
    expect(await names(path.join(dir, "new"))).toEqual([]);
  });

  it("a failed body stream (client gone) leaves nothing behind", async () => {
    const dir = await tempDir();
    async function* broken(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("Subject: x\r\n\r\n"));
      throw new Error("connection reset");
    }
    await expect(deliver(dir, broken())).rejects.toThrow("connection reset");
    expect(await names(path.join(dir, "tmp"))).toEqual([]);
    expect(await names(path.join(dir, "new"))).toEqual([]);
  });

  it("an aborted delivery commits nothing (ERR_MAILDIR_ABORTED, 451 4.3.0)", async () => {
    const dir = await tempDir();
    const controller = new AbortController();
    async function* body(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("Subject: x\r\n\r\n"));
      controller.abort(new Error("client disconnected"));
      yield bytes("more\r\n");
    }
    const err: unknown = await deliver(dir, body(), { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: MaildirErrorCode.Aborted });
    expect(replyForError(err)).toMatchObject({ code: 451, enhanced: "4.3.0" });
    expect(await names(path.join(dir, "tmp"))).toEqual([]);
    expect(await names(path.join(dir, "new"))).toEqual([]);
  });

  it("maps errors to replies: ENOSPC 452 4.3.1, EDQUOT/EFBIG 552 5.2.2, EIO and others 451 4.3.0", () => {
    expect(replyForError(errno("ENOSPC"))).toMatchObject({ code: 452, enhanced: "4.3.1" });
    expect(replyForError(errno("EDQUOT"))).toMatchObject({ code: 552, enhanced: "5.2.2" });
    expect(replyForError(errno("EFBIG"))).toMatchObject({ code: 552, enhanced: "5.2.2" });
    expect(replyForError(errno("EIO"))).toMatchObject({ code: 451, enhanced: "4.3.0" });
    expect(replyForError(new Error("boom"))).toMatchObject({ code: 451, enhanced: "4.3.0" });
    expect(replyForError("not even an error")).toMatchObject({ code: 451, enhanced: "4.3.0" });
    expect(replyForError(errno("EIO")).lines.join(" ")).not.toContain("injected");
  });
});
