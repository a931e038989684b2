import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSelfSigned, type Handler, type SmtpServer } from "../src/index.js";
import { Client, readAll, startServer } from "./helpers.js";

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
const sockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "TLSWrap").length;

let server: SmtpServer;
let port: number;
let tlsPort: number;
const events: string[] = [];
let closes = 0;
let onClose: (() => void) | undefined;
let onConnect: (() => void) | undefined;
let onData: (() => void) | undefined;
let onDataDone: (() => void) | undefined;
const handler: Handler = {
  connect: async () => {
    onConnect?.();
    await new Promise((r) => setImmediate(r));
  },
  data: async (m) => {
    onData?.();
    try {
      await readAll(m.body);
      events.push("delivered");
    } catch (e) {
      events.push((e as Error).name);
    }
    onDataDone?.();
  },
  close: () => {
    closes++;
    onClose?.();
  },
};

beforeAll(async () => {
  const pair = await generateSelfSigned();
  const started = await startServer({ handler, tls: { default: pair } });
  server = started.server;
  port = started.port;
  tlsPort = (await server.listen({ host: "127.0.0.1", port: 0, implicitTls: true })).port;
});
afterAll(() => server.close({ deadlineMs: 500 }));

/** Run `phase` on a fresh connection, reset it, and wait until the server let go of it. */
async function resetDuring(phase: (c: Client) => Promise<void>, target = port): Promise<void> {
  const gone = new Promise<void>((r) => (onClose = r));
  const before = closes;
  const c = await Client.connect(target);
  await phase(c);
  c.socket.resetAndDestroy();
  await c.closed;
  if (target === port) await gone;
  onClose = undefined;
  expect(closes).toBeGreaterThanOrEqual(before);
}

describe("resets and half-open sockets in every phase", () => {
  const baseline = { timers: 0, sockets: 0 };
  beforeAll(() => {
    baseline.timers = timers();
    baseline.sockets = sockets();
  });

  it("before the greeting (while the connect hook runs)", async () => {
    const connected = new Promise<void>((r) => (onConnect = r));
    await resetDuring(async () => connected);
  });

  it("mid-command", async () => {
    await resetDuring(async (c) => {
      await c.reply();
      c.send("EHLO half-a-comm");
    });
  });

  it("mid-DATA: the partial message is never delivered", async () => {
    events.length = 0;
    const reading = new Promise<void>((r) => (onData = r));
    const done = new Promise<void>((r) => (onDataDone = r));
    await resetDuring(async (c) => {
      await c.reply();
      await c.command("EHLO x");
      await c.command("MAIL FROM:<a@x.org>");
      await c.command("RCPT TO:<b@x.org>");
      await c.command("DATA");
      c.send("Subject: partial\r\n\r\nsome of the body");
      await reading;
    });
    await done;
    expect(events).toEqual(["BodyAbortedError"]);
  });

  it("mid-STARTTLS handshake (noticed at once, not at the 30 s handshake timeout)", async () => {
    await resetDuring(async (c) => {
      await c.reply();
      await c.command("EHLO x");
      await c.command("STARTTLS");
      c.send("\x16\x03\x01");
    });
  }, 10_000);

  it("mid implicit-TLS handshake, by reset or by FIN (noticed at once)", async () => {
    const { subscribe, unsubscribe } = await import("node:diagnostics_channel");
    let failures = 0;
    let twoFailed!: () => void;
    const done = new Promise<void>((r) => (twoFailed = r));
    const onTls = (m: unknown) => {
      if ((m as { type: string }).type === "failed" && ++failures === 2) twoFailed();
    };
    subscribe("lmail:server:tls", onTls);
    try {
      const a = await Client.connect(tlsPort);
      a.send("\x16\x03\x01\x00");
      a.socket.resetAndDestroy();
      const b = await Client.connect(tlsPort);
      b.socket.end("\x16\x03\x01\x00");
      await Promise.all([a.closed, b.closed, done]);
    } finally {
      unsubscribe("lmail:server:tls", onTls);
    }
  }, 10_000);

  it("a half-closed client still gets its replies (pipelined QUIT then FIN)", async () => {
    const c = await Client.connect(port);
    c.socket.end("EHLO x\r\nNOOP\r\nQUIT\r\n");
    expect(await c.reply()).toMatch(/^220/);
    expect(await c.reply()).toMatch(/^250-/);
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^221/);
    await c.closed;
  });

  it("a client that keeps its side open after QUIT is let go after a short linger", async () => {
    const { connect } = await import("node:net");
    const gone = new Promise<void>((r) => (onClose = r));
    const s = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    s.on("error", () => undefined);
    let text = "";
    const fin = new Promise<void>((r) => s.on("end", r));
    s.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (text.startsWith("220") && !text.includes("221")) s.write("QUIT\r\n");
    });
    await fin; // the server's FIN; this client never sends its own
    await gone;
    expect(text).toMatch(/221 /);
    const closed = new Promise((r) => s.once("close", r));
    s.destroy();
    await closed;
  });

  it("leaves no connection, socket or timer behind", async () => {
    const until = Date.now() + 5000;
    while (server.connections > 0 && Date.now() < until) await new Promise((r) => setImmediate(r));
    expect(server.connections).toBe(0);
    expect(timers()).toBeLessThanOrEqual(baseline.timers);
    expect(sockets()).toBeLessThanOrEqual(baseline.sockets);
  });
});
