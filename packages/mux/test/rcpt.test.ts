import { describe, expect, it } from "vitest";
import { reply } from "@lmail/codes";
import type { Envelope, Handler, HookContext } from "@lmail/session";
import { Mux, UNKNOWN_RECIPIENT, nullHandler, rejectingHandler } from "../src/index.js";
import { context, envelope, message, recipient, sessionInfo } from "./helpers.js";

describe("decided at RCPT (RFC 5321 §3.3)", () => {
  it("an unknown recipient gets 550 5.1.1 at RCPT by default", async () => {
    const mux = new Mux().domain("a.example", nullHandler);
    const answer = await mux.rcpt(recipient("nobody@b.example"), envelope([]), context());
    expect(answer).toEqual({ code: 550, enhanced: "5.1.1", lines: ["No such user here"] });
    expect(answer).toBe(UNKNOWN_RECIPIENT);
  });

  it("a known recipient whose handler has no rcpt hook is accepted (the server's default 250)", async () => {
    const mux = new Mux().domain("a.example", nullHandler);
    expect(await mux.rcpt(recipient("x@a.example"), envelope([]), context())).toBeUndefined();
  });

  it("the routed handler's rcpt hook decides, and sees only its own recipients in the envelope", async () => {
    const seen: string[][] = [];
    const full = reply(452, "4.2.2", "Mailbox full");
    const a: Handler = {
      rcpt: (r, env) => {
        seen.push(env.recipients.map((x) => x.address.raw));
        return r.address.raw.startsWith("full") ? full : undefined;
      },
    };
    const mux = new Mux().domain("a.example", a).domain("b.example", nullHandler);
    const ctx = context();
    const accepted = [];
    for (const raw of ["one@a.example", "x@b.example", "full@a.example", "two@a.example"]) {
      const r = recipient(raw);
      const answer = await mux.rcpt(r, envelope(accepted), ctx);
      if (answer === undefined) accepted.push(r);
      if (raw.startsWith("full")) expect(answer).toBe(full);
    }
    expect(seen).toEqual([[], ["one@a.example"], ["one@a.example"]]);
    expect(accepted.map((r) => r.address.raw)).toEqual(["one@a.example", "x@b.example", "two@a.example"]);
  });

  it("a rcpt hook's thrown error reaches the server (which sends an SmtpError's reply, else 451)", async () => {
    const mux = new Mux().domain("a.example", {
      rcpt: () => {
        throw new Error("directory down");
      },
    });
    await expect(mux.rcpt(recipient("x@a.example"), envelope([]), context())).rejects.toThrow("directory down");
  });

  it("the handler chosen at RCPT serves the recipient at DATA, even if a predicate would now decide otherwise", async () => {
    let open = true;
    const received: string[] = [];
    const early: Handler = { data: (m) => void received.push(`early:${m.envelope.recipients.length}`) };
    const late: Handler = { data: (m) => void received.push(`late:${m.envelope.recipients.length}`) };
    const mux = new Mux({ defaultHandler: late }).match(() => open, early);
    const ctx = context();
    const r = recipient("x@a.example");
    expect(await mux.rcpt(r, envelope([]), ctx)).toBeUndefined();
    open = false;
    await mux.data(message(envelope([r]), (async function* () {})()), ctx);
    expect(received).toEqual(["early:1"]);
  });

  it("at DATA a recipient is matched to its RCPT decision by address when the envelope holds a copy", async () => {
    let open = true;
    const received: string[] = [];
    const early: Handler = { data: (m) => void received.push(`early:${m.envelope.recipients.map((x) => x.address.raw).join()}`) };
    const late: Handler = { data: (m) => void received.push(`late:${m.envelope.recipients.map((x) => x.address.raw).join()}`) };
    const mux = new Mux({ defaultHandler: late }).match(() => open, early);
    const ctx = context();
    await mux.rcpt(recipient("x@a.example"), envelope([]), ctx);
    open = false;
    // Fresh objects with the same addresses, plus one the mux never saw at RCPT.
    await mux.data(message(envelope(["x@a.example", "y@a.example"]), (async function* () {})()), ctx);
    expect(received.sort()).toEqual(["early:x@a.example", "late:y@a.example"]);
  });
});

describe("many recipients", () => {
  it("2,000 recipients over two handlers with rcpt hooks: each gets its own, in order (RFC 5321 §4.5.3.1.8 allows 100+)", async () => {
    const seenCounts: number[] = [];
    const got = new Map<string, string[]>();
    const make = (name: string): Handler => ({
      rcpt: (_r, env) => void seenCounts.push(env.recipients.length),
      data: (m) => void got.set(name, m.envelope.recipients.map((r) => r.address.raw)),
    });
    const mux = new Mux().domain("a.example", make("a")).domain("b.example", make("b"));
    const ctx = context();
    const accepted = [];
    const started = performance.now();
    for (let i = 0; i < 2000; i++) {
      const r = recipient(`u${String(i)}@${i % 2 === 0 ? "a" : "b"}.example`);
      expect(await mux.rcpt(r, envelope(accepted), ctx)).toBeUndefined();
      accepted.push(r);
    }
    await mux.data(message(envelope(accepted), (async function* () {})()), ctx);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(got.get("a")).toHaveLength(1000);
    expect(got.get("b")!.slice(0, 3)).toEqual(["u1@b.example", "u3@b.example", "u5@b.example"]);
    expect(seenCounts.slice(0, 4)).toEqual([0, 0, 1, 1]);
  });
});

describe("rejectingHandler", () => {
  it("rejects at RCPT with its reply, and at DATA should a message reach it", async () => {
    const busy = reply(450, "4.2.1", "Try later");
    const h = rejectingHandler(busy);
    const ctx = context();
    expect(await h.rcpt?.(recipient("a@b.example"), envelope([]), ctx)).toBe(busy);
    expect(await h.data?.(message(envelope(["a@b.example"]), (async function* () {})()), ctx)).toBe(busy);
  });

  it("refuses a positive reply as a rejection", () => {
    expect(() => rejectingHandler(reply(250))).toThrow(RangeError);
  });
});

describe("connection-level hooks go to options.session", () => {
  it("connect, helo, auth, mail and close are delegated; reset reaches the session and the routed handlers", async () => {
    const calls: string[] = [];
    const session: Handler = {
      connect: () => void calls.push("connect"),
      helo: (name) => void calls.push(`helo ${name}`),
      auth: (cred) => cred.password === "secret",
      mail: (from) => (from === null ? reply(550, "5.7.1", "No bounces") : undefined),
      reset: () => void calls.push("session reset"),
      close: () => void calls.push("close"),
    };
    const routed: Handler = { reset: () => void calls.push("routed reset") };
    const mux = new Mux({ session }).domain("a.example", routed).domain("b.example", nullHandler);
    const ctx = context();
    await mux.connect?.(ctx);
    await mux.helo?.("client.example", ctx);
    expect(await mux.auth?.({ mechanism: "PLAIN", username: "u", password: "secret" }, ctx)).toBe(true);
    expect(await mux.auth?.({ mechanism: "PLAIN", username: "u", password: "wrong" }, ctx)).toBe(false);
    expect((await mux.mail?.(null, { raw: [] }, ctx))?.code).toBe(550);
    await mux.rcpt(recipient("x@a.example"), envelope([]), ctx);
    await mux.rcpt(recipient("y@b.example"), envelope(["x@a.example"]), ctx);
    await mux.reset(ctx);
    await mux.close(ctx);
    expect(calls).toEqual(["connect", "helo client.example", "routed reset", "session reset", "close"]);
  });

  it("hooks the session handler lacks are absent, so the server does not offer AUTH", () => {
    const mux = new Mux({ session: { helo: () => undefined } });
    expect(mux.helo).toBeTypeOf("function");
    expect(mux.auth).toBeUndefined();
    expect(mux.connect).toBeUndefined();
    expect(mux.mail).toBeUndefined();
    expect(new Mux().auth).toBeUndefined();
  });

  it("reset forgets the transaction's decisions (per connection)", async () => {
    const received: string[] = [];
    let route = "first";
    const first: Handler = { data: () => void received.push("first") };
    const second: Handler = { data: () => void received.push("second") };
    const mux = new Mux().match(() => route === "first", first).match(() => true, second);
    const ctxA: HookContext = context(sessionInfo("smtp", "A"));
    const ctxB: HookContext = context(sessionInfo("smtp", "B"));
    const r = recipient("x@a.example");
    const env: Envelope = envelope([r]);
    await mux.rcpt(r, envelope([]), ctxA);
    await mux.rcpt(r, envelope([]), ctxB);
    route = "second";
    await mux.reset(ctxA);
    const empty = (async function* () {})();
    await mux.data(message(env, empty, ctxA.session), ctxA);
    await mux.data(message(env, (async function* () {})(), ctxB.session), ctxB);
    expect(received).toEqual(["second", "first"]);
  });
});

describe("close reaches every routed handler", () => {
  it("calls close on the handlers recipients were routed to on the connection, and on options.session", async () => {
    const closed: string[] = [];
    const a: Handler = { rcpt: () => undefined, close: () => void closed.push("a") };
    const b: Handler = { rcpt: () => undefined, close: () => void closed.push("b") };
    const idle: Handler = { close: () => void closed.push("idle") };
    const session: Handler = { close: () => void closed.push("session") };
    const mux = new Mux({ session }).domain("a.example", a).domain("b.example", b).domain("idle.example", idle);
    const ctx = context();
    await mux.rcpt(recipient("x@a.example"), envelope([]), ctx);
    await mux.rcpt(recipient("y@b.example"), envelope(["x@a.example"]), ctx);
    await mux.close(ctx);
    expect(closed.sort()).toEqual(["a", "b", "session"]);
    closed.length = 0;
    await mux.close(ctx); // a second close of the same connection reaches only options.session
    expect(closed).toEqual(["session"]);
  });
});

