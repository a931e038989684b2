import { constants } from "node:fs";
import { type FileHandle, link, lstat, mkdir, open, readdir, rmdir, stat, unlink } from "node:fs/promises";

/** What {@link MaildirFs.lstat} reports about a path (a subset of `fs.Stats`). */
export interface MaildirStats {
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
  readonly atimeMs: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/** An open file, as {@link MaildirFs.open} returns it. */
export interface MaildirFile {
  /** Write all of `data` at the current position. */
  write(data: Uint8Array): Promise<void>;
  /** Read into `buffer` from `position`; resolves to the number of bytes read (0 at the end). */
  read(buffer: Uint8Array, position: number): Promise<number>;
  /** fsync(2): the file's data and metadata reach the disk. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The file-system operations Maildir delivery uses. The default, {@link nodeFs}, is `node:fs`;
 * tests wrap it to inject faults (ENOSPC on write, EIO on fsync, …). Errors are Node-style:
 * an `Error` with a string `code` such as `"ENOSPC"`.
 */
export interface MaildirFs {
  /** open(2) with the given flags (from `fs.constants`) and mode. */
  open(path: string, flags: number, mode: number): Promise<MaildirFile>;
  /** link(2): a new name for an existing file; fails with EEXIST, never overwrites. */
  link(existingPath: string, newPath: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** mkdir(2), not recursive: fails with EEXIST when the name exists. */
  mkdir(path: string, mode: number): Promise<void>;
  /** lstat(2): never follows a symbolic link. */
  lstat(path: string): Promise<MaildirStats>;
  /** stat(2): follows symbolic links (used only for the maildir's own path and its ancestors). */
  stat(path: string): Promise<MaildirStats>;
  readdir(path: string): Promise<string[]>;
  /** fsync(2) a directory, so that the names created in it are durable. */
  syncDir(path: string): Promise<void>;
  /**
   * rmdir(2): remove an empty directory (fails with ENOTEMPTY otherwise). Used only to take back
   * the directories a failed delivery created; a layer without it never removes any.
   */
  rmdir?(path: string): Promise<void>;
}

class NodeFile implements MaildirFile {
  constructor(private readonly handle: FileHandle) {}

  async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.byteLength) {
      const { bytesWritten } = await this.handle.write(data, offset, data.byteLength - offset);
      offset += bytesWritten;
    }
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    const { bytesRead } = await this.handle.read(buffer, 0, buffer.byteLength, position);
    return bytesRead;
  }

  sync(): Promise<void> {
    return this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** The real file system, through `node:fs/promises`. */
export const nodeFs: MaildirFs = {
  async open(path, flags, mode) {
    return new NodeFile(await open(path, flags, mode));
  },
  link: (existingPath, newPath) => link(existingPath, newPath),
  unlink: (path) => unlink(path),
  async mkdir(path, mode) {
    await mkdir(path, { mode });
  },
  lstat: (path) => lstat(path),
  stat: (path) => stat(path),
  readdir: (path) => readdir(path),
  rmdir: (path) => rmdir(path),
  async syncDir(path) {
    const handle = await open(path, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** The open(2) flags of a new message file: never an existing name, never through a symlink. */
export const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** The open(2) flags for reading a message file back (to copy it across file systems). */
export const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
