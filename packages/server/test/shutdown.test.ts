import { describe, expect, it } from "vitest";
import { type IncomingMessage } from "../src/index.js";
import { Client, readAll, startServer } from "./helpers.js";

async function openData(c: Client): Promise<void> {
  await c.reply();
  await c.command("EHLO x");
  await c.command("MAIL FROM:<a@x.org>");
  await c.command("RCPT TO:<b@x.org>");
  expect(await c.command("DATA")).toMatch(/^354/);
}

describe("graceful shutdown", () => {
  it("answers idle sessions with 421 at once, lets a transaction in flight finish, then resolves", async () => {
    const delivered: string[] = [];
    const { server, port } = await startServer({ data: async (m) => void delivered.push(await readAll(m.body)), received: false });
    const idle = await Client.connect(port);
    await idle.reply();
    await idle.command("EHLO x");
    const busy = await Client.connect(port);
    await openData(busy);
    busy.send("Subject: in flight\r\n\r\nfirst half\r\n");
    const closing = server.close({ deadlineMs: 10_000 });
    expect(await idle.reply()).toMatch(/^421 4\.3\.2/);
    await idle.closed;
    busy.send("second half\r\n.\r\n");
    expect(await busy.reply()).toMatch(/^250/);
    expect(await busy.reply()).toMatch(/^421 4\.3\.2/);
    await busy.closed;
    await closing;
    expect(delivered).toEqual(["Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n"]);
    expect(server.connections).toBe(0);
  });

  it("cuts transactions still open at the deadline; the message is never delivered", async () => {
    let outcome = "pending";
    let signalled: unknown;
    const data = async (m: IncomingMessage, ctx: { signal: AbortSignal }) => {
      try {
        await readAll(m.body);
        outcome = "delivered";
      } catch (e) {
        outcome = (e as Error).name;
        signalled = ctx.signal.reason;
      }
    };
    const { server, port } = await startServer({ data });
    const c = await Client.connect(port);
    await openData(c);
    c.send("Subject: never finished\r\n\r\npartial");
    await server.close({ deadlineMs: 100 });
    await c.closed;
    expect(outcome).toBe("BodyAbortedError");
    expect(signalled).toMatchObject({ reason: "shutdown" });
  });

  it("refuses new connections once closing", async () => {
    const { server, port } = await startServer({});
    const c = await Client.connect(port);
    await c.reply();
    const closing = server.close({ deadlineMs: 1000 });
    await expect(Client.connect(port)).rejects.toThrow();
    await closing;
  });
});
