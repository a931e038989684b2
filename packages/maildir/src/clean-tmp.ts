import path from "node:path";
import { errnoCode } from "./errors.js";
import { type MaildirFs, nodeFs } from "./fs-layer.js";

/** Options of {@link cleanTmp}. */
export interface CleanTmpOptions {
  /**
   * Remove files untouched (access, modification and status change) for this long. Default 36
   * hours: the Maildir spec's figure, long past any delivery still writing its file.
   */
  readonly maxAgeMs?: number;
  /** The current time, in ms since the epoch. Default `Date.now()`. */
  readonly nowMs?: number;
  /** The file-system layer. Default {@link nodeFs}. */
  readonly fs?: MaildirFs | undefined;
}

/** The spec's 36 hours. */
export const DEFAULT_TMP_MAX_AGE_MS = 36 * 60 * 60 * 1000;

/**
 * Remove the leftovers of interrupted deliveries from `<dir>/tmp/`: every entry that is not a
 * directory and whose newest timestamp (atime, mtime, ctime) is older than `maxAgeMs`. Symlinks
 * are removed as links, never followed. Resolves to the number of entries removed; a missing
 * `tmp/` counts as empty.
 */
export async function cleanTmp(dir: string, options: CleanTmpOptions = {}): Promise<number> {
  const fs = options.fs ?? nodeFs;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_TMP_MAX_AGE_MS;
  const nowMs = options.nowMs ?? Date.now();
  const tmp = path.join(dir, "tmp");
  const tmpStat = await fs.lstat(tmp).catch((err: unknown) => {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  });
  if (tmpStat === undefined || !tmpStat.isDirectory()) return 0;
  let removed = 0;
  for (const name of await fs.readdir(tmp)) {
    const file = path.join(tmp, name);
    try {
      const st = await fs.lstat(file);
      if (st.isDirectory()) continue;
      const touchedMs = Math.max(st.atimeMs, st.mtimeMs, st.ctimeMs);
      if (nowMs - touchedMs < maxAgeMs) continue;
      await fs.unlink(file);
      removed += 1;
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") throw err; // gone meanwhile: someone else cleaned it
    }
  }
  return removed;
}
