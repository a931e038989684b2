import path from "node:path";
import type { DeliveredFile, DeliveryOutcome, DeliveryResult } from "./delivery-result.js";
import { type CreatedPath, type MaildirTarget, prepareMaildir } from "./ensure.js";
import { acquire, markKept, record, release } from "./leases.js";
import { errnoCode, MaildirError, MaildirErrorCode } from "./errors.js";
import { CREATE_FLAGS, type MaildirFile, type MaildirFs, nodeFs, READ_FLAGS } from "./fs-layer.js";
import { CrlfToLf, type LineEnding } from "./line-endings.js";
import type { DeliverOptions, WriteOptions } from "./options.js";
import { traceHeaderBlock } from "./trace-headers.js";
import { publishOutcomes } from "./diagnostics.js";
import { defaultHostname, encodeHostname, uniqueName } from "./unique-name.js";

/** A message body: a pull stream of chunks, chunks, or the whole message. */
export type MessageBody = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;

/** {@link WriteOptions} with every default applied. */
export interface Settings {
  readonly fs: MaildirFs;
  readonly fsync: boolean;
  readonly host: string;
  readonly lineEnding: LineEnding;
}

export function resolveSettings(options: WriteOptions): Settings {
  return {
    fs: options.fs ?? nodeFs,
    fsync: options.fsync ?? true,
    host: encodeHostname(options.hostname ?? defaultHostname()),
    lineEnding: options.lineEnding ?? "lf",
  };
}

/** One file to write: a header block before the body, hard-linked into every target. */
export interface CopyRequest {
  readonly headers: Uint8Array;
  /** Distinct maildirs. */
  readonly targets: readonly MaildirTarget[];
}

/** Write buffer: the body arrives in chunks of any size; the disk gets 64 KiB writes. */
const WRITE_BUFFER_BYTES = 64 * 1024;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) {
    throw new MaildirError(MaildirErrorCode.Aborted, "delivery aborted", "", { cause: signal.reason });
  }
}

async function* chunksOf(body: MessageBody): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) yield body;
  else yield* body;
}

/** Coalesces small chunks into {@link WRITE_BUFFER_BYTES} writes. */
class BufferedWriter {
  private readonly buffer = new Uint8Array(WRITE_BUFFER_BYTES);
  private used = 0;
  bytes = 0;

  constructor(private readonly file: MaildirFile) {}

  async write(data: Uint8Array): Promise<void> {
    this.bytes += data.byteLength;
    if (this.used + data.byteLength > this.buffer.byteLength) {
      await this.flush();
      if (data.byteLength >= this.buffer.byteLength) {
        await this.file.write(data);
        return;
      }
    }
    this.buffer.set(data, this.used);
    this.used += data.byteLength;
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const data = this.buffer.slice(0, this.used);
    this.used = 0;
    await this.file.write(data);
  }
}

/**
 * Create `tmpPath` (O_EXCL, O_NOFOLLOW, mode 0600), fill it, fsync and close it. On any failure
 * the file is closed and removed before the error is passed on. Resolves to the bytes written.
 */
async function writeTmpFile(
  s: Settings,
  tmpPath: string,
  fill: (out: BufferedWriter) => Promise<void>,
): Promise<number> {
  const file = await s.fs.open(tmpPath, CREATE_FLAGS, 0o600);
  let open = true;
  try {
    const out = new BufferedWriter(file);
    await fill(out);
    await out.flush();
    if (s.fsync) await file.sync();
    open = false;
    await file.close();
    return out.bytes;
  } catch (err) {
    if (open) await file.close().catch(() => undefined);
    await s.fs.unlink(tmpPath).catch(() => undefined);
    throw err;
  }
}

/** Copy `source` from `offset` to its end into `out`. */
async function copyFile(s: Settings, source: string, offset: number, out: BufferedWriter, signal: AbortSignal | undefined): Promise<void> {
  const file = await s.fs.open(source, READ_FLAGS, 0);
  try {
    const chunk = new Uint8Array(WRITE_BUFFER_BYTES);
    for (let position = offset; ; ) {
      throwIfAborted(signal);
      const n = await file.read(chunk, position);
      if (n === 0) break;
      await out.write(chunk.subarray(0, n));
      position += n;
    }
  } finally {
    await file.close();
  }
}

/** The written body, kept in its tmp file until the end so that later copies read it back. */
interface Source {
  readonly path: string;
  /** Where the body starts (after that copy's header block). */
  readonly bodyOffset: number;
}

/**
 * The delivery engine. Every copy is one file written once into the `tmp/` of its first usable
 * target, then hard-linked into the `new/` of each target (copied through that maildir's `tmp/`
 * when it is on another file system: EXDEV). The body is read once: the first file streams it,
 * the others copy it back from the first. Each `new/` is fsynced before a target counts as
 * delivered, and every tmp name is unlinked before this resolves.
 *
 * `keep(outcomes)` decides whether the copies committed stay (default: yes); when it says no,
 * they are all taken back out of `new/` before this resolves (all or nothing). Directories this
 * delivery created in a maildir that then kept no message are removed again before it resolves
 * (`leases.ts`). Resolves to one outcome per target, per copy; never rejects.
 */
export async function deliverCopies(
  body: MessageBody,
  copies: readonly CopyRequest[],
  s: Settings,
  signal: AbortSignal | undefined,
  keep?: (outcomes: readonly (readonly DeliveryOutcome[])[]) => boolean,
): Promise<DeliveryOutcome[][]> {
  const startedMs = performance.now();
  const outcomes: DeliveryOutcome[][] = copies.map(() => []);
  const tmpNames: string[] = [];
  let source: Source | undefined;
  let bodyError: unknown;
  let bodyUsed = false;
  const ensured = new Map<string, Promise<void>>();
  /** The maildirs leased, to let go of at the end (after any roll-back). */
  const held: MaildirTarget[] = [];
  const leaseAndPrepare = async (t: MaildirTarget): Promise<void> => {
    await acquire(s.fs, t);
    held.push(t);
    const created: CreatedPath[] = [];
    try {
      await prepareMaildir(t, s, created);
    } finally {
      record(s.fs, t, created);
    }
  };
  const ensure = (t: MaildirTarget): Promise<void> => {
    let p = ensured.get(t.path);
    if (p === undefined) {
      p = leaseAndPrepare(t);
      ensured.set(t.path, p);
    }
    return p;
  };

  try {
    for (const [i, copy] of copies.entries()) {
      const results = outcomes[i]!;
      const fail = (t: MaildirTarget, error: unknown): void => {
        results.push({ ok: false, maildir: t.path, error });
      };
      // 1. directories
      const ready = await Promise.allSettled(copy.targets.map((t) => ensure(t)));
      const usable: MaildirTarget[] = [];
      const failedAt = new Map<MaildirTarget, unknown>();
      copy.targets.forEach((t, k) => {
        const r = ready[k]!;
        if (r.status === "fulfilled") usable.push(t);
        else failedAt.set(t, r.reason);
      });
      const writer = usable[0];
      if (bodyError !== undefined || writer === undefined) {
        for (const t of copy.targets) fail(t, failedAt.get(t) ?? bodyError);
        continue;
      }
      // 2. the file, in the writer's tmp/
      const name = uniqueName(s.host);
      const tmpPath = path.join(writer.path, "tmp", name);
      let size: number;
      try {
        const from = source;
        size = await writeTmpFile(s, tmpPath, async (out) => {
          await out.write(copy.headers);
          if (from !== undefined) {
            await copyFile(s, from.path, from.bodyOffset, out, signal);
            return;
          }
          bodyUsed = true;
          const crlf = s.lineEnding === "lf" ? new CrlfToLf() : undefined;
          for await (const chunk of chunksOf(body)) {
            throwIfAborted(signal);
            await out.write(crlf === undefined ? chunk : crlf.push(chunk));
          }
          if (crlf !== undefined) await out.write(crlf.end());
        });
      } catch (err) {
        if (source === undefined && bodyUsed) bodyError = err;
        for (const t of copy.targets) fail(t, failedAt.get(t) ?? err);
        continue;
      }
      tmpNames.push(tmpPath);
      source ??= { path: tmpPath, bodyOffset: copy.headers.byteLength };
      // 3. link into each new/, then make each new/ durable
      const committed: { target: MaildirTarget; file: DeliveredFile }[] = [];
      const perTarget = new Map<MaildirTarget, DeliveryOutcome>();
      for (const t of copy.targets) {
        const failure = failedAt.get(t);
        if (failure !== undefined) {
          perTarget.set(t, { ok: false, maildir: t.path, error: failure });
          continue;
        }
        try {
          throwIfAborted(signal);
          const file = await linkInto(s, t, t === writer ? name : uniqueName(s.host), tmpPath, size, t !== writer, tmpNames, signal);
          committed.push({ target: t, file });
        } catch (err) {
          perTarget.set(t, { ok: false, maildir: t.path, error: err });
        }
      }
      const synced = await Promise.allSettled(
        committed.map(({ target }) => (s.fsync ? syncNew(s, target) : Promise.resolve())),
      );
      for (const [k, { target, file }] of committed.entries()) {
        const r = synced[k]!;
        if (r.status === "fulfilled") {
          perTarget.set(target, { ok: true, file });
        } else {
          // Not durable: take the name back, so that the client's retry makes no duplicate.
          await s.fs.unlink(file.path).catch(() => undefined);
          perTarget.set(target, { ok: false, maildir: target.path, error: r.reason });
        }
      }
      for (const t of copy.targets) results.push(perTarget.get(t)!);
    }
    const committed = outcomes.flat().flatMap((o) => (o.ok ? [o.file] : []));
    const kept = keep === undefined || keep(outcomes);
    if (kept) for (const f of committed) markKept(s.fs, f.maildir);
    else await rollBack(s, committed);
    publishOutcomes(outcomes, startedMs, !kept);
  } finally {
    for (const tmp of tmpNames) await s.fs.unlink(tmp).catch(() => undefined);
    for (const t of held) await release(s.fs, t);
  }
  return outcomes;
}

/** One directory's group commit: the fsync running, and the one that will start after it. */
interface DirSync {
  running: boolean;
  next: { readonly promise: Promise<void>; readonly resolve: () => void; readonly reject: (err: unknown) => void } | undefined;
}

/** Per file-system layer and directory: the group commits in progress. */
const dirSyncs = new WeakMap<MaildirFs, Map<string, DirSync>>();

/**
 * fsync `dir` on behalf of a caller whose change to it (a link) has completed: resolves once an
 * fsync of `dir` that began after this call has ended, rejects with its error if it failed.
 * Group commit: one fsync at a time per directory; callers that arrive while one runs share the
 * next one, which starts as soon as the running one ends.
 */
export function syncDirAfter(fs: MaildirFs, dir: string): Promise<void> {
  let byDir = dirSyncs.get(fs);
  if (byDir === undefined) {
    byDir = new Map();
    dirSyncs.set(fs, byDir);
  }
  let st = byDir.get(dir);
  if (st === undefined) {
    st = { running: false, next: undefined };
    byDir.set(dir, st);
  }
  // A next fsync that has not begun yet begins after this call: join it.
  if (st.next !== undefined) return st.next.promise;
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  st.next = { promise, resolve, reject };
  if (!st.running) startDirSync(fs, byDir, dir, st);
  return promise;
}

function startDirSync(fs: MaildirFs, byDir: Map<string, DirSync>, dir: string, st: DirSync): void {
  const batch = st.next!;
  st.next = undefined;
  st.running = true;
  const done = (): void => {
    st.running = false;
    if (st.next !== undefined) startDirSync(fs, byDir, dir, st);
    else byDir.delete(dir);
  };
  // An fs layer that throws instead of rejecting still fails only this batch.
  const syncing = (async () => fs.syncDir(dir))();
  void syncing.then(
    () => {
      done();
      batch.resolve();
    },
    (err: unknown) => {
      done();
      batch.reject(err);
    },
  );
}

/** fsync the target's new/ after a link into it (shared with concurrent deliveries: {@link syncDirAfter}). */
function syncNew(s: Settings, target: MaildirTarget): Promise<void> {
  return syncDirAfter(s.fs, path.join(target.path, "new"));
}

/**
 * link(2) the finished file into `t`'s new/ (link, not rename: an existing name is never
 * replaced). Across file systems (EXDEV) the file is copied into `t`'s own tmp/ first.
 */
async function linkInto(
  s: Settings,
  t: MaildirTarget,
  name: string,
  tmpPath: string,
  size: number,
  linked: boolean,
  tmpNames: string[],
  signal: AbortSignal | undefined,
): Promise<DeliveredFile> {
  const newPath = path.join(t.path, "new", name);
  try {
    await s.fs.link(tmpPath, newPath);
    return { maildir: t.path, path: newPath, name, bytes: size, linked };
  } catch (err) {
    if (errnoCode(err) !== "EXDEV") throw err;
  }
  const ownTmp = path.join(t.path, "tmp", name);
  await writeTmpFile(s, ownTmp, (out) => copyFile(s, tmpPath, 0, out, signal));
  tmpNames.push(ownTmp);
  throwIfAborted(signal);
  await s.fs.link(ownTmp, newPath);
  return { maildir: t.path, path: newPath, name, bytes: size, linked: false };
}

/** Targets from maildir paths or {@link MaildirTarget}s, without duplicates, in order. */
export function distinctTargets(targets: readonly MaildirTarget[]): MaildirTarget[] {
  const seen = new Map<string, MaildirTarget>();
  for (const t of targets) if (!seen.has(t.path)) seen.set(t.path, t);
  return [...seen.values()];
}

/** Take back files already committed (an all-or-nothing delivery failed elsewhere). */
export async function rollBack(s: Settings, files: readonly DeliveredFile[]): Promise<void> {
  for (const f of files) await s.fs.unlink(f.path).catch(() => undefined);
}

/**
 * Deliver one message to every target, all or nothing: when any target fails, the copies already
 * committed are removed again and the first error is thrown (an errno error as the file system
 * gave it, or a {@link MaildirError}); `replyForError()` turns it into an SMTP reply.
 */
export async function deliverAll(
  targets: readonly MaildirTarget[],
  body: MessageBody,
  options: DeliverOptions,
): Promise<DeliveryResult> {
  const s = resolveSettings(options);
  const headers = traceHeaderBlock({ returnPath: options.returnPath, deliveredTo: options.deliveredTo }, s.lineEnding);
  const allOk = (all: readonly (readonly DeliveryOutcome[])[]): boolean => all.every((c) => c.every((o) => o.ok));
  // Rolled back inside, before the directories made for it are let go of.
  const [outcomes = []] = await deliverCopies(body, [{ headers, targets: distinctTargets(targets) }], s, options.signal, allOk);
  const files: DeliveredFile[] = [];
  for (const o of outcomes) {
    if (!o.ok) throw o.error;
    files.push(o.file);
  }
  return { files };
}
