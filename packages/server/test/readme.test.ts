import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import type { SmtpServer } from "../src/index.js";
import { Client, sendMail } from "./helpers.js";

describe("README", () => {
  it("the example runs: it listens, accepts mail for example.org and refuses relaying", async () => {
    const readme = await readFile(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
    const example = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const source = example!
      .replace('from "@lmail/server"', `from ${JSON.stringify(fileURLToPath(new URL("../src/index.ts", import.meta.url)))}`)
      .replace("port: 2525", "port: 0")
      .concat("\nexport { server };\n");
    // Written outside the package, so that no lint or typecheck running alongside ever sees it.
    const dir = await mkdtemp(join(tmpdir(), "lmail-readme-"));
    const file = join(dir, "example.ts");
    await writeFile(file, source);
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const { server } = (await import(file)) as { server: SmtpServer };
      const c = await Client.connect(server.addresses()[0]!.port);
      await c.reply();
      await c.command("EHLO x");
      expect(await c.command("MAIL FROM:<a@sender.example>")).toMatch(/^250/);
      expect(await c.command("RCPT TO:<b@elsewhere.example>")).toMatch(/^550 5\.7\.1 Relay denied/);
      await c.command("RSET");
      expect(await sendMail(c, "a@sender.example", ["b@example.org"], "Subject: s\r\n\r\nhi")).toMatch(/^250 2\.6\.0/);
      expect(log.mock.calls.some((args) => args[0] === "a@sender.example" && args.includes("bytes"))).toBe(true);
      c.close();
      await server.close({ deadlineMs: 200 });
    } finally {
      log.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
