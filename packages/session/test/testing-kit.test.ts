import { describe, expect, it } from "vitest";
import {
  ReplyReader,
  SessionDriver,
  TranscriptMismatchError,
  TranscriptSyntaxError,
  isLastReplyLine,
  parseTranscript,
  runTranscript,
  unescapeClientText,
  type TranscriptDriver,
} from "../src/testing/index.js";
import { bytes, driver, options, text } from "./helpers.js";

describe("@lmail/session/testing: the transcript kit", () => {
  it("parses C:, C~ and S: lines: client lines batch into one write, replies group by their last line", () => {
    const steps = parseTranscript(`
      # comment
      S: 220 hi
      C: EHLO x
      C~ NOOP\\r\\n
      S: 250-a
      S: 250 b
      C: <eof>
      S: <closed>
    `);
    expect(steps.map((s) => s.kind)).toEqual(["reply", "send", "reply", "eof", "closed"]);
    expect(steps[1]).toMatchObject({ kind: "send", line: 4 });
    expect(text(steps[1]?.kind === "send" ? steps[1].bytes : undefined)).toBe("EHLO x\r\nNOOP\r\n");
    expect(steps[2]).toMatchObject({ kind: "reply", text: "250-a\r\n250 b\r\n" });
  });

  it("escapes: \\r \\n \\t \\\\ \\xHH; anything else is a syntax error", () => {
    expect([...unescapeClientText("a\\r\\n\\t\\\\\\x00\\xFFé")]).toEqual([0x61, 13, 10, 9, 92, 0, 255, 0xc3, 0xa9]);
    expect(() => unescapeClientText("\\q", 7)).toThrow(/line 7: unknown escape \\q/);
    expect(() => unescapeClientText("\\x1")).toThrow(TranscriptSyntaxError);
  });

  it("rejects malformed transcripts", () => {
    expect(() => parseTranscript("X: what")).toThrow(TranscriptSyntaxError);
    expect(() => parseTranscript("S: hello")).toThrow(/not a reply line/);
    expect(() => parseTranscript("S: 250-more")).toThrow(/ends inside a reply/);
    expect(() => parseTranscript("S: 250-more\nC: NOOP")).toThrow(/unfinished/);
    expect(() => parseTranscript("S: 250-more\nS: <closed>")).toThrow(/unfinished/);
    expect(isLastReplyLine("250")).toBe(true);
    expect(isLastReplyLine("250-x")).toBe(false);
  });

  it("a mismatch names the transcript line and shows both replies", async () => {
    const err = await runTranscript(driver(), "S: 220 mx.example SMTP").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TranscriptMismatchError);
    expect(err).toMatchObject({ line: 1, expected: "220 mx.example SMTP\r\n", actual: "220 mx.example ESMTP\r\n" });
    const closed = await runTranscript(driver(), "S: <closed>").catch((e: unknown) => e);
    expect(closed).toMatchObject({ expected: "<closed>", actual: "220 mx.example ESMTP\r\n" });
    const early = await runTranscript(driver(), "S: 220 mx.example ESMTP\nC: QUIT\nS: 221 mx.example closing connection\nS: 250 more").catch((e: unknown) => e);
    expect((early as Error).message).toContain("<closed>");
  });

  it("the session driver says when no reply will come", async () => {
    const d = driver();
    expect(await d.readReply()).toBe("220 mx.example ESMTP\r\n");
    await d.send(bytes("NOOP"));
    await expect(d.readReply()).rejects.toThrow(/no reply: the session waits for more input/);
  });

  it("ReplyReader splits a byte stream into replies across writes", () => {
    const r = new ReplyReader();
    r.push(bytes("250-a\r\n25"));
    expect(r.take()).toBeUndefined();
    r.push(bytes("0 b\r\n221 bye\r\n"));
    expect(r.take()).toBe("250-a\r\n250 b\r\n");
    expect(r.take()).toBe("221 bye\r\n");
    expect(r.rest).toBe("");
  });

  it("the driver interface is all a socket driver needs (a minimal scripted driver passes a transcript)", async () => {
    const replies = ["220 hi\r\n", "250 ok\r\n"];
    const sent: string[] = [];
    const scripted: TranscriptDriver = {
      send: (b) => Promise.resolve(void sent.push(text(b))),
      end: () => Promise.resolve(),
      readReply: () => Promise.resolve(replies.shift()),
      close: () => Promise.resolve(),
    };
    await runTranscript(scripted, "S: 220 hi\nC: NOOP\nS: 250 ok\nC: <eof>\nS: <closed>");
    expect(sent).toEqual(["NOOP\r\n"]);
  });

  it("the session driver records events, reports them as they come, and takes a session or options", async () => {
    const seen: string[] = [];
    const d = new SessionDriver(options(), { onEvent: (e) => seen.push(e.type) });
    await runTranscript(d, "S: 220 mx.example ESMTP\nC: QUIT\nS: 221 mx.example closing connection\nS: <closed>");
    expect(seen).toEqual(["connect", "close"]);
    expect(d.events.map((e) => e.type)).toEqual(seen);
    expect(d.closed).toBe(true);
    expect(new SessionDriver(d.session).session).toBe(d.session);
  });
});
