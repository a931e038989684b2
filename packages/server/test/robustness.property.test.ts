import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reply, type SmtpServer } from "../src/index.js";
import { Client, readAll, sendMail, startServer, until } from "./helpers.js";

const enc = new TextEncoder();
const words = [
  "EHLO a.example\r\n", "HELO a.example\r\n", "MAIL FROM:<a@example.org>\r\n", "RCPT TO:<b@example.com>\r\n", "RCPT TO:<no@example.com>\r\n",
  "DATA\r\n", "Subject: x\r\n\r\nbody\r\n", ".\r\n", "BDAT 3\r\nabc", "BDAT 0 LAST\r\n", "RSET\r\n", "NOOP\r\n", "STARTTLS\r\n",
  "AUTH PLAIN\r\n", "*\r\n", "QUIT\r\n", "\r\n", "\n", "\r", ".", "GET / HTTP/1.1\r\n",
].map((w) => enc.encode(w));

let server: SmtpServer;
let port: number;
const errors: unknown[] = [];
const onUnhandled = (e: unknown) => errors.push(e);

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  const started = await startServer({
    commandTimeoutMs: 2000,
    rcpt: async (r) => {
      await Promise.resolve();
      return r.address.raw.startsWith("no@") ? reply(550, "5.1.1", "No") : undefined;
    },
    data: async (m) => void (await readAll(m.body)),
  });
  server = started.server;
  port = started.port;
});
afterAll(async () => {
  process.off("unhandledRejection", onUnhandled);
  await server.close({ deadlineMs: 500 });
});

describe("property: no client input harms the server", () => {
  it("random commands and bytes, then a reset or a close: every connection ends, the server still serves", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom(...words), fc.uint8Array({ maxLength: 64 })), { maxLength: 30 }),
        fc.boolean(),
        async (chunks, reset) => {
          const c = await Client.connect(port);
          for (const chunk of chunks) c.write(chunk);
          if (reset) c.socket.resetAndDestroy();
          else c.socket.end();
          await c.closed;
        },
      ),
      { numRuns: 60 },
    );
    await until(() => server.connections === 0);
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO ok.example");
    expect(await sendMail(c, "a@example.org", ["b@example.com"], "Subject: after\r\n\r\nstill fine")).toMatch(/^250/);
    c.close();
    expect(errors).toEqual([]);
  });
});
