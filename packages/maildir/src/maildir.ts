import path from "node:path";
import { cleanTmp, type CleanTmpOptions } from "./clean-tmp.js";
import { deliverAll, resolveSettings } from "./engine.js";
import { ensureMaildir } from "./ensure.js";
import { acquire, markKept, release } from "./leases.js";
import type { DeliveryResult } from "./delivery-result.js";
import { MaildirError, MaildirErrorCode } from "./errors.js";
import type { DeliverOptions, WriteOptions } from "./options.js";

/** Validate a Maildir++ folder name (`Archive`, `Archive.2024`) and return its directory name (`.Archive`). */
export function folderDirName(name: string): string {
  const bad =
    name.length === 0 ||
    name.startsWith(".") ||
    name.endsWith(".") ||
    name.includes("..") ||
    name.includes("/") ||
    name.includes("\0");
  if (bad) throw new MaildirError(MaildirErrorCode.BadFolderName, `not a Maildir++ folder name: ${JSON.stringify(name)}`, name);
  return `.${name}`;
}

/**
 * One maildir (or a Maildir++ folder of one). `tmp/`, `new/` and `cur/` are created on demand
 * with mode 0700.
 */
export class Maildir {
  /** The maildir's directory (for a folder, `<root>/.<Folder>`). */
  readonly path: string;
  /** For a Maildir++ folder, the maildir it belongs to; undefined for a top-level maildir. */
  readonly root: string | undefined;
  /** The options every delivery into this maildir uses. */
  readonly options: WriteOptions;

  /**
   * @param dir the maildir's directory. It may itself be a symbolic link (an administrator's
   *   choice); nothing inside it is ever followed.
   */
  constructor(dir: string, options: WriteOptions = {}, /** Set by {@link folder}; leave it out. */ root?: string) {
    this.path = path.resolve(dir);
    this.root = root === undefined ? undefined : path.resolve(root);
    this.options = options;
  }

  /** The Maildir++ folder `name` of this maildir (folders of a folder are named `Parent.Child`). */
  folder(name: string): Maildir {
    const base = this.root ?? this.path;
    const full = this.root === undefined ? name : `${path.basename(this.path).slice(1)}.${name}`;
    return new Maildir(path.join(base, folderDirName(full)), this.options, base);
  }

  /**
   * Create the maildir (and, for a folder, its root) if missing; refuse planted symlinks. What
   * ensure() confirms stays: it is marked kept, so a refused delivery running at the same time in
   * this process does not take back the directories it made.
   */
  async ensure(): Promise<void> {
    const settings = resolveSettings(this.options);
    await acquire(settings.fs, this);
    try {
      await ensureMaildir(this, settings);
      markKept(settings.fs, this.path);
    } finally {
      await release(settings.fs, this);
    }
  }

  /** Deliver one message; resolves once it is durable in `new/`. See `deliver()`. */
  async deliver(
    body: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array,
    options: Omit<DeliverOptions, keyof WriteOptions | "folder"> = {},
  ): Promise<DeliveryResult> {
    return deliverAll([this], body, { ...this.options, ...options });
  }

  /** Remove files in `tmp/` untouched for `maxAgeMs` (default 36 hours). Resolves to the count removed. */
  cleanTmp(options: CleanTmpOptions = {}): Promise<number> {
    return cleanTmp(this.path, { fs: this.options.fs, ...options });
  }
}
