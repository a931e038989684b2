import path from "node:path";
import { type CreatedPath, forgetVerified, type MaildirTarget } from "./ensure.js";
import { errnoCode } from "./errors.js";
import type { MaildirFs } from "./fs-layer.js";

/**
 * Taking back the maildirs a failed delivery created (README, "Maildirs made for a refused
 * message"). Every delivery holds a lease on each maildir it delivers into (a folder's delivery
 * also on the folder's root) from before it checks the maildir until its outcome is final. The
 * names a delivery created are kept on the lease of the maildir they belong to (a new parent
 * directory on the lease of the top maildir below it). When the last holder lets go and no
 * message was kept in the maildir, what was created is removed again: children first, `rmdir`
 * only (never a recursive removal), and nothing another lease still uses.
 */

interface Lease {
  readonly path: string;
  /** For a Maildir++ folder, its root maildir (also leased while the folder is). */
  readonly root: string | undefined;
  users: number;
  /** Names created for this maildir and not removed since: path → is a file (the folder marker). */
  readonly created: Map<string, boolean>;
  /** A message was kept in it (or, for a root, in one of its folders): never remove anything. */
  kept: boolean;
}

/** A removal in progress: deliveries that would use one of its names wait for it to end. */
interface Removal {
  readonly paths: readonly string[];
  readonly done: Promise<void>;
}

interface Table {
  readonly leases: Map<string, Lease>;
  readonly removals: Set<Removal>;
}

/** Per file-system layer (as the verified-maildir cache and the group commits). */
const tables = new WeakMap<MaildirFs, Table>();

function tableOf(fs: MaildirFs): Table {
  let t = tables.get(fs);
  if (t === undefined) {
    t = { leases: new Map(), removals: new Set() };
    tables.set(fs, t);
  }
  return t;
}

/** `child` is strictly inside `dir`. */
function isUnder(child: string, dir: string): boolean {
  if (child.length <= dir.length || !child.startsWith(dir)) return false;
  return dir.endsWith(path.sep) || child[dir.length] === path.sep;
}

/** The names a delivery into `maildir` needs to keep existing. */
const USED_CHILDREN = new Set(["tmp", "new", "cur", "maildirfolder"]);

/** A delivery into `maildir` uses `p`: the maildir itself, its tmp/ new/ cur/ or marker, or a parent. */
function uses(maildir: string, p: string): boolean {
  if (p === maildir || isUnder(maildir, p)) return true;
  return path.dirname(p) === maildir && USED_CHILDREN.has(path.basename(p));
}

function targetUses(target: MaildirTarget, p: string): boolean {
  return uses(target.path, p) || (target.root !== undefined && uses(target.root, p));
}

function take(table: Table, dir: string, root: string | undefined): void {
  const lease = table.leases.get(dir);
  if (lease !== undefined) {
    lease.users += 1;
    return;
  }
  table.leases.set(dir, { path: dir, root, users: 1, created: new Map(), kept: false });
}

/**
 * Lease `target` (and a folder's root) for a delivery, before it checks or creates anything.
 * Waits first for a removal in progress of a name the delivery would use, so that it never
 * checks a directory that is being removed under it.
 */
export async function acquire(fs: MaildirFs, target: MaildirTarget): Promise<void> {
  const table = tableOf(fs);
  for (;;) {
    let blocking: Removal | undefined;
    if (table.removals.size > 0) {
      for (const r of table.removals) {
        if (r.paths.some((p) => targetUses(target, p))) {
          blocking = r;
          break;
        }
      }
    }
    if (blocking === undefined) break;
    await blocking.done;
  }
  // No await between the last check and here: the lease is taken in the same turn.
  take(table, target.path, target.root);
  if (target.root !== undefined) take(table, target.root, undefined);
}

/** Keep what a leased delivery's check of `target` created, on the lease it belongs to. */
export function record(fs: MaildirFs, target: MaildirTarget, created: readonly CreatedPath[]): void {
  if (created.length === 0) return;
  const table = tableOf(fs);
  const top = target.root ?? target.path;
  for (const c of created) {
    const own = target.root !== undefined && (c.path === target.path || isUnder(c.path, target.path));
    table.leases.get(own ? target.path : top)?.created.set(c.path, c.file);
  }
}

/** A message is kept in the maildir `dir` (and so in its root, for a folder): nothing of it is removed. */
export function markKept(fs: MaildirFs, dir: string): void {
  const table = tableOf(fs);
  const lease = table.leases.get(dir);
  if (lease === undefined) return;
  lease.kept = true;
  if (lease.root !== undefined) {
    const root = table.leases.get(lease.root);
    if (root !== undefined) root.kept = true;
  }
}

/**
 * Let go of `target`'s lease (and its root's); resolves once whatever the last holder had to
 * remove is removed (the folder before its root).
 */
export async function release(fs: MaildirFs, target: MaildirTarget): Promise<void> {
  const table = tableOf(fs);
  await drop(fs, table, target.path);
  if (target.root !== undefined) await drop(fs, table, target.root);
}

async function drop(fs: MaildirFs, table: Table, dir: string): Promise<void> {
  const lease = table.leases.get(dir);
  if (lease === undefined) return;
  lease.users -= 1;
  if (lease.users > 0) return;
  table.leases.delete(dir);
  if (lease.kept || lease.created.size === 0) return;
  // Names another delivery still uses are handed over to its lease (a parent directory made by
  // this delivery that another new maildir now sits in): its last holder decides.
  const remove: CreatedPath[] = [];
  for (const [p, file] of lease.created) {
    let holder: Lease | undefined;
    for (const other of table.leases.values()) {
      if (uses(other.path, p)) {
        holder = other;
        break;
      }
    }
    if (holder === undefined) remove.push({ path: p, file });
    else holder.created.set(p, file);
  }
  if (remove.length === 0 || fs.rmdir === undefined) return;
  // Children before their parents: a longer path is never a parent of a shorter one. The folder
  // marker goes after its siblings (just before its folder), so a removal stopped by another
  // process's file in `tmp/` or `new/` never leaves a folder without its marker.
  remove.sort((a, b) => removalRank(b) - removalRank(a));
  forgetVerified(fs, dir);
  // Registered before the first rmdir is issued: a delivery that starts from here on waits.
  let finished!: () => void;
  const removal: Removal = { paths: remove.map((c) => c.path), done: new Promise<void>((resolve) => (finished = resolve)) };
  table.removals.add(removal);
  try {
    await removeAll(fs, dir, remove);
  } finally {
    table.removals.delete(removal);
    finished();
  }
}

/**
 * Where a created name comes in the removal order (higher first): its length for a directory, for
 * a file (the folder marker) just above its parent directory's, below every sibling directory.
 */
function removalRank(c: CreatedPath): number {
  return c.file ? path.dirname(c.path).length + 0.5 : c.path.length;
}

/** The names in `dir` ([] when it is gone), or undefined when it cannot be read. */
async function entries(fs: MaildirFs, dir: string): Promise<string[] | undefined> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    return errnoCode(err) === "ENOENT" ? [] : undefined;
  }
}

/**
 * Remove `names` in order (files unlinked, directories rmdir'ed), stopping at the first that
 * will not go (ENOTEMPTY: another process's file): what is left is a maildir or its parents,
 * never a parent without its child. Never rejects.
 */
async function removeAll(fs: MaildirFs, dir: string, names: readonly CreatedPath[]): Promise<void> {
  const rmdir = fs.rmdir!.bind(fs);
  // Another process may have delivered into it (or made a folder in it) meanwhile: then leave it
  // whole rather than take tmp/ away from a maildir with mail in it. The rmdirs would refuse the
  // non-empty directories anyway; this check keeps their empty siblings.
  if (names.some((c) => c.path === dir)) {
    const inside = await entries(fs, dir);
    if (inside === undefined || inside.some((n) => !USED_CHILDREN.has(n))) return;
  }
  for (const sub of ["new", "cur"]) {
    const p = path.join(dir, sub);
    if (names.some((c) => c.path === p) && (await entries(fs, p))?.length !== 0) return;
  }
  for (const c of names) {
    try {
      await (c.file ? fs.unlink(c.path) : rmdir(c.path));
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") return;
    }
  }
}
