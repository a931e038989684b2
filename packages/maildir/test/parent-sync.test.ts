import path from "node:path";
import { describe, expect, it } from "vitest";
import { deliver, type MaildirFs, nodeFs } from "../src/index.js";
import { bytes, names, tempDir } from "./helpers.js";

async function* chunks(text: string): AsyncIterable<Uint8Array> {
  yield await Promise.resolve(bytes(text));
}

/** Let `turns` event-loop turns pass (a bounded count of macrotasks, never a timer). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe("a maildir another delivery has just made", () => {
  it("is trusted only once the fsync that makes its name durable has ended", async () => {
    const root = await tempDir();
    const dir = path.join(root, "alice");
    const log: string[] = [];
    let parked!: () => void;
    const aParked = new Promise<void>((resolve) => (parked = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let bStarted = false;
    let releasing = false;
    const fs: MaildirFs = {
      ...nodeFs,
      async lstat(p) {
        log.push(`lstat ${path.relative(root, p)}`);
        const st = await nodeFs.lstat(p);
        // B has seen alice/ (made by A, whose fsync of the root is held). Whatever B does next
        // without waiting happens within microtasks; the fsync is released 50 turns later.
        if (bStarted && p === dir && !releasing) {
          releasing = true;
          void turns(50).then(release);
        }
        return st;
      },
      async syncDir(p) {
        if (p === root) {
          parked();
          await gate;
          await nodeFs.syncDir(p);
          log.push("root synced");
          return;
        }
        await nodeFs.syncDir(p);
      },
    };
    const a = deliver(dir, chunks("Subject: a\r\n\r\na\r\n"), { fs });
    await aParked; // A made alice/ and waits for the fsync of the root
    bStarted = true;
    const b = deliver(dir, chunks("Subject: b\r\n\r\nb\r\n"), { fs });
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra.files).toHaveLength(1);
    expect(rb.files).toHaveLength(1);
    expect(await names(path.join(dir, "new"))).toHaveLength(2);
    // Nothing inside alice/ was looked at (so nothing written there) before its name was durable.
    const firstInside = log.findIndex((l) => l.startsWith(`lstat alice${path.sep}`));
    expect(log.indexOf("root synced")).toBeGreaterThanOrEqual(0);
    expect(firstInside).toBeGreaterThan(log.indexOf("root synced"));
  });
});
