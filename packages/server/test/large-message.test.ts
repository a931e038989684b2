import { describe, expect, it } from "vitest";
import { Client, startServer } from "./helpers.js";

const MiB = 1024 * 1024;

describe("a 100 MiB message through a byte-counting handler", () => {
  it("streams with backpressure: every byte arrives, memory stays flat", async () => {
    let counted = 0;
    let peak = 0;
    const sample = () => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers);
    };
    const { server, port } = await startServer({
      received: false,
      session: { limits: { maxMessageBytes: 200 * MiB } },
      data: async (m) => {
        let chunks = 0;
        for await (const chunk of m.body) {
          counted += chunk.length;
          if (++chunks % 256 === 0) sample();
        }
      },
    });
    global.gc?.();
    const base = process.memoryUsage();
    const baseline = base.heapUsed + base.arrayBuffers;
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    await c.command("MAIL FROM:<a@x.org>");
    await c.command("RCPT TO:<b@x.org>");
    expect(await c.command("DATA")).toMatch(/^354/);
    const line = Buffer.from(`${"0123456789abcdef".repeat(4)}\r\n`); // 66 bytes per line
    const block = Buffer.concat(new Array<Buffer>(1024).fill(line)); // 66 KiB
    const blocks = Math.ceil((100 * MiB) / block.length);
    for (let i = 0; i < blocks; i++) {
      if (!c.write(block)) await new Promise((r) => c.socket.once("drain", r));
    }
    c.send(".\r\n");
    expect(await c.reply()).toMatch(/^250/);
    expect(counted).toBe(blocks * block.length);
    // Loose: socket reads leave garbage until the GC runs (about 30 MiB here); a server that
    // buffered the message would hold 100 MiB or more.
    expect(peak - baseline).toBeLessThan(64 * MiB);
    c.close();
    await server.close({ deadlineMs: 500 });
  }, 120_000);
});
