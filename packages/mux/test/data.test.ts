import { describe, expect, it } from "vitest";
import { SmtpError, reply } from "@lmail/codes";
import type { Handler, HookReply } from "@lmail/session";
import { collapseReplies } from "@lmail/session";
import { LOCAL_ERROR, Mux, nullHandler } from "../src/index.js";
import { Source, collector, concat, digest, context, envelope, gate, message, pattern, sessionInfo, settle } from "./helpers.js";

/** For the tests where handlers fail on purpose: keep the output clean. */
const quiet = (): void => undefined;
const queued = (id: string) => reply(250, "2.6.0", `Queued as ${id}`);

describe("one handler", () => {
  it("reads the body itself and its reply passes through (SMTP)", async () => {
    const a = collector(() => queued("A1"));
    const mux = new Mux().domain("a.example", a);
    const body = pattern(100_000);
    const env = envelope(["x@a.example", "y@a.example"]);
    const answer = await mux.data(message(env, new Source(body, 4096)), context());
    expect(answer).toEqual(queued("A1"));
    expect(a.received).toHaveLength(1);
    expect(digest(a.received[0]!.body)).toBe(digest(body));
    expect(a.received[0]!.envelope.recipients.map((r) => r.address.raw)).toEqual(["x@a.example", "y@a.example"]);
    expect(a.received[0]!.headers).toEqual([{ name: "Subject", value: "test" }]);
  });
});

describe("fan-out to several handlers (one body, each its own envelope)", () => {
  it("two handlers get the same bytes and only their recipients; all positive → one positive reply (RFC 5321 §3.3)", async () => {
    const a = collector(() => queued("A"));
    const b = collector();
    const mux = new Mux().domain("a.example", a).domain("b.example", b);
    const body = pattern(300_000);
    const env = envelope(["1@a.example", "2@b.example", "3@a.example"]);
    const answer = await mux.data(message(env, new Source(body, 8192)), context());
    expect(answer).toEqual(queued("A"));
    expect(digest(a.received[0]!.body)).toBe(digest(body));
    expect(digest(b.received[0]!.body)).toBe(digest(body));
    expect(a.received[0]!.envelope.recipients.map((r) => r.address.raw)).toEqual(["1@a.example", "3@a.example"]);
    expect(b.received[0]!.envelope.recipients.map((r) => r.address.raw)).toEqual(["2@b.example"]);
  });

  it("all handlers answering the default → undefined (the server's default 250)", async () => {
    const mux = new Mux().domain("a.example", collector()).domain("b.example", nullHandler);
    const answer = await mux.data(message(envelope(["1@a.example", "2@b.example"]), new Source(pattern(10_000), 1000)), context());
    expect(answer).toBeUndefined();
  });

  it("three handlers, one slow (yields between reads): every one gets every byte, in order", async () => {
    const fast = collector();
    const medium = collector();
    const slowChunks: Uint8Array[] = [];
    const slow: Handler = {
      async data(m) {
        for await (const chunk of m.body) {
          slowChunks.push(chunk);
          await settle(1);
        }
        return queued("slow");
      },
    };
    const mux = new Mux({ spillThresholdBytes: 16 * 1024 }).domain("f.example", fast).domain("m.example", medium).domain("s.example", slow);
    const body = pattern(512 * 1024, 7);
    const source = new Source(body, 4096);
    const answer = await mux.data(message(envelope(["a@f.example", "b@m.example", "c@s.example"]), source), context());
    expect(answer).toEqual(queued("slow"));
    expect(digest(fast.received[0]!.body)).toBe(digest(body));
    expect(digest(medium.received[0]!.body)).toBe(digest(body));
    expect(digest(concat(slowChunks))).toBe(digest(body));
    expect(source.pulledBytes).toBe(body.length);
  });

  it("a handler that returns early without reading does not stall the others", async () => {
    const reader = collector();
    const quitter: Handler = { data: () => reply(554, "5.7.1", "Not for us") };
    const mux = new Mux({ spillThresholdBytes: 8 * 1024 }).domain("r.example", reader).domain("q.example", quitter);
    const body = pattern(1024 * 1024);
    const answer = await mux.data(message(envelope(["x@r.example", "y@q.example"]), new Source(body, 4096)), context());
    expect(digest(reader.received[0]!.body)).toBe(digest(body));
    expect(answer).toEqual(reply(554, "5.7.1", "Not for us"));
  });

  it("a handler that stops reading midway (break) does not stall the others", async () => {
    const reader = collector();
    const partial: Handler = {
      async data(m) {
        for await (const _chunk of m.body) break;
      },
    };
    const mux = new Mux({ spillThresholdBytes: 8 * 1024 }).domain("r.example", reader).domain("p.example", partial);
    const body = pattern(256 * 1024);
    await mux.data(message(envelope(["x@r.example", "y@p.example"]), new Source(body, 4096)), context());
    expect(digest(reader.received[0]!.body)).toBe(digest(body));
  });

  it("a handler without a data hook: its recipients are accepted, the others still get the body", async () => {
    const reader = collector();
    const mux = new Mux({ spillThresholdBytes: 1024 }).domain("r.example", reader).domain("n.example", {});
    const body = pattern(64 * 1024);
    const lmtp = sessionInfo("lmtp");
    const answer = await mux.data(message(envelope(["x@n.example", "y@r.example"]), new Source(body, 1000), lmtp), context(lmtp));
    expect(answer).toEqual([undefined, undefined]);
    expect(digest(reader.received[0]!.body)).toBe(digest(body));
  });

  it("when every handler is done, the mux stops reading: the source's return() lets the server drain the rest", async () => {
    const oneChunk: Handler = {
      async data(m) {
        for await (const _chunk of m.body) return;
      },
    };
    const mux = new Mux().domain("a.example", oneChunk).domain("b.example", { data: () => undefined });
    const source = new Source(pattern(1024 * 1024), 4096);
    await mux.data(message(envelope(["x@a.example", "y@b.example"]), source), context());
    expect(source.pulledBytes).toBe(4096);
    expect(source.returned).toBe(true);
  });
});

describe("a handler that throws: its recipients fail, the others are unaffected", () => {
  it("SmtpError → its reply; any other error → 451 4.3.0 (LMTP, RFC 2033 §4.2: one reply per recipient)", async () => {
    const good = collector(() => queued("G"));
    const smtpError: Handler = {
      async data(m) {
        for await (const _chunk of m.body) throw SmtpError.of(552, "5.2.2", "Mailbox full");
      },
    };
    const crash: Handler = {
      data() {
        throw new TypeError("bug");
      },
    };
    const reported: [unknown, string[]][] = [];
    const onHandlerError = (error: unknown, c: { recipients: readonly { address: { raw: string } }[] }) =>
      void reported.push([error, c.recipients.map((r) => r.address.raw)]);
    const mux = new Mux({ spillThresholdBytes: 4096, onHandlerError }).domain("g.example", good).domain("s.example", smtpError).domain("c.example", crash);
    const body = pattern(200_000);
    const lmtp = sessionInfo("lmtp");
    const env = envelope(["1@s.example", "2@g.example", "3@c.example", "4@g.example"]);
    const answer = await mux.data(message(env, new Source(body, 4096), lmtp), context(lmtp));
    expect(answer).toEqual([reply(552, "5.2.2", "Mailbox full"), queued("G"), LOCAL_ERROR, queued("G")]);
    // Only the non-SmtpError is reported (the client never sees it).
    expect(reported).toHaveLength(1);
    expect(reported[0]![0]).toBeInstanceOf(TypeError);
    expect(reported[0]![1]).toEqual(["3@c.example"]);
    expect(LOCAL_ERROR.code).toBe(451);
    expect(LOCAL_ERROR.enhanced).toBe("4.3.0");
    expect(digest(good.received[0]!.body)).toBe(digest(body));
  });

  it("SMTP all-or-nothing: one reply, a transient failure before a permanent one", async () => {
    const good = collector();
    const permanent: Handler = { data: () => reply(550, "5.7.1", "Refused") };
    const transient: Handler = {
      data() {
        throw new Error("disk gone");
      },
    };
    const mux = new Mux({ onHandlerError: quiet }).domain("g.example", good).domain("p.example", permanent).domain("t.example", transient);
    const env = envelope(["1@g.example", "2@p.example", "3@t.example"]);
    const answer = await mux.data(message(env, new Source(pattern(50_000), 4096)), context());
    expect(answer).toBe(LOCAL_ERROR);
    const noTransient = await new Mux().domain("g.example", good).domain("p.example", permanent)
      .data(message(envelope(["1@g.example", "2@p.example"]), new Source(pattern(5000), 4096)), context());
    expect(noTransient).toEqual(reply(550, "5.7.1", "Refused"));
  });

  it("a body that fails (connection lost) fails every handler reading it", async () => {
    const a = collector();
    const b = collector();
    const mux = new Mux({ onHandlerError: quiet }).domain("a.example", a).domain("b.example", b);
    const lmtp = sessionInfo("lmtp");
    const answer = await mux.data(message(envelope(["x@a.example", "y@b.example"]), new Source(pattern(100_000), 4096, 40_000), lmtp), context(lmtp));
    expect(answer).toEqual([LOCAL_ERROR, LOCAL_ERROR]);
    expect(a.received).toHaveLength(0);
    expect(b.received).toHaveLength(0);
  });

  it("an abort (disconnect, timeout, shutdown) fails every handler waiting for bytes", async () => {
    const controller = new AbortController();
    const never = gate();
    const waiting = collector();
    const stuck: Handler = {
      async data() {
        await never.promise;
      },
    };
    const mux = new Mux({ onHandlerError: quiet, spillThresholdBytes: 4096 }).domain("w.example", waiting).domain("s.example", stuck);
    const lmtp = sessionInfo("lmtp");
    const source = new Source(pattern(1024 * 1024), 4096);
    const result = mux.data(message(envelope(["x@w.example", "y@s.example"]), source, lmtp), context(lmtp, controller.signal));
    await settle();
    controller.abort(new Error("client went away"));
    never.open();
    expect(await result).toEqual([LOCAL_ERROR, undefined]);
    expect(waiting.received).toHaveLength(0);
  });
});

describe("aborts and stalls", () => {
  it("an abort while the client sends nothing answers at once, without waiting for the stalled read", async () => {
    const controller = new AbortController();
    const stalled = gate();
    const first = gate();
    let reads = 0;
    const source: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          reads += 1;
          if (reads === 1) {
            first.open();
            return { done: false, value: pattern(100) };
          }
          await stalled.promise; // the client stopped sending
          return { done: true, value: undefined };
        },
      }),
    };
    const a = collector();
    const b = collector();
    const mux = new Mux({ onHandlerError: quiet }).domain("a.example", a).domain("b.example", b);
    const lmtp = sessionInfo("lmtp");
    const result = mux.data(message(envelope(["x@a.example", "y@b.example"]), source, lmtp), context(lmtp, controller.signal));
    await first.promise;
    await settle();
    controller.abort(new Error("timeout"));
    expect(await result).toEqual([LOCAL_ERROR, LOCAL_ERROR]);
    stalled.open();
  });
});

describe("LMTP: one reply per recipient, in envelope order (RFC 2033 §4.2)", () => {
  it("a handler's array answer is spread over its recipients, interleaved with the others'", async () => {
    const a: Handler = {
      async data(m) {
        for await (const _chunk of m.body) {
          // read all
        }
        return m.envelope.recipients.map((r) => (r.address.raw.startsWith("full") ? reply(452, "4.2.2", "Full") : queued(r.address.raw)));
      },
    };
    const b = collector(() => reply(250, "2.0.0", "B ok"));
    const mux = new Mux().domain("a.example", a).domain("b.example", b);
    const lmtp = sessionInfo("lmtp");
    const env = envelope(["one@a.example", "x@b.example", "full@a.example", "y@b.example"]);
    const answer = await mux.data(message(env, new Source(pattern(30_000), 1000), lmtp), context(lmtp));
    expect(answer).toEqual([queued("one@a.example"), reply(250, "2.0.0", "B ok"), reply(452, "4.2.2", "Full"), reply(250, "2.0.0", "B ok")]);
  });

  it("a short array is a handler bug: its missing recipients get 451 4.3.0", async () => {
    const mux = new Mux().domain("a.example", { data: () => [queued("1")] });
    const lmtp = sessionInfo("lmtp");
    const answer = await mux.data(message(envelope(["1@a.example", "2@a.example"]), new Source(pattern(10), 10), lmtp), context(lmtp));
    expect(answer).toEqual([queued("1"), LOCAL_ERROR]);
  });
});

describe("collapseReplies from @lmail/session, the SMTP all-or-nothing rule the mux applies", () => {
  it("first transient, else first permanent, else first explicit positive, else the default 250", () => {
    const ok = queued("x");
    const perm = reply(550, "5.1.1");
    const temp = reply(452, "4.3.1");
    const none: HookReply[] = [undefined, undefined];
    expect(collapseReplies([undefined, ok, perm, temp])).toBe(temp);
    expect(collapseReplies([undefined, ok, perm])).toBe(perm);
    expect(collapseReplies([undefined, ok])).toBe(ok);
    expect(collapseReplies(none)).toMatchObject({ code: 250 });
  });
});

describe("nullHandler", () => {
  it("reads the whole body, discards it, and answers the default 250", async () => {
    const source = new Source(pattern(100_000), 4096);
    const answer = await nullHandler.data?.(message(envelope(["a@b.example"]), source), context());
    expect(answer).toBeUndefined();
    expect(source.pulledBytes).toBe(100_000);
  });
});
