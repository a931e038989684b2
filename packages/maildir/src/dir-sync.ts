import type { MaildirFs } from "./fs-layer.js";

interface Batch {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function batch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Group commit for one directory: one fsync covers every name created in the directory before
 * it started. A caller that asks while an fsync runs joins the next batch (its name may have
 * been created after the running fsync began), which starts as soon as the running one ends.
 */
class DirSyncer {
  private running = false;
  private next: Batch | undefined;

  constructor(
    private readonly fs: MaildirFs,
    private readonly dir: string,
    private readonly onIdle: () => void,
  ) {}

  sync(): Promise<void> {
    this.next ??= batch();
    const waiting = this.next.promise;
    if (!this.running) this.run();
    return waiting;
  }

  private run(): void {
    const current = this.next;
    if (current === undefined) {
      this.onIdle();
      return;
    }
    this.next = undefined;
    this.running = true;
    this.fs.syncDir(this.dir).then(
      () => current.resolve(),
      (err: unknown) => current.reject(err),
    ).finally(() => {
      this.running = false;
      this.run();
    });
  }
}

const syncers = new WeakMap<MaildirFs, Map<string, DirSyncer>>();

/** fsync `dir` through `fs`, sharing the fsync with concurrent callers for the same directory. */
export function groupSyncDir(fs: MaildirFs, dir: string): Promise<void> {
  let byDir = syncers.get(fs);
  if (byDir === undefined) {
    byDir = new Map();
    syncers.set(fs, byDir);
  }
  let syncer = byDir.get(dir);
  if (syncer === undefined) {
    const map = byDir;
    syncer = new DirSyncer(fs, dir, () => map.delete(dir));
    byDir.set(dir, syncer);
  }
  return syncer.sync();
}
