import path from "node:path";
import { errnoCode, MaildirError, MaildirErrorCode } from "./errors.js";
import { CREATE_FLAGS, type MaildirFs, type MaildirStats } from "./fs-layer.js";

/** A maildir to deliver into: its directory and, for a Maildir++ folder, the maildir it belongs to. */
export interface MaildirTarget {
  readonly path: string;
  readonly root: string | undefined;
}

interface EnsureSettings {
  readonly fs: MaildirFs;
  readonly fsync: boolean;
}

/** A name an ensure created: a directory, or the `maildirfolder` marker file. */
export interface CreatedPath {
  readonly path: string;
  readonly file: boolean;
}

/** Where an ensure records what it created, in order (parents before children); undefined: not recorded. */
type Recorder = CreatedPath[] | undefined;

/** The subdirectories of a maildir (cr.yp.to/proto/maildir.html). */
const SUBDIRS = ["tmp", "new", "cur"] as const;
/** Directories are private to the mailbox owner (the spec's 0700). */
const DIR_MODE = 0o700;

async function lstatOrUndefined(fs: MaildirFs, p: string): Promise<MaildirStats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Per file-system layer: directories made by a delivery whose parent's fsync has not ended yet.
 * Another delivery that finds such a directory already there waits for that fsync before it
 * trusts the name, so that it never acknowledges a message in a maildir whose own name could
 * still be lost in a crash. (Another process's fresh directory cannot be known; it is trusted.)
 */
const unsynced = new WeakMap<MaildirFs, Map<string, Promise<void>>>();

/** The fsync that will make `dir`'s name durable, while one runs (no await on the common path). */
function pendingSync(fs: MaildirFs, dir: string): Promise<void> | undefined {
  return unsynced.get(fs)?.get(dir);
}

/** mkdir, and fsync the parent so that the new name survives a crash. False when it already existed. */
async function makeDir(s: EnsureSettings, dir: string, created: Recorder): Promise<boolean> {
  try {
    await s.fs.mkdir(dir, DIR_MODE);
  } catch (err) {
    if (errnoCode(err) === "EEXIST") return false;
    throw err;
  }
  created?.push({ path: dir, file: false });
  if (s.fsync) {
    let pending = unsynced.get(s.fs);
    if (pending === undefined) {
      pending = new Map();
      unsynced.set(s.fs, pending);
    }
    const sync = s.fs.syncDir(path.dirname(dir));
    pending.set(dir, sync);
    try {
      await sync;
    } finally {
      if (pending.get(dir) === sync) pending.delete(dir);
    }
  }
  return true;
}

/** The ancestors of a maildir are the administrator's: symlinks among them are followed. */
async function ensureAncestor(s: EnsureSettings, dir: string, created: Recorder): Promise<void> {
  let st: MaildirStats;
  try {
    st = await s.fs.stat(dir);
  } catch (err) {
    if (errnoCode(err) !== "ENOENT") throw err;
    const parent = path.dirname(dir);
    if (parent !== dir) await ensureAncestor(s, parent, created);
    if (await makeDir(s, dir, created)) return;
    st = await s.fs.stat(dir);
  }
  if (!st.isDirectory()) throw new MaildirError(MaildirErrorCode.NotDirectory, `not a directory: ${dir}`, dir);
  const sync = pendingSync(s.fs, dir);
  if (sync !== undefined) await sync;
}

/**
 * Make sure `dir` is a real directory, creating it if missing. `linkAllowed` only for the
 * maildir's own path; any symlink inside a maildir is refused, never followed.
 */
async function ensureDir(s: EnsureSettings, dir: string, linkAllowed: boolean, created: Recorder): Promise<void> {
  let st = await lstatOrUndefined(s.fs, dir);
  if (st === undefined) {
    if (linkAllowed) await ensureAncestor(s, path.dirname(dir), created);
    if (await makeDir(s, dir, created)) return;
    st = await s.fs.lstat(dir);
  }
  if (st.isSymbolicLink()) {
    if (!linkAllowed) throw new MaildirError(MaildirErrorCode.Symlink, `refusing a symbolic link inside a maildir: ${dir}`, dir);
    st = await s.fs.stat(dir);
  }
  if (!st.isDirectory()) throw new MaildirError(MaildirErrorCode.NotDirectory, `not a directory: ${dir}`, dir);
  const sync = pendingSync(s.fs, dir);
  if (sync !== undefined) await sync;
}

/** Create the Maildir++ `maildirfolder` marker file (Courier, Dovecot) if missing. */
async function ensureFolderMarker(s: EnsureSettings, dir: string, created: Recorder): Promise<void> {
  const marker = path.join(dir, "maildirfolder");
  try {
    const file = await s.fs.open(marker, CREATE_FLAGS, 0o600);
    created?.push({ path: marker, file: true });
    await file.close();
  } catch (err) {
    if (errnoCode(err) !== "EEXIST") throw err;
  }
}

/**
 * Create `tmp/`, `new/` and `cur/` (mode 0700) where missing, for a folder also its root maildir
 * and its `maildirfolder` marker; throw a {@link MaildirError} on a planted symlink or a file
 * where a directory belongs.
 */
export async function ensureMaildir(target: MaildirTarget, s: EnsureSettings, created?: CreatedPath[]): Promise<void> {
  if (target.root !== undefined) await ensureMaildir({ path: target.root, root: undefined }, s, created);
  await ensureDir(s, target.path, target.root === undefined, created);
  for (const sub of SUBDIRS) await ensureDir(s, path.join(target.path, sub), false, created);
  if (target.root !== undefined) await ensureFolderMarker(s, target.path, created);
}

/** How many verified maildirs are remembered per file-system layer (oldest forgotten first). */
const VERIFIED_MAX = 4096;
/** Per file-system layer: the maildirs whose whole layout {@link ensureMaildir} has checked. */
const verified = new WeakMap<MaildirFs, Set<string>>();

/**
 * {@link ensureMaildir} for a delivery, remembering a maildir once its whole layout was checked.
 * Once remembered, a delivery checks only what it writes through: `tmp/` and `new/` are each
 * lstat'ed again (a symlink planted since is refused, a missing one created), while the maildir's
 * own path, `cur/`, a folder's root and marker are not checked again. When that check fails in
 * any way, the maildir is forgotten and the full check runs (and decides).
 */
export async function prepareMaildir(target: MaildirTarget, s: EnsureSettings, created?: CreatedPath[]): Promise<void> {
  let known = verified.get(s.fs);
  if (known?.has(target.path) === true) {
    try {
      await Promise.all([
        ensureDir(s, path.join(target.path, "tmp"), false, created),
        ensureDir(s, path.join(target.path, "new"), false, created),
      ]);
      return;
    } catch {
      known.delete(target.path);
    }
  }
  await ensureMaildir(target, s, created);
  if (known === undefined) {
    known = new Set();
    verified.set(s.fs, known);
  }
  if (known.size >= VERIFIED_MAX) {
    const oldest = known.values().next();
    if (oldest.done !== true) known.delete(oldest.value);
  }
  known.add(target.path);
}

/** Forget a maildir (removed again): the next delivery into it checks and makes it whole. */
export function forgetVerified(fs: MaildirFs, dir: string): void {
  verified.get(fs)?.delete(dir);
}
