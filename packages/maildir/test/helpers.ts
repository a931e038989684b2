import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "vitest";
import { type MaildirFile, type MaildirFs, nodeFs } from "../src/index.js";

const made: string[] = [];

/** A fresh temporary directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "lmail-maildir-"));
  made.push(dir);
  return dir;
}

afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

export const encoder = new TextEncoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);

/** The names in a directory, sorted; [] when it does not exist. */
export async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** An errno-style error, as node:fs throws them. */
export function errno(code: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: injected`);
  err.code = code;
  return err;
}

/** Faults to inject into a {@link faultyFs}. Each returns the error to throw, or undefined. */
export interface Faults {
  write?(path: string, callIndex: number): Error | undefined;
  sync?(path: string): Error | undefined;
  syncDir?(path: string): Error | undefined;
  link?(from: string, to: string): Error | undefined;
}

/** nodeFs with injected faults, recording every operation in `log`. */
export function faultyFs(faults: Faults = {}, log: string[] = []): MaildirFs {
  return {
    ...nodeFs,
    async open(p, flags, mode) {
      log.push(`open ${p}`);
      const file = await nodeFs.open(p, flags, mode);
      let writes = 0;
      const wrapped: MaildirFile = {
        async write(data) {
          const err = faults.write?.(p, writes++);
          if (err !== undefined) throw err;
          log.push(`write ${p}`);
          await file.write(data);
        },
        read: (buffer, position) => file.read(buffer, position),
        async sync() {
          const err = faults.sync?.(p);
          if (err !== undefined) throw err;
          log.push(`sync ${p}`);
          await file.sync();
        },
        async close() {
          log.push(`close ${p}`);
          await file.close();
        },
      };
      return wrapped;
    },
    async link(from, to) {
      const err = faults.link?.(from, to);
      if (err !== undefined) throw err;
      log.push(`link ${from} ${to}`);
      await nodeFs.link(from, to);
    },
    async unlink(p) {
      log.push(`unlink ${p}`);
      await nodeFs.unlink(p);
    },
    async syncDir(p) {
      const err = faults.syncDir?.(p);
      if (err !== undefined) throw err;
      log.push(`syncDir ${p}`);
      await nodeFs.syncDir(p);
    },
  };
}
