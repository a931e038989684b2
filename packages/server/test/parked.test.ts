import { afterEach, describe, expect, it } from "vitest";
import type { HookContext, SessionInfo, SmtpServer } from "../src/index.js";
import { Client, readAll, sendMail, startServer } from "./helpers.js";

// Without a connect hook the server sends the greeting itself and makes the connection's session
// only when the client first sends something (or the server needs it): a connection that only got
// its greeting must behave exactly as one whose session exists.

let server: SmtpServer | undefined;
afterEach(async () => {
  await server?.close({ deadlineMs: 500 });
  server = undefined;
});

async function serve(options: Parameters<typeof startServer>[0]): Promise<number> {
  const started = await startServer(options);
  server = started.server;
  return started.port;
}

describe("a connection that only got its greeting", () => {
  it("sends the configured greeting, then serves a whole transaction", async () => {
    const bodies: string[] = [];
    const port = await serve({ session: { greetingText: "hello there" }, received: false, data: async (m) => void bodies.push(await readAll(m.body)) });
    const c = await Client.connect(port);
    expect(await c.reply()).toBe("220 mx.test hello there\r\n");
    expect(await c.command("EHLO x")).toMatch(/^250-mx\.test/);
    expect(await sendMail(c, "a@x.org", ["b@x.org"], "Subject: s\r\n\r\nhi")).toMatch(/^250 /);
    expect(bodies).toEqual(["Subject: s\r\n\r\nhi\r\n"]);
  });

  it("greets as LMTP with LMTP, and takes LHLO", async () => {
    const port = await serve({ protocol: "lmtp" });
    const c = await Client.connect(port);
    expect(await c.reply()).toBe("220 mx.test LMTP\r\n");
    expect(await c.command("LHLO x")).toMatch(/^250-mx\.test/);
  });

  it("gives the close hook its session snapshot: addresses, ports, protocol", async () => {
    let closed!: (info: SessionInfo) => void;
    const seen = new Promise<SessionInfo>((resolve) => (closed = resolve));
    const port = await serve({ close: (ctx: HookContext) => void closed(ctx.session) });
    const c = await Client.connect(port);
    await c.reply();
    const clientPort = c.socket.localPort;
    c.socket.destroy();
    const info = await seen;
    expect(info).toMatchObject({ remoteAddress: "127.0.0.1", remotePort: clientPort, localAddress: "127.0.0.1", localPort: port, protocol: "smtp" });
    expect(info.id).toMatch(/./);
    expect(info.heloName).toBeUndefined();
  });

  it("keeps the addresses of a PROXY header for the session it makes later", async () => {
    const seen: SessionInfo[] = [];
    const port = await serve({ proxyProtocol: { trusted: ["127.0.0.0/8"] }, helo: (_name: string, ctx: HookContext) => void seen.push(ctx.session) });
    const c = await Client.connect(port);
    c.send("PROXY TCP4 203.0.113.9 198.51.100.1 40001 25\r\n");
    expect(await c.reply()).toMatch(/^220 /);
    expect(await c.command("EHLO x")).toMatch(/^250/);
    expect(seen[0]).toMatchObject({ remoteAddress: "203.0.113.9", remotePort: 40001, localAddress: "198.51.100.1", localPort: 25 });
  });

  it("is answered 421 at once by a graceful shutdown", async () => {
    const port = await serve({});
    const c = await Client.connect(port);
    await c.reply();
    const closing = server!.close({ deadlineMs: 10_000 });
    expect(await c.reply()).toMatch(/^421 /);
    await c.closed;
    await closing;
    expect(server!.connections).toBe(0);
  });

  it("is closed when the client closes its side", async () => {
    const port = await serve({});
    const c = await Client.connect(port);
    await c.reply();
    c.socket.end();
    await c.closed;
    expect(c.pending).toBe("");
  });

  it("takes commands pipelined in one write with the first bytes", async () => {
    const port = await serve({});
    const c = await Client.connect(port);
    await c.reply();
    c.send("EHLO x\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nQUIT\r\n");
    expect(await c.reply()).toMatch(/^250-/);
    expect(await c.reply()).toMatch(/^250 /);
    expect(await c.reply()).toMatch(/^250 /);
    expect(await c.reply()).toMatch(/^221 /);
    await c.closed;
  });
});
