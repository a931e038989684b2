import { randomUUID } from "node:crypto";
import { open, unlink, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Spill, SpillFactory } from "../spill.js";

/** Options of {@link fileSpill}. */
export interface FileSpillOptions {
  /** Where spill files are created. Default `os.tmpdir()`: the system's place for scratch files. */
  readonly directory?: string;
}

class FileSpill implements Spill {
  readonly #file: FileHandle;
  readonly #path: string;
  #unlinked: boolean;
  #size = 0;

  constructor(file: FileHandle, path: string, unlinked: boolean) {
    this.#file = file;
    this.#path = path;
    this.#unlinked = unlinked;
  }

  async append(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#file.write(bytes, done, bytes.length - done, this.#size + done);
      done += bytesWritten;
    }
    this.#size += bytes.length;
  }

  async read(offset: number, maxBytes: number): Promise<Uint8Array> {
    const want = Math.max(0, Math.min(maxBytes, this.#size - offset));
    const out = new Uint8Array(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.#file.read(out, got, want - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === want ? out : out.subarray(0, got);
  }

  async close(): Promise<void> {
    try {
      await this.#file.close();
    } finally {
      if (!this.#unlinked) {
        this.#unlinked = true;
        await unlink(this.#path).catch(() => undefined);
      }
    }
  }
}

/**
 * A {@link SpillFactory} that spills to a file: created with `O_EXCL` and mode 0600 under
 * `directory`, unlinked at once where the system allows it (POSIX), so that nothing is left
 * behind even after a crash; otherwise removed on close.
 */
export function fileSpill(options: FileSpillOptions = {}): SpillFactory {
  const directory = options.directory ?? tmpdir();
  return {
    async create(): Promise<Spill> {
      const path = join(directory, `lmail-mux-${randomUUID()}.spill`);
      const file = await open(path, "wx+", 0o600);
      let unlinked = false;
      try {
        await unlink(path);
        unlinked = true;
      } catch {
        // Windows: an open file cannot always be unlinked; close() removes it.
      }
      return new FileSpill(file, path, unlinked);
    },
  };
}
