import { afterEach, describe, expect, it } from "vitest";
import { reply, SmtpError, type Handler, type IncomingMessage, type SmtpServer } from "../src/index.js";
import { Client, readAll, sendMail, startServer } from "./helpers.js";

let server: SmtpServer | undefined;
afterEach(async () => {
  await server?.close({ deadlineMs: 1000 });
  server = undefined;
});

async function serve(handler: Handler, extra: Parameters<typeof startServer>[0] = {}) {
  const started = await startServer({ handler, ...extra });
  server = started.server;
  return started.port;
}

describe("handler hooks over a real socket", () => {
  it("calls connect, helo, mail, rcpt, data and close in order, with the session snapshot", async () => {
    const calls: string[] = [];
    let message: IncomingMessage | undefined;
    let text = "";
    let closed!: () => void;
    const closedHook = new Promise<void>((r) => (closed = r));
    const port = await serve({
      connect: (ctx) => void calls.push(`connect ${ctx.session.remoteAddress}`),
      helo: (name) => void calls.push(`helo ${name}`),
      mail: (from) => void calls.push(`mail ${from?.raw}`),
      rcpt: (r) => Promise.resolve(void calls.push(`rcpt ${r.address.raw}`)),
      data: async (m) => {
        message = m;
        text = await readAll(m.body);
        calls.push("data");
      },
      close: () => {
        calls.push("close");
        closed();
      },
    });
    const c = await Client.connect(port);
    expect(await c.reply()).toMatch(/^220 mx\.test ESMTP/);
    expect(await c.command("EHLO client.example")).toMatch(/^250-mx\.test/);
    const final = await sendMail(c, "a@example.org", ["b@example.org"], "Subject: hi\r\nX-Test: 1\r\n\r\nHello\r\n.dot\r\n");
    expect(final).toMatch(/^250 2\.6\.0/);
    expect(await c.command("QUIT")).toMatch(/^221/);
    await c.closed;
    await closedHook;
    expect(calls).toEqual(["connect 127.0.0.1", "helo client.example", "mail a@example.org", "rcpt b@example.org", "data", "close"]);
    expect(message!.envelope.recipients.map((r) => r.address.raw)).toEqual(["b@example.org"]);
    expect(message!.session.heloName).toBe("client.example");
    expect(message!.headers).toEqual([
      { name: "Subject", value: "hi" },
      { name: "X-Test", value: "1" },
    ]);
    expect(text).toMatch(/^Received: from client\.example \(\[127\.0\.0\.1\]\)\r\n\tby mx\.test \(lmail\) with ESMTP id /);
    expect(text).toContain("\tfor <b@example.org>;\r\n");
    expect(text.endsWith("Subject: hi\r\nX-Test: 1\r\n\r\nHello\r\n.dot\r\n")).toBe(true);
  });

  it("received: false leaves the message as sent", async () => {
    let text = "";
    const port = await serve({ data: async (m) => void (text = await readAll(m.body)) }, { received: false });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    await sendMail(c, "a@x.org", ["b@x.org"], "Subject: s\r\n\r\nbody");
    expect(text).toBe("Subject: s\r\n\r\nbody\r\n");
    c.close();
  });

  it("a connect hook refuses with 554 (RFC 5321 §3.1)", async () => {
    const port = await serve({ connect: () => reply(554, "5.7.1", "Go away") });
    const c = await Client.connect(port);
    expect(await c.reply()).toMatch(/^554 /);
    await c.closed;
  });

  it("returned 4xx/5xx replies are sent; a thrown SmtpError sends its reply (RFC 5321 §4.2)", async () => {
    const port = await serve({
      mail: (from) => (from?.raw === "bad@x.org" ? reply(550, "5.7.1", "Sender refused") : undefined),
      rcpt: (r) => {
        if (r.address.raw === "nobody@x.org") throw SmtpError.of(550, "5.1.1", "No such user");
      },
    });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    expect(await c.command("MAIL FROM:<bad@x.org>")).toBe("550 5.7.1 Sender refused\r\n");
    expect(await c.command("MAIL FROM:<good@x.org>")).toMatch(/^250/);
    expect(await c.command("RCPT TO:<nobody@x.org>")).toBe("550 5.1.1 No such user\r\n");
    c.close();
  });

  it("any other error becomes 451 4.3.0, is published on the error channel and never shown", async () => {
    const { subscribe, unsubscribe } = await import("node:diagnostics_channel");
    const seen: unknown[] = [];
    const onError = (m: unknown) => seen.push(m);
    subscribe("lmail:server:error", onError);
    try {
      const port = await serve({
        mail: () => Promise.reject(new Error("database password is hunter2")),
      });
      const c = await Client.connect(port);
      await c.reply();
      await c.command("EHLO x");
      const r = await c.command("MAIL FROM:<a@x.org>");
      expect(r).toMatch(/^451 4\.3\.0 /);
      expect(r).not.toContain("hunter2");
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ where: "mail", error: { message: "database password is hunter2" } });
      c.close();
    } finally {
      unsubscribe("lmail:server:error", onError);
    }
  });

  it("auth hook: AUTH PLAIN checked by the application, user in the session (RFC 4954)", async () => {
    let user: string | undefined;
    const port = await serve(
      {
        auth: (creds) => creds.username === "alice" && creds.password === "secret",
        mail: (_from, _p, ctx) => void (user = ctx.session.user),
      },
      { session: { auth: { requireTls: false } } },
    );
    const c = await Client.connect(port);
    await c.reply();
    expect(await c.command("EHLO x")).toContain("AUTH PLAIN LOGIN");
    const bad = Buffer.from("\0alice\0wrong").toString("base64");
    expect(await c.command(`AUTH PLAIN ${bad}`)).toMatch(/^535 5\.7\.8/);
    const good = Buffer.from("\0alice\0secret").toString("base64");
    expect(await c.command(`AUTH PLAIN ${good}`)).toMatch(/^235 2\.7\.0/);
    expect(await c.command("MAIL FROM:<a@x.org>")).toMatch(/^250/);
    expect(user).toBe("alice");
    c.close();
  });

  it("reset hook on RSET and when the client leaves mid-transaction", async () => {
    let resets = 0;
    let closed!: () => void;
    const gone = new Promise<void>((r) => (closed = r));
    const port = await serve({ reset: () => void resets++, close: () => closed() });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    await c.command("MAIL FROM:<a@x.org>");
    expect(await c.command("RSET")).toMatch(/^250/);
    expect(resets).toBe(1);
    await c.command("MAIL FROM:<a@x.org>");
    c.close();
    await gone;
    expect(resets).toBe(2);
  });

  it("when the client leaves during a hook, reset and close run after that hook finished (nothing it records is left behind)", async () => {
    const { subscribe, unsubscribe } = await import("node:diagnostics_channel");
    const log: string[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // the server has seen the client go (its close event is published after reset/close were scheduled)
    const onConnection = (m: unknown): void => {
      if ((m as { type?: string }).type === "close") release();
    };
    let closed!: () => void;
    const done = new Promise<void>((r) => (closed = r));
    subscribe("lmail:server:connection", onConnection);
    try {
      const port = await serve({
        rcpt: async () => {
          started();
          await gate; // like an async lookup that completes after the client has gone
          log.push("rcpt done");
        },
        reset: () => void log.push("reset"),
        close: () => {
          log.push("close");
          closed();
        },
      });
      const c = await Client.connect(port);
      await c.reply();
      await c.command("EHLO x");
      await c.command("MAIL FROM:<a@x.org>");
      c.send("RCPT TO:<b@x.org>\r\n");
      await running;
      c.socket.resetAndDestroy();
      await done;
      expect(log).toEqual(["rcpt done", "reset", "close"]);
    } finally {
      unsubscribe("lmail:server:connection", onConnection);
    }
  });

  it("a hook's signal fires when the client disconnects (reason: disconnect)", async () => {
    let reason: unknown;
    let fired!: () => void;
    const aborted = new Promise<void>((r) => (fired = r));
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const port = await serve({
      mail: (_f, _p, ctx) =>
        new Promise<undefined>((resolve) => {
          started();
          ctx.signal.addEventListener("abort", () => {
            reason = ctx.signal.reason;
            fired();
            resolve(undefined);
          });
        }),
    });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    c.send("MAIL FROM:<a@x.org>\r\n");
    await running;
    c.socket.resetAndDestroy();
    await aborted;
    expect(reason).toMatchObject({ name: "ConnectionAbortedError", reason: "disconnect" });
  });

  it("answers pipelined commands in order while hooks are slow (RFC 2920)", async () => {
    const port = await serve({
      rcpt: async (r) => {
        await new Promise((res) => setImmediate(res));
        return r.address.raw.startsWith("no") ? reply(550, "5.1.1", "unknown") : undefined;
      },
    });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    c.send("MAIL FROM:<a@x.org>\r\nRCPT TO:<no@x.org>\r\nRCPT TO:<yes@x.org>\r\nDATA\r\n");
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^550/);
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^354/);
    c.send("Subject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n");
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^221/);
    await c.closed;
  });

  it("a data hook that returns early has the rest drained and its reply sent after the end of data", async () => {
    const port = await serve({ data: () => reply(554, "5.6.0", "Not wanted") });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    const r = await sendMail(c, "a@x.org", ["b@x.org"], `Subject: x\r\n\r\n${"line of text\r\n".repeat(50_000)}`);
    expect(r).toBe("554 5.6.0 Not wanted\r\n");
    expect(await c.command("NOOP")).toMatch(/^250/);
    c.close();
  });

  it("a body the session refuses (too big, RFC 1870) makes the stream throw: never delivered", async () => {
    let outcome = "";
    const port = await serve(
      {
        data: async (m) => {
          try {
            await readAll(m.body);
            outcome = "delivered";
          } catch (e) {
            outcome = (e as Error).name;
            throw e;
          }
        },
      },
      { session: { limits: { maxMessageBytes: 1000 } } },
    );
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    const r = await sendMail(c, "a@x.org", ["b@x.org"], `Subject: x\r\n\r\n${"y".repeat(500)}\r\n${"z".repeat(900)}`);
    expect(r).toMatch(/^552 5\.3\.4/);
    expect(outcome).toBe("BodyAbortedError");
    expect(await c.command("NOOP")).toMatch(/^250/);
    c.close();
  });

  it("LMTP: one reply per recipient from the data hook (RFC 2033 §4.2)", async () => {
    const port = await serve({ data: (m) => m.envelope.recipients.map((r) => (r.address.raw.startsWith("full") ? reply(452, "4.2.2", "Mailbox full") : undefined)) }, { protocol: "lmtp" });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("LHLO x");
    await c.command("MAIL FROM:<a@x.org>");
    await c.command("RCPT TO:<ok@x.org>");
    await c.command("RCPT TO:<full@x.org>");
    expect(await c.command("DATA")).toMatch(/^354/);
    c.send("Subject: x\r\n\r\nhi\r\n.\r\n");
    expect(await c.reply()).toMatch(/^250/);
    expect(await c.reply()).toMatch(/^452 4\.2\.2/);
    c.close();
  });
});

describe("what the data hook sees", () => {
  it("parses a header block that arrives a few bytes at a time, and one with no header at all", async () => {
    const seen: (readonly { name: string; value: string }[])[] = [];
    const port = await serve({ data: async (m) => {
      seen.push(m.headers);
      await readAll(m.body);
    } });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    await c.command("MAIL FROM:<a@x.org>");
    await c.command("RCPT TO:<b@x.org>");
    await c.command("DATA");
    const message = "Subject: one\r\n folded\r\nFrom: a@x.org\r\n\r\nbody\r\n.\r\n";
    for (let i = 0; i < message.length; i += 3) {
      await new Promise<void>((resolve) => c.socket.write(message.slice(i, i + 3), () => resolve()));
    }
    expect(await c.reply()).toMatch(/^250/);
    expect(await sendMail(c, "a@x.org", ["b@x.org"], "\r\njust a body")).toMatch(/^250/);
    expect(seen).toEqual([
      [
        { name: "Subject", value: "one folded" },
        { name: "From", value: "a@x.org" },
      ],
      [],
    ]);
    c.close();
  });

  it("reverse DNS through an injected resolver: remoteHostname and the Received: field", async () => {
    let text = "";
    let host: string | undefined;
    const port = await serve(
      {
        connect: (ctx) => void (host = ctx.session.remoteHostname),
        data: async (m) => void (text = await readAll(m.body)),
      },
      { reverseDns: (address) => Promise.resolve(address === "127.0.0.1" ? "client.example.net" : undefined) },
    );
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    await sendMail(c, "a@x.org", ["b@x.org"], "Subject: s\r\n\r\nhi");
    expect(host).toBe("client.example.net");
    expect(text).toMatch(/^Received: from x \(client\.example\.net \[127\.0\.0\.1\]\)/);
    c.close();
  });

  it("a resolver slower than reverseDnsTimeoutMs does not hold the greeting", async () => {
    let host: string | undefined = "unset";
    const port = await serve(
      { connect: (ctx) => void (host = ctx.session.remoteHostname) },
      { reverseDns: (_a, signal) => new Promise((resolve) => signal.addEventListener("abort", () => resolve("too-late.example"))), reverseDnsTimeoutMs: 50 },
    );
    const c = await Client.connect(port);
    expect(await c.reply()).toMatch(/^220/);
    expect(host).toBeUndefined();
    c.close();
  });
});

describe("handler bugs never break the session", () => {
  it("a hook answer that is not a reply becomes 451 4.3.0 and is published", async () => {
    const { subscribe, unsubscribe } = await import("node:diagnostics_channel");
    const seen: unknown[] = [];
    const onError = (m: unknown) => seen.push(m);
    subscribe("lmail:server:error", onError);
    try {
      const port = await serve({ mail: () => "OK" as never });
      const c = await Client.connect(port);
      await c.reply();
      await c.command("EHLO x");
      expect(await c.command("MAIL FROM:<a@x.org>")).toMatch(/^451 4\.3\.0/);
      expect(await c.command("NOOP")).toMatch(/^250/);
      expect(seen).toMatchObject([{ where: "mail", error: { name: "TypeError" } }]);
      c.close();
    } finally {
      unsubscribe("lmail:server:error", onError);
    }
  });

  it("a hand-built reply with a forged enhanced code cannot inject a reply line: 451 4.3.0 instead", async () => {
    const forged = { code: 250, enhanced: "2.0.0\r\n550", lines: ["a"] } as never;
    const port = await serve({ mail: () => forged });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    expect(await c.command("MAIL FROM:<a@x.org>")).toBe("451 4.3.0 Requested action aborted: local error in processing\r\n");
    expect(await c.command("NOOP")).toMatch(/^250/);
    c.close();
  });

  it("LMTP: a reply list of the wrong length becomes 451 4.3.0 for every recipient", async () => {
    const port = await serve({ data: () => [undefined] }, { protocol: "lmtp" });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("LHLO x");
    await c.command("MAIL FROM:<a@x.org>");
    await c.command("RCPT TO:<one@x.org>");
    await c.command("RCPT TO:<two@x.org>");
    await c.command("DATA");
    c.send("Subject: x\r\n\r\nhi\r\n.\r\n");
    expect(await c.reply()).toMatch(/^451 4\.3\.0/);
    expect(await c.reply()).toMatch(/^451 4\.3\.0/);
    expect(await c.command("NOOP")).toMatch(/^250/);
    c.close();
  });
});
