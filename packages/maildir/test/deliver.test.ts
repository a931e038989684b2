import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { constants, readdirSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  cleanTmp,
  deliver,
  deliverSettled,
  encodeHostname,
  MAILDIR_DELIVERY_CHANNEL,
  Maildir,
  MaildirError,
  nodeFs,
  uniqueName,
  type MaildirFs,
} from "../src/index.js";
import { bytes, errno, faultyFs, names, tempDir } from "./helpers.js";

const message = "From: a@example.org\r\nSubject: hi\r\n\r\nbody line\r\n";
const messageLf = "From: a@example.org\nSubject: hi\n\nbody line\n";

describe("maildir layout (cr.yp.to/proto/maildir.html)", () => {
  it("creates tmp/, new/ and cur/ on demand with mode 0700", async () => {
    const dir = path.join(await tempDir(), "a", "Maildir");
    await deliver(dir, bytes(message));
    for (const sub of ["tmp", "new", "cur"]) {
      const st = await lstat(path.join(dir, sub));
      expect(st.isDirectory()).toBe(true);
      expect(st.mode & 0o777).toBe(0o700);
    }
  });

  it("fsyncs the parent after creating a directory, so that a new maildir survives a crash", async () => {
    const dir = path.join(await tempDir(), "Maildir");
    const log: string[] = [];
    await deliver(dir, bytes(message), { fs: faultyFs({}, log) });
    const dirSyncs = log.filter((l) => l.startsWith("syncDir "));
    expect(dirSyncs).toEqual([
      `syncDir ${path.dirname(dir)}`,
      `syncDir ${dir}`,
      `syncDir ${dir}`,
      `syncDir ${dir}`,
      `syncDir ${path.join(dir, "new")}`,
    ]);
  });

  it("commits the message into new/ with mode 0600 and leaves tmp/ empty", async () => {
    const dir = await tempDir();
    const result = await deliver(dir, bytes(message));
    const [file] = result.files;
    expect(await names(path.join(dir, "new"))).toEqual([file!.name]);
    expect(await names(path.join(dir, "tmp"))).toEqual([]);
    expect(await names(path.join(dir, "cur"))).toEqual([]);
    expect((await stat(file!.path)).mode & 0o777).toBe(0o600);
    expect(await readFile(file!.path, "utf8")).toBe(messageLf);
    expect(file!.bytes).toBe(messageLf.length);
  });

  it("stores the body as given with lineEnding crlf", async () => {
    const dir = await tempDir();
    const { files } = await deliver(dir, bytes(message), { lineEnding: "crlf", returnPath: "a@example.org" });
    expect(await readFile(files[0]!.path, "utf8")).toBe(`Return-Path: <a@example.org>\r\n${message}`);
  });

  it("turns CRLF into LF across chunk boundaries and keeps lone CR and LF", async () => {
    const dir = await tempDir();
    async function* body(): AsyncIterable<Uint8Array> {
      for (const piece of ["a\r", "\nb\r", "c\n\r", "", "\n\r"]) yield await Promise.resolve(bytes(piece));
    }
    const { files } = await deliver(dir, body());
    expect(await readFile(files[0]!.path, "utf8")).toBe("a\nb\rc\n\n\r");
  });

  it("names files time.M<usec>P<pid>R<random>Q<counter>.host, with / and : in the host as \\057 and \\072", async () => {
    const dir = await tempDir();
    const { files } = await deliver(dir, bytes(message), { hostname: "mx/1:a.example" });
    expect(files[0]!.name).toMatch(
      new RegExp(`^\\d{10}\\.M\\d{1,6}P${String(process.pid)}R[0-9a-f]{16}Q\\d+\\.mx\\\\0571\\\\072a\\.example$`),
    );
    expect(encodeHostname("a/b:c")).toBe("a\\057b\\072c");
  });

  it("gives every delivery a unique name (per-process counter)", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(uniqueName("h"));
    expect(seen.size).toBe(10_000);
    const counters = [uniqueName("h"), uniqueName("h")].map((n) => Number(/Q(\d+)\./.exec(n)![1]));
    expect(counters[1]).toBe(counters[0]! + 1);
  });

  it("writes in tmp/ with O_EXCL|O_NOFOLLOW, fsyncs, links into new/, fsyncs new/, unlinks tmp, then resolves", async () => {
    const dir = await tempDir();
    await new Maildir(dir).ensure();
    const log: string[] = [];
    const opened: { flags: number; mode: number }[] = [];
    const base = faultyFs({}, log);
    const fs: MaildirFs = {
      ...base,
      open(p, flags, mode) {
        opened.push({ flags, mode });
        return base.open(p, flags, mode);
      },
    };
    const { files } = await deliver(dir, bytes(message), { fs });
    log.push("resolved");
    const tmp = path.join(dir, "tmp", files[0]!.name);
    const nw = path.join(dir, "new", files[0]!.name);
    expect(log).toEqual([
      `open ${tmp}`,
      `write ${tmp}`,
      `sync ${tmp}`,
      `close ${tmp}`,
      `link ${tmp} ${nw}`,
      `syncDir ${path.join(dir, "new")}`,
      `unlink ${tmp}`,
      "resolved",
    ]);
    const want = constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_WRONLY;
    expect(opened[0]!.flags & want).toBe(want);
    expect(opened[0]!.mode).toBe(0o600);
  });

  it("never overwrites: link into new/ fails rather than replace an existing name (EEXIST)", async () => {
    const dir = await tempDir();
    await new Maildir(dir).ensure();
    // Plant a file under the name the delivery will use, by fixing the name through the fs layer.
    let planted = "";
    const fs: MaildirFs = {
      ...nodeFs,
      async link(from, to) {
        planted = to;
        await writeFile(to, "existing\n");
        await nodeFs.link(from, to);
      },
    };
    await expect(deliver(dir, bytes(message), { fs })).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(planted, "utf8")).toBe("existing\n");
    expect(await names(path.join(dir, "tmp"))).toEqual([]);
  });

  it("skips fsync when fsync is false", async () => {
    const dir = await tempDir();
    const log: string[] = [];
    await deliver(dir, bytes(message), { fs: faultyFs({}, log), fsync: false });
    expect(log.filter((l) => l.startsWith("sync"))).toEqual([]);
  });
});

describe("trace fields on local delivery", () => {
  it("prepends Return-Path (RFC 5321 §4.4) and Delivered-To", async () => {
    const dir = await tempDir();
    const { files } = await deliver(dir, bytes(message), { returnPath: "s@example.org", deliveredTo: "u@example.net" });
    expect(await readFile(files[0]!.path, "utf8")).toBe(`Return-Path: <s@example.org>\nDelivered-To: u@example.net\n${messageLf}`);
  });

  it("writes Return-Path: <> for the null reverse-path", async () => {
    const dir = await tempDir();
    const { files } = await deliver(dir, bytes(message), { returnPath: null });
    expect((await readFile(files[0]!.path, "utf8")).split("\n")[0]).toBe("Return-Path: <>");
  });

  it("cannot be used to inject header lines", async () => {
    const dir = await tempDir();
    const { files } = await deliver(dir, bytes(message), { deliveredTo: "u@x\r\nBcc: evil@x" });
    expect((await readFile(files[0]!.path, "utf8")).split("\n")[0]).toBe("Delivered-To: u@xBcc: evil@x");
  });
});

describe("one message, many maildirs", () => {
  it("writes the message once and hard-links it into every maildir", async () => {
    const root = await tempDir();
    const dirs = ["a", "b", "c"].map((n) => path.join(root, n));
    const { files } = await deliver(dirs, bytes(message));
    expect(files.map((f) => f.maildir)).toEqual(dirs);
    const inodes = await Promise.all(files.map(async (f) => (await stat(f.path)).ino));
    expect(new Set(inodes).size).toBe(1);
    expect((await stat(files[0]!.path)).nlink).toBe(3);
    for (const d of dirs) expect(await names(path.join(d, "tmp"))).toEqual([]);
  });

  it("gives a maildir named twice one copy", async () => {
    const dir = await tempDir();
    const { files } = await deliver([dir, dir], bytes(message));
    expect(files).toHaveLength(1);
    expect(await names(path.join(dir, "new"))).toHaveLength(1);
  });

  it("copies through the other maildir's tmp/ when link fails with EXDEV (another file system)", async () => {
    const root = await tempDir();
    const [a, b] = [path.join(root, "a"), path.join(root, "b")];
    const log: string[] = [];
    const fs = faultyFs({ link: (from, to) => (path.dirname(path.dirname(from)) !== path.dirname(path.dirname(to)) ? errno("EXDEV") : undefined) }, log);
    const { files } = await deliver([a, b], bytes(message), { fs, returnPath: null });
    const [fa, fb] = files;
    expect((await stat(fa!.path)).ino).not.toBe((await stat(fb!.path)).ino);
    expect(await readFile(fb!.path)).toEqual(await readFile(fa!.path));
    expect(fb!.linked).toBe(false);
    expect(log).toContain(`sync ${path.join(b, "tmp", fb!.name)}`);
    expect(log).toContain(`syncDir ${path.join(b, "new")}`);
    expect(await names(path.join(a, "tmp"))).toEqual([]);
    expect(await names(path.join(b, "tmp"))).toEqual([]);
  });

  it("copies for real across file systems (tmpfs /dev/shm and the temp directory)", async (ctx) => {
    const local = await tempDir();
    const shm = await stat("/dev/shm").catch(() => undefined);
    if (shm === undefined || shm.dev === (await stat(local)).dev) {
      console.warn("real cross-file-system copy NOT checked: no /dev/shm on another file system than " + tmpdir());
      return;
    }
    const remote = await mkdtemp(path.join("/dev/shm", "lmail-maildir-"));
    ctx.onTestFinished(() => rm(remote, { recursive: true, force: true }));
    const { files } = await deliver([path.join(local, "a"), path.join(remote, "b")], bytes(message), { returnPath: null });
    const [sa, sb] = await Promise.all(files.map((f) => stat(f.path)));
    expect(sa!.dev).not.toBe(sb!.dev);
    expect(files[1]!.linked).toBe(false);
    expect(await readFile(files[1]!.path)).toEqual(await readFile(files[0]!.path));
    expect(await names(path.join(remote, "b", "tmp"))).toEqual([]);
    expect(await names(path.join(local, "a", "tmp"))).toEqual([]);
  });

  it("is all or nothing: one failing maildir removes the copies already made (SMTP semantics)", async () => {
    const root = await tempDir();
    const [a, b] = [path.join(root, "a"), path.join(root, "b")];
    const fs = faultyFs({ syncDir: (p) => (p.startsWith(b) ? errno("EIO") : undefined) });
    await expect(deliver([a, b], bytes(message), { fs })).rejects.toMatchObject({ code: "EIO" });
    expect(await names(path.join(a, "new"))).toEqual([]);
    expect(await names(path.join(b, "new"))).toEqual([]);
    expect(await names(path.join(a, "tmp"))).toEqual([]);
  });

  it("deliverSettled reports each maildir on its own (LMTP semantics)", async () => {
    const root = await tempDir();
    const [a, b] = [path.join(root, "a"), path.join(root, "b")];
    const fs = faultyFs({ syncDir: (p) => (p.startsWith(b) ? errno("EIO") : undefined) });
    const [oa, ob] = await deliverSettled([a, b], bytes(message), { fs });
    expect(oa!.ok).toBe(true);
    expect(ob).toMatchObject({ ok: false, maildir: b, error: { code: "EIO" } });
    expect(await names(path.join(a, "new"))).toHaveLength(1);
    expect(await names(path.join(b, "new"))).toEqual([]);
  });
});

describe("Maildir++ folders", () => {
  it("delivers into .Folder with its own tmp/ new/ cur/ and a maildirfolder marker", async () => {
    const dir = await tempDir();
    const { files } = await deliver(dir, bytes(message), { folder: "Lists.lmail" });
    const folder = path.join(dir, ".Lists.lmail");
    expect(files[0]!.maildir).toBe(folder);
    expect(await names(folder)).toEqual(["cur", "maildirfolder", "new", "tmp"]);
    expect(await names(path.join(dir))).toEqual([".Lists.lmail", "cur", "new", "tmp"]);
    const sub = new Maildir(dir).folder("Lists").folder("lmail");
    expect(sub.path).toBe(folder);
  });

  it("refuses folder names that could leave the maildir", () => {
    for (const bad of ["", ".", "..", "a/b", "../x", ".hidden", "a..b", "a.", "a\0b"]) {
      expect(() => new Maildir("/m").folder(bad), bad).toThrow(MaildirError);
    }
  });
});

describe("tmp/ cleaner (files untouched for 36 hours)", () => {
  it("removes files in tmp/ untouched (atime, mtime and ctime) for 36 hours, keeps directories", async () => {
    const dir = await tempDir();
    const md = new Maildir(dir);
    await md.ensure();
    const tmp = path.join(dir, "tmp");
    await writeFile(path.join(tmp, "old"), "x");
    await writeFile(path.join(tmp, "fresh"), "x");
    await mkdir(path.join(tmp, "adir"));
    const old = new Date(Date.now() - 37 * 3600 * 1000);
    await utimes(path.join(tmp, "old"), old, old);
    await utimes(path.join(tmp, "adir"), old, old);
    // ctime cannot be set back: judge against a clock 37 hours ahead for the "old" file instead.
    expect(await md.cleanTmp()).toBe(0);
    expect(await cleanTmp(dir, { nowMs: Date.now() + 35 * 3600 * 1000 })).toBe(0);
    expect(await cleanTmp(dir, { nowMs: Date.now() + 37 * 3600 * 1000 })).toBe(2);
    expect(await names(tmp)).toEqual(["adir"]);
  });

  it("counts a maildir without tmp/ as clean", async () => {
    expect(await cleanTmp(path.join(await tempDir(), "none"))).toBe(0);
  });
});

describe("concurrent deliveries into one maildir", () => {
  it("delivers every message of 200 concurrent deliveries exactly once", async () => {
    const dir = await tempDir();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => deliver(dir, bytes(`Subject: ${String(i)}\n\n${String(i)}\n`))));
    const files = await names(path.join(dir, "new"));
    expect(files).toHaveLength(200);
    const bodies = await Promise.all(results.map(async (r) => (await readFile(r.files[0]!.path, "utf8")).split("\n\n")[1]));
    expect(new Set(bodies).size).toBe(200);
  });

  it("none of 50 concurrent deliveries resolves before an fsync of new/ begun after its own link ended", async () => {
    const dir = await tempDir();
    await new Maildir(dir).ensure();
    const events: string[] = [];
    let syncs = 0;
    const fs: MaildirFs = {
      ...nodeFs,
      async link(from, to) {
        await nodeFs.link(from, to);
        events.push(`link ${path.basename(to)}`);
      },
      async syncDir(p) {
        const n = ++syncs;
        events.push(`sync-start ${String(n)}`);
        await nodeFs.syncDir(p);
        events.push(`sync-end ${String(n)}`);
      },
    };
    const count = 50;
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const { files } = await deliver(dir, bytes(`n: ${String(i)}\n`), { fs });
        events.push(`done ${files[0]!.name}`);
      }),
    );
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThanOrEqual(count);
    for (const [i, e] of events.entries()) {
      if (!e.startsWith("done ")) continue;
      const linkedAt = events.indexOf(`link ${e.slice(5)}`);
      const covering = events.slice(linkedAt, i).find((x) => x.startsWith("sync-start "));
      expect(covering, e).toBeDefined();
      expect(events.slice(events.indexOf(covering!), i)).toContain(`sync-end ${covering!.slice(11)}`);
    }
  });
});

describe("group commit of new/", () => {
  it("deliveries linked while an fsync of new/ runs share the next one (50 deliveries, 2 fsyncs)", async () => {
    const dir = await tempDir();
    await new Maildir(dir).ensure();
    const count = 50;
    let links = 0;
    let syncs = 0;
    let allLinked!: () => void;
    const linked = new Promise<void>((resolve) => (allLinked = resolve));
    const fs: MaildirFs = {
      ...nodeFs,
      async link(from, to) {
        await nodeFs.link(from, to);
        if (++links === count) allLinked();
      },
      async syncDir(p) {
        syncs += 1;
        // Hold the first fsync until every delivery has linked: all the others must wait for
        // (and share) one fsync begun after it, none may ride on this one.
        if (syncs === 1) await linked;
        await nodeFs.syncDir(p);
      },
    };
    const results = await Promise.all(Array.from({ length: count }, (_, i) => deliver(dir, bytes(`n: ${String(i)}\n`), { fs })));
    expect(results).toHaveLength(count);
    expect(syncs).toBe(2);
    expect(await names(path.join(dir, "new"))).toHaveLength(count);
  });

  it("a failed group fsync fails only the deliveries that waited for it; the next group starts afresh", async () => {
    const dir = await tempDir();
    await new Maildir(dir).ensure();
    let syncs = 0;
    const fs: MaildirFs = {
      ...nodeFs,
      async syncDir(p) {
        syncs += 1;
        if (syncs === 1) throw errno("EIO");
        await nodeFs.syncDir(p);
      },
    };
    await expect(deliver(dir, bytes("a\n"), { fs })).rejects.toMatchObject({ code: "EIO" });
    expect(await names(path.join(dir, "new"))).toEqual([]);
    const { files } = await deliver(dir, bytes("b\n"), { fs });
    expect(await names(path.join(dir, "new"))).toEqual([files[0]!.name]);
    expect(syncs).toBe(2);
  });
});

describe("a maildir once checked", () => {
  it("is not lstat'ed whole again: later deliveries check only tmp/ and new/", async () => {
    const dir = await tempDir();
    const checked: string[] = [];
    const fs: MaildirFs = {
      ...nodeFs,
      lstat(p) {
        checked.push(p);
        return nodeFs.lstat(p);
      },
    };
    await deliver(dir, bytes("a\n"), { fs });
    checked.length = 0;
    await deliver(dir, bytes("b\n"), { fs });
    expect(checked.sort()).toEqual([path.join(dir, "new"), path.join(dir, "tmp")]);
  });

  for (const sub of ["tmp", "new"]) {
    it(`still refuses a symlink planted in place of ${sub}/ after earlier deliveries`, async () => {
      const root = await tempDir();
      const dir = path.join(root, "Maildir");
      const outside = path.join(root, "outside");
      await mkdir(outside);
      const fs: MaildirFs = { ...nodeFs };
      await deliver(dir, bytes("a\n"), { fs });
      await rm(path.join(dir, sub), { recursive: true });
      await symlink(outside, path.join(dir, sub));
      await expect(deliver(dir, bytes("b\n"), { fs })).rejects.toMatchObject({ code: "ERR_MAILDIR_SYMLINK" });
      expect(await names(outside)).toEqual([]);
    });
  }

  it("is made again, whole, when it was removed since", async () => {
    const dir = path.join(await tempDir(), "Maildir");
    const fs: MaildirFs = { ...nodeFs };
    await deliver(dir, bytes("a\n"), { fs });
    await rm(dir, { recursive: true });
    const { files } = await deliver(dir, bytes("b\n"), { fs });
    expect(await names(path.join(dir, "new"))).toEqual([files[0]!.name]);
    expect(await names(dir)).toEqual(["cur", "new", "tmp"]);
  });
});

describe("observability (node:diagnostics_channel)", () => {
  it("publishes one event per maildir and delivery on lmail:maildir:delivery", async () => {
    const root = await tempDir();
    const [a, b] = [path.join(root, "a"), path.join(root, "b")];
    const fs = faultyFs({ syncDir: (p) => (p.startsWith(b) ? errno("ENOSPC") : undefined) });
    const events: unknown[] = [];
    const listener = (m: unknown): void => {
      events.push(m);
    };
    subscribe(MAILDIR_DELIVERY_CHANNEL, listener);
    try {
      await deliverSettled([a, b], bytes(message), { fs });
    } finally {
      unsubscribe(MAILDIR_DELIVERY_CHANNEL, listener);
    }
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ ok: true, file: { maildir: a, bytes: messageLf.length } });
    expect(events[1]).toMatchObject({ ok: false, maildir: b, error: { code: "ENOSPC" } });
    expect((events[0] as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
    expect(events.map((e) => (e as { rolledBack: boolean }).rolledBack)).toEqual([false, false]);
  });

  it("an all-or-nothing delivery's copy that was taken back is published with rolledBack, after the roll-back", async () => {
    const root = await tempDir();
    const [a, b] = [path.join(root, "a"), path.join(root, "b")];
    const fs = faultyFs({ syncDir: (p) => (p.startsWith(b) ? errno("ENOSPC") : undefined) });
    const events: { ok: boolean; rolledBack: boolean; fileLeft: string[] | undefined }[] = [];
    const listener = (m: unknown): void => {
      const e = m as { ok: boolean; rolledBack: boolean };
      // What is in a's new/ when the event arrives: empty once the copy was taken back.
      events.push({ ok: e.ok, rolledBack: e.rolledBack, fileLeft: e.ok ? readdirSync(path.join(a, "new")) : undefined });
    };
    subscribe(MAILDIR_DELIVERY_CHANNEL, listener);
    try {
      await expect(deliver([a, b], bytes(message), { fs })).rejects.toMatchObject({ code: "ENOSPC" });
    } finally {
      unsubscribe(MAILDIR_DELIVERY_CHANNEL, listener);
    }
    expect(events).toEqual([
      { ok: true, rolledBack: true, fileLeft: [] },
      { ok: false, rolledBack: false, fileLeft: undefined },
    ]);
  });
});
