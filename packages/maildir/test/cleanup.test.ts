import { mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Envelope, HookContext, IncomingMessage, Recipient, SessionInfo } from "@lmail/session";
import { SmtpError, reply } from "@lmail/codes";
import { describe, expect, it } from "vitest";
import { deliver, deliverSettled, Maildir, maildirHandler, MaildirErrorCode, type MaildirFs, nodeFs } from "../src/index.js";
import { bytes, errno, names, tempDir } from "./helpers.js";

/** Every path under `root`, relative, sorted (directories and files). */
async function tree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const r = rel === "" ? e.name : path.join(rel, e.name);
      out.push(r);
      if (e.isDirectory()) await walk(path.join(dir, e.name), r);
    }
  };
  await walk(root, "");
  return out.sort();
}

/** A body of `n` chunks, then an error (the session refusing it, the client gone). */
async function* failingAfter(n: number, error: Error = new Error("connection reset")): AsyncIterable<Uint8Array> {
  for (let i = 0; i < n; i++) yield await Promise.resolve(bytes(`line ${String(i)}\r\n`));
  throw error;
}

/** A body that streams fine. */
async function* chunks(text: string): AsyncIterable<Uint8Array> {
  yield await Promise.resolve(bytes(text));
}

/** A promise and its resolver. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** A fresh fs layer (its own verified-maildir cache and leases), with every rmdir logged. */
function freshFs(log: string[] = [], rmdirFault?: (p: string) => Error | undefined): MaildirFs {
  return {
    ...nodeFs,
    async lstat(p) {
      log.push(`lstat ${p}`);
      return nodeFs.lstat(p);
    },
    async rmdir(p) {
      const err = rmdirFault?.(p);
      if (err !== undefined) throw err;
      log.push(`rmdir ${p}`);
      await nodeFs.rmdir!(p);
    },
  };
}

describe("a refused delivery takes back the maildir it created", () => {
  it("body stream throws after some chunks: no directory left that was not there before (parents included)", async () => {
    const root = await tempDir();
    const dir = path.join(root, "example.org", "alice");
    await expect(deliver(dir, failingAfter(5))).rejects.toThrow("connection reset");
    expect(await tree(root)).toEqual([]);
  });

  it("a bigger body that fails after several 64 KiB writes: nothing left", async () => {
    const root = await tempDir();
    async function* big(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 6; i++) yield await Promise.resolve(new Uint8Array(40 * 1024).fill(0x61));
      throw new Error("552 too big");
    }
    await expect(deliver(path.join(root, "d", "u"), big())).rejects.toThrow("552 too big");
    expect(await tree(root)).toEqual([]);
  });

  it("abort via the signal: nothing left", async () => {
    const root = await tempDir();
    const controller = new AbortController();
    async function* body(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("Subject: x\r\n\r\n"));
      controller.abort(new Error("client disconnected"));
      yield bytes("more\r\n");
    }
    const err: unknown = await deliver(path.join(root, "example.org", "bob"), body(), { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: MaildirErrorCode.Aborted });
    expect(await tree(root)).toEqual([]);
  });

  it("a signal fired before the delivery starts: nothing left", async () => {
    const root = await tempDir();
    const controller = new AbortController();
    controller.abort();
    await expect(deliver(path.join(root, "x", "y"), bytes("a\n"), { signal: controller.signal })).rejects.toMatchObject({
      code: MaildirErrorCode.Aborted,
    });
    expect(await tree(root)).toEqual([]);
  });

  it("keeps a maildir that existed before, even empty", async () => {
    const root = await tempDir();
    const dir = path.join(root, "alice");
    await new Maildir(dir).ensure();
    await expect(deliver(dir, failingAfter(2))).rejects.toThrow();
    expect(await tree(root)).toEqual(["alice", "alice/cur", "alice/new", "alice/tmp"]);
  });

  it("keeps a directory that existed before (removing only the tmp/ new/ cur/ it made in it)", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, "alice"));
    await expect(deliver(path.join(root, "alice"), failingAfter(2))).rejects.toThrow();
    expect(await tree(root)).toEqual(["alice"]);
  });

  it("keeps existing parents: only the new maildir goes", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, "example.org"));
    await expect(deliver(path.join(root, "example.org", "carol"), failingAfter(1))).rejects.toThrow();
    expect(await tree(root)).toEqual(["example.org"]);
  });

  it("a maildir that got its message stays", async () => {
    const root = await tempDir();
    const { files } = await deliver(path.join(root, "d", "u"), bytes("a\n"));
    expect(await tree(root)).toEqual(["d", "d/u", "d/u/cur", "d/u/new", `d/u/new/${files[0]!.name}`, "d/u/tmp"]);
  });

  it("all or nothing: the copies rolled back, the new maildir that held one is removed too", async () => {
    const root = await tempDir();
    const bad = path.join(root, "bad");
    await mkdir(bad);
    await symlink(root, path.join(bad, "tmp"));
    await expect(deliver([path.join(root, "new", "a"), bad], bytes("a\n"))).rejects.toMatchObject({ code: MaildirErrorCode.Symlink });
    expect(await tree(root)).toEqual(["bad", "bad/tmp"]);
  });

  it("deliverSettled: the failed maildir's new directories go, the delivered one stays", async () => {
    const root = await tempDir();
    const fs = freshFs();
    const good = path.join(root, "g");
    const failing: MaildirFs = {
      ...fs,
      link: (from, to) => (to.startsWith(path.join(root, "b") + path.sep) ? Promise.reject(errno("EIO")) : fs.link(from, to)),
    };
    const [a, b] = await deliverSettled([good, path.join(root, "b")], bytes("a\n"), { fs: failing });
    expect(a!.ok).toBe(true);
    expect(b!.ok).toBe(false);
    expect((await tree(root)).filter((p) => !p.startsWith("g/new/"))).toEqual(["g", "g/cur", "g/new", "g/tmp"]);
  });

  it("Maildir++ folder refused: no .Lists, the root maildir that existed is kept whole", async () => {
    const root = await tempDir();
    await new Maildir(root).ensure();
    await expect(deliver(root, failingAfter(3), { folder: "Lists" })).rejects.toThrow();
    expect(await tree(root)).toEqual(["cur", "new", "tmp"]);
  });

  it("Maildir++ folder refused in a maildir it created: the root and its parents go too", async () => {
    const root = await tempDir();
    const home = path.join(root, "home", "alice");
    await expect(deliver(home, failingAfter(3), { folder: "Lists" })).rejects.toThrow();
    expect(await tree(root)).toEqual([]);
  });

  it("a folder refused while the inbox of the same new maildir gets a message: the inbox stays whole", async () => {
    const root = await tempDir();
    const home = path.join(root, "alice");
    const fs = freshFs();
    const folderStarted = gate();
    const folderDone = gate();
    async function* folderBody(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("x\n"));
      folderStarted.open();
      throw new Error("refused");
    }
    async function* inboxBody(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("y\n"));
      await folderDone.promise;
      yield bytes("z\n");
    }
    const inbox = deliver(home, inboxBody(), { fs });
    const folder = deliver(home, folderBody(), { fs, folder: "Lists" }).finally(folderDone.open);
    await expect(folder).rejects.toThrow("refused");
    const { files } = await inbox;
    expect(await tree(root)).toEqual(["alice", "alice/cur", "alice/new", `alice/new/${files[0]!.name}`, "alice/tmp"]);
  });

  it("never removes a file another process put in the new maildir (rmdir only), and leaves that maildir whole", async () => {
    const root = await tempDir();
    const dir = path.join(root, "d", "u");
    async function* body(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("a\n"));
      // Another delivery agent committed a message meanwhile.
      await writeFile(path.join(dir, "new", "1.other.host"), "x\n");
      throw new Error("refused");
    }
    await expect(deliver(dir, body())).rejects.toThrow("refused");
    expect(await tree(root)).toEqual(["d", "d/u", "d/u/cur", "d/u/new", "d/u/new/1.other.host", "d/u/tmp"]);
  });

  it("stops at a file another process is writing in tmp/: nothing of that maildir is removed", async () => {
    const root = await tempDir();
    const dir = path.join(root, "u");
    async function* body(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("a\n"));
      await writeFile(path.join(dir, "tmp", "1.other.host"), "x\n");
      throw new Error("refused");
    }
    await expect(deliver(dir, body())).rejects.toThrow("refused");
    expect(await tree(root)).toEqual(["u", "u/cur", "u/new", "u/tmp", "u/tmp/1.other.host"]);
  });

  it("a folder stopped by another process's file in its tmp/ keeps its maildirfolder marker", async () => {
    const root = await tempDir();
    await new Maildir(root).ensure();
    const folder = new Maildir(root).folder("Lists");
    async function* body(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("a\n"));
      await writeFile(path.join(folder.path, "tmp", "1.other.host"), "x\n");
      throw new Error("refused");
    }
    await expect(deliver(folder, body())).rejects.toThrow("refused");
    // Dovecot and Courier look for the marker: a folder that stays must keep it.
    expect((await readdir(folder.path)).sort()).toEqual(["cur", "maildirfolder", "new", "tmp"]);
  });
});

describe("Maildir.ensure() during a refused delivery", () => {
  it("what ensure() confirmed stays, though the refused delivery made it", async () => {
    const root = await tempDir();
    const dir = path.join(root, "alice");
    let confirmed: string[] = [];
    async function* body(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("a\n"));
      await new Maildir(dir).ensure(); // the application provisions the mailbox meanwhile
      confirmed = (await readdir(dir)).sort();
      throw new Error("refused");
    }
    await expect(deliver(dir, body())).rejects.toThrow("refused");
    expect(confirmed).toEqual(["cur", "new", "tmp"]);
    expect(await tree(root)).toEqual(["alice", "alice/cur", "alice/new", "alice/tmp"]);
  });
});

describe("concurrent deliveries into one new maildir", () => {
  it("one body fails while the other is still streaming: the good message is in new/ and the maildir exists", async () => {
    const root = await tempDir();
    const dir = path.join(root, "example.org", "alice");
    const fs = freshFs();
    const badFinished = gate();
    const goodStarted = gate();
    async function* good(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("Subject: good\n\n"));
      goodStarted.open();
      // Hold the delivery open until the other has failed and resolved (its clean-up done).
      await badFinished.promise;
      yield bytes("body\n");
    }
    async function* bad(): AsyncIterable<Uint8Array> {
      await goodStarted.promise;
      yield bytes("Subject: bad\n\n");
      throw new Error("bare LF");
    }
    // The failing one starts first, so it is the one that creates the maildir.
    const badDelivery = deliver(dir, bad(), { fs }).finally(badFinished.open);
    const goodDelivery = deliver(dir, good(), { fs });
    await expect(badDelivery).rejects.toThrow("bare LF");
    const { files } = await goodDelivery;
    expect(await names(path.join(dir, "new"))).toEqual([files[0]!.name]);
    expect(await tree(root)).toEqual(["example.org", "example.org/alice", "example.org/alice/cur", "example.org/alice/new", `example.org/alice/new/${files[0]!.name}`, "example.org/alice/tmp"]);
  });

  it("the good one finishes first: the other's failure removes nothing", async () => {
    const root = await tempDir();
    const dir = path.join(root, "alice");
    const fs = freshFs();
    const goodFinished = gate();
    async function* bad(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("a\n"));
      await goodFinished.promise;
      throw new Error("refused");
    }
    const badDelivery = deliver(dir, bad(), { fs });
    const { files } = await deliver(dir, bytes("good\n"), { fs }).finally(goodFinished.open);
    await expect(badDelivery).rejects.toThrow("refused");
    expect(await tree(root)).toEqual(["alice", "alice/cur", "alice/new", `alice/new/${files[0]!.name}`, "alice/tmp"]);
  });

  it("both fail: nothing left, whichever fails last", async () => {
    const root = await tempDir();
    const fs = freshFs();
    const first = gate();
    async function* late(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("a\n"));
      await first.promise;
      throw new Error("late");
    }
    const a = deliver(path.join(root, "d", "u"), late(), { fs });
    await expect(deliver(path.join(root, "d", "u"), failingAfter(1), { fs }).finally(first.open)).rejects.toThrow();
    await expect(a).rejects.toThrow("late");
    expect(await tree(root)).toEqual([]);
  });

  for (const secondFails of [true, false]) {
    it(`two new maildirs in one new parent, the one that made the parent fails first: the parent is ${secondFails ? "removed by the other when it fails too" : "kept for the other, delivered"}`, async () => {
      const root = await tempDir();
      const fs = freshFs();
      // alice starts first (she makes d/), and fails while bob (also in d/) is still streaming.
      const bobStarted = gate();
      const aliceDone = gate();
      async function* aliceBody(): AsyncIterable<Uint8Array> {
        yield await Promise.resolve(bytes("a\n"));
        await bobStarted.promise;
        throw new Error("alice refused");
      }
      async function* bobBody(): AsyncIterable<Uint8Array> {
        yield await Promise.resolve(bytes("b\n"));
        bobStarted.open();
        await aliceDone.promise;
        if (secondFails) throw new Error("bob refused");
        yield bytes("end\n");
      }
      const alice = deliver(path.join(root, "d", "alice"), aliceBody(), { fs }).finally(aliceDone.open);
      const bob = deliver(path.join(root, "d", "bob"), bobBody(), { fs });
      await expect(alice).rejects.toThrow("alice refused");
      if (secondFails) {
        await expect(bob).rejects.toThrow("bob refused");
        expect(await tree(root)).toEqual([]);
      } else {
        const { files } = await bob;
        expect(await tree(root)).toEqual(["d", "d/bob", "d/bob/cur", "d/bob/new", `d/bob/new/${files[0]!.name}`, "d/bob/tmp"]);
      }
    });
  }

  it("a delivery that starts while a removal runs waits for it, then makes the maildir whole", async () => {
    const root = await tempDir();
    const dir = path.join(root, "d", "u");
    const log: string[] = [];
    let removing = false;
    let second: Promise<unknown> | undefined;
    const base = freshFs();
    const fs: MaildirFs = {
      ...base,
      async lstat(p) {
        if (removing) log.push(`lstat ${p}`);
        return nodeFs.lstat(p);
      },
      async rmdir(p) {
        if (!removing) {
          removing = true;
          // A new delivery into the same maildir arrives as the first rmdir is issued.
          second = deliver(dir, bytes("second\n"), { fs });
        }
        log.push(`rmdir ${p}`);
        await nodeFs.rmdir!(p);
      },
    };
    await expect(deliver(dir, failingAfter(1), { fs })).rejects.toThrow();
    const { files } = (await second) as { files: { name: string }[] };
    // Every rmdir (tmp, new, cur, the maildir, d/) came before the second delivery looked at anything.
    const firstLstat = log.findIndex((l) => l.startsWith("lstat "));
    expect(log.slice(0, firstLstat).filter((l) => l.startsWith("rmdir "))).toHaveLength(5);
    expect(log.slice(firstLstat).filter((l) => l.startsWith("rmdir "))).toEqual([]);
    expect(await tree(root)).toEqual(["d", "d/u", "d/u/cur", "d/u/new", `d/u/new/${files[0]!.name}`, "d/u/tmp"]);
  });

  it("100 concurrent deliveries into one new maildir, every other one refused: every good message kept", async () => {
    const root = await tempDir();
    const dir = path.join(root, "m");
    const fs = freshFs();
    const runs = Array.from({ length: 100 }, (_, i) => deliver(dir, i % 2 === 0 ? failingAfter(i % 5) : bytes(`ok ${String(i)}\n`), { fs }));
    const results = await Promise.allSettled(runs);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(50);
    expect(await names(path.join(dir, "new"))).toHaveLength(50);
    expect(await names(path.join(dir, "tmp"))).toEqual([]);
  });
});

describe("a half-removed maildir", () => {
  it("is made whole again by the next delivery, which checks it whole (the verified cache forgot it)", async () => {
    const root = await tempDir();
    const dir = path.join(root, "u");
    const log: string[] = [];
    // rmdir of cur/ fails: tmp/ and new/ are gone, cur/ and the maildir stay.
    const fs = freshFs(log, (p) => (p === path.join(dir, "cur") ? errno("EBUSY") : undefined));
    await expect(deliver(dir, failingAfter(1), { fs })).rejects.toThrow();
    expect(await tree(root)).toEqual(["u", "u/cur"]);
    log.length = 0;
    const { files } = await deliver(dir, bytes("b\n"), { fs });
    // Checked whole: the maildir itself and cur/ too, not only tmp/ and new/.
    expect(log).toContain(`lstat ${dir}`);
    expect(log).toContain(`lstat ${path.join(dir, "cur")}`);
    expect(await tree(root)).toEqual(["u", "u/cur", "u/new", `u/new/${files[0]!.name}`, "u/tmp"]);
  });

  it("a maildir with only new/ left is delivered into", async () => {
    const root = await tempDir();
    const dir = path.join(root, "u");
    await mkdir(path.join(dir, "new"), { recursive: true });
    const { files } = await deliver(dir, bytes("b\n"));
    expect(await names(path.join(dir, "new"))).toEqual([files[0]!.name]);
    expect(await names(dir)).toEqual(["cur", "new", "tmp"]);
  });
});

describe("maildirHandler: a refused message leaves no maildir", () => {
  const address = (raw: string): Exclude<Envelope["from"], null> => {
    const [localPart, domain] = raw.split("@") as [string, string];
    return {
      raw,
      localPart,
      localPartUnquoted: localPart,
      domain,
      asciiDomain: domain,
      isAddressLiteral: false,
      isUtf8: false,
      email: raw,
      hostname: domain,
    };
  };
  const recipient = (raw: string): Recipient => ({ address: address(raw), params: { raw: [] } });
  const envelope = (to: readonly string[]): Envelope => ({
    from: address("s@example.org"),
    mailParams: { raw: [] },
    recipients: to.map(recipient),
    bodyType: "7BIT",
    smtputf8: false,
  });
  const session: SessionInfo = {
    id: "cleanup-1",
    protocol: "smtp",
    remoteAddress: "127.0.0.1",
    remotePort: 40000,
    localAddress: "127.0.0.1",
    localPort: 25,
    heloName: "client.example",
    heloVerb: "EHLO",
  };

  for (const protocol of ["smtp", "lmtp"] as const) {
    it(`${protocol}: the body refused at its end (a bare LF) → the reply, and no directory under the root`, async () => {
      const root = await tempDir();
      // As the reference daemon routes: <root>/<domain>/<local-part>, any local part.
      const handler = maildirHandler({
        route: (r) => {
          const [localPart, domain] = r.address.raw.split("@") as [string, string];
          return path.join(root, domain, localPart);
        },
      });
      const ctx: HookContext = { session: { ...session, id: `cleanup-${protocol}`, protocol }, signal: new AbortController().signal };
      const to = ["a1@new.example", "a2@new.example"];
      for (const addr of to) expect(await handler.rcpt!(recipient(addr), envelope([]), ctx)).toBeUndefined();
      const refusal = new SmtpError(reply(550, "5.6.0", "Bare LF in DATA"));
      const message: IncomingMessage = { session: ctx.session, envelope: envelope(to), headers: [], body: failingAfter(3, refusal) };
      const result = await handler.data!(message, ctx);
      if (protocol === "smtp") expect(result).toMatchObject({ code: 550 });
      else expect(result).toMatchObject([{ code: 550 }, { code: 550 }]);
      expect(await tree(root)).toEqual([]);
    });
  }

  it("SMTP: one recipient's maildir fails, the other's new maildir is rolled back and removed", async () => {
    const root = await tempDir();
    await mkdir(path.join(root, "bad"));
    await symlink(root, path.join(root, "bad", "new"));
    const handler = maildirHandler({ route: (r) => path.join(root, r.address.raw.split("@")[0]!) });
    const ctx: HookContext = { session: { ...session, id: "cleanup-rollback" }, signal: new AbortController().signal };
    const to = ["good@x.example", "bad@x.example"];
    for (const addr of to) await handler.rcpt!(recipient(addr), envelope([]), ctx);
    const message: IncomingMessage = { session: ctx.session, envelope: envelope(to), headers: [], body: chunks("Subject: x\r\n\r\nhi\r\n") };
    expect(await handler.data!(message, ctx)).toMatchObject({ code: 451 });
    expect(await tree(root)).toEqual(["bad", "bad/new"]);
  });
});
