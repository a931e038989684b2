import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";

// The README promises an example that runs: run it, against this package's source.
describe("README", () => {
  let dir: string | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("the STARTTLS example runs and prints the reply sent over TLS", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const block = /<!-- readme-example:start -->\n```ts\n([\s\S]*?)```\n<!-- readme-example:end -->/.exec(readme);
    expect(block).not.toBeNull();
    const source = fileURLToPath(new URL("../src/index.ts", import.meta.url));
    const code = block![1]!.replace(`from "@lmail/tls"`, `from ${JSON.stringify(source)}`);
    expect(code).toContain(source);
    dir = await mkdtemp(join(tmpdir(), "lmail-tls-readme-"));
    const file = join(dir, "example.ts");
    await writeFile(file, code);
    const printed: unknown[] = [];
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(...args));
    await import(/* @vite-ignore */ file);
    expect(printed).toEqual(["250 TLSv1.3 with localhost\r\n"]);
  });
});
