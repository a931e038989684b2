import { afterEach, describe, expect, it } from "vitest";
import type { SmtpServer } from "../src/index.js";
import { Client, startServer } from "./helpers.js";

let server: SmtpServer | undefined;
afterEach(async () => {
  await server?.close({ deadlineMs: 500 });
  server = undefined;
});

async function serve(options: Parameters<typeof startServer>[0]) {
  const started = await startServer(options);
  server = started.server;
  return started.port;
}

async function openTransaction(c: Client): Promise<void> {
  await c.reply();
  await c.command("EHLO x");
  await c.command("MAIL FROM:<a@x.org>");
  await c.command("RCPT TO:<b@x.org>");
  expect(await c.command("DATA")).toMatch(/^354/);
}

/** Send `count` bytes, one every `everyMs`; stops when the socket closes. Bounded load, not a wait. */
function trickle(c: Client, count: number, everyMs: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    const timer = setInterval(() => {
      if (c.isClosed || sent >= count) {
        clearInterval(timer);
        resolve(sent);
        return;
      }
      c.send("x");
      sent++;
    }, everyMs);
  });
}

describe("timeouts (RFC 5321 §4.5.3.2)", () => {
  it("an idle client gets 421 4.4.2 and is closed after commandTimeoutMs", async () => {
    const port = await serve({ commandTimeoutMs: 150 });
    const c = await Client.connect(port);
    expect(await c.reply()).toMatch(/^220/);
    const started = Date.now();
    expect(await c.command("EHLO x")).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^421 4\.4\.2 /);
    await c.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("a command trickled byte by byte does not extend the command deadline (whole-request deadline)", async () => {
    const port = await serve({ commandTimeoutMs: 300 });
    const c = await Client.connect(port);
    await c.reply();
    const sent = trickle(c, 200, 10); // 2 s of one byte every 10 ms, never a full line
    expect(await c.reply()).toMatch(/^421 .*timeout/);
    await c.closed;
    expect(await sent).toBeLessThan(200);
  });

  it("a DATA sender below minDataRateBytesPerSecond is cut off (Postfix smtpd_min_data_rate)", async () => {
    const port = await serve({ dataBlockTimeoutMs: 1000, minDataRateBytesPerSecond: 1000 });
    const c = await Client.connect(port);
    await openTransaction(c);
    const sent = trickle(c, 400, 10); // ~100 bytes/s for up to 4 s: each byte buys 1 ms
    expect(await c.reply()).toMatch(/^421 4\.4\.2/);
    await c.closed;
    expect(await sent).toBeLessThan(400);
  });

  it("each command, also one the session answers alone (NOOP, RSET), restarts the command timeout (RFC 5321 §4.5.3.2.7)", async () => {
    const port = await serve({ commandTimeoutMs: 400 });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    // 12 commands, one every 100 ms: 1.2 s in all, three times the timeout, never idle for 400 ms.
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (c.isClosed || sent >= 12) {
          clearInterval(timer);
          resolve();
          return;
        }
        c.send(sent % 2 === 0 ? "NOOP\r\n" : "RSET\r\n");
        sent++;
      }, 100);
    });
    for (let i = 0; i < 12; i++) expect(await c.reply()).toMatch(/^250 /);
    expect(c.isClosed).toBe(false);
    // then idle: the timeout still applies
    expect(await c.reply()).toMatch(/^421 4\.4\.2 /);
    await c.closed;
  });

  it("without a minimum rate, each block restarts the data-block timeout (RFC 5321 §4.5.3.2.5)", async () => {
    const port = await serve({ dataBlockTimeoutMs: 1000, minDataRateBytesPerSecond: 0 });
    const c = await Client.connect(port);
    await openTransaction(c);
    expect(await trickle(c, 150, 10)).toBe(150); // 1.5 s in all, longer than the 1 s timeout
    c.send("\r\n.\r\n");
    expect(await c.reply()).toMatch(/^250/);
    c.close();
  });

  it("a hook slower than hookTimeoutMs has its signal aborted and the client gets 421 4.4.2", async () => {
    let aborted: unknown;
    const port = await serve({
      hookTimeoutMs: 150,
      mail: (_f, _p, ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            aborted = ctx.signal.reason;
            resolve(undefined);
          });
        }),
    });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    expect(await c.command("MAIL FROM:<a@x.org>")).toMatch(/^421 4\.4\.2/);
    await c.closed;
    expect(aborted).toMatchObject({ name: "ConnectionAbortedError", reason: "timeout" });
  });
});

describe("write timeout", () => {
  it("a client that sends but never reads is cut after writeTimeoutMs", async () => {
    const { subscribe, unsubscribe } = await import("node:diagnostics_channel");
    let closed!: (m: { reason: string }) => void;
    const gone = new Promise<{ reason: string }>((r) => (closed = r));
    const onConnection = (m: unknown) => {
      if ((m as { type: string }).type === "close") closed(m as { reason: string });
    };
    subscribe("lmail:server:connection", onConnection);
    try {
      const port = await serve({ writeTimeoutMs: 200 });
      const c = await Client.connect(port);
      c.socket.pause(); // never read
      // Each EHLO is answered with ~200 bytes: 40,000 of them fill every buffer on the way back.
      c.socket.write("EHLO x\r\n".repeat(40_000));
      expect((await gone).reason).toBe("destroyed");
      c.close();
    } finally {
      unsubscribe("lmail:server:connection", onConnection);
    }
  });
});

describe("a data hook that stops reading", () => {
  it("is bounded by hookTimeoutMs: its signal fires (timeout) and the client gets 421 4.4.2", async () => {
    let reason: unknown;
    const port = await serve({
      hookTimeoutMs: 200,
      data: (_m, ctx) =>
        new Promise<undefined>((resolve) => {
          ctx.signal.addEventListener("abort", () => {
            reason = ctx.signal.reason;
            resolve(undefined);
          });
        }),
    });
    const c = await Client.connect(port);
    await openTransaction(c);
    c.send(`Subject: x\r\n\r\n${"y".repeat(998)}\r\n`.repeat(4096)); // 4 MiB, far over the body high-water mark
    expect(await c.reply()).toMatch(/^421 4\.4\.2/);
    await c.closed;
    expect(reason).toMatchObject({ name: "ConnectionAbortedError", reason: "timeout" });
  });
});
