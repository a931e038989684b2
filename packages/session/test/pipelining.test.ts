import { reply } from "@lmail/codes";
import { describe, expect, it } from "vitest";
import { NEED_DATA, PAUSED, type DecisionEvent, type SessionEvent } from "../src/index.js";
import { EHLO_DEFAULT, bytes, session, text, transcript } from "./helpers.js";

/** Pull events until a decision (returned) or NEED_DATA. */
function untilDecision(s: ReturnType<typeof session>, seen: SessionEvent[] = []): DecisionEvent | typeof NEED_DATA {
  for (;;) {
    const e = s.nextEvent();
    if (e === NEED_DATA) return e;
    if (e === PAUSED) throw new Error("paused without a decision in hand");
    seen.push(e);
    if (e.type === "connect" || e.type === "helo" || e.type === "mail" || e.type === "rcpt" || e.type === "data-end" || e.type === "auth") return e;
  }
}

describe("RFC 2920 PIPELINING", () => {
  it("§3.1: a whole pipelined transaction in one write is answered in order", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: RCPT TO:<c@example.com>
      C: DATA
      C: Hello
      C: .
      C: QUIT
      ${EHLO_DEFAULT}
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      S: 250 2.6.0 Message accepted for delivery
      S: 221 2.0.0 mx.example closing connection
      S: <closed>
    `);
  });

  it("replies stay in order while decisions are slow: nothing is answered before the pending decision", () => {
    const s = session();
    expect(untilDecision(s)).toEqual({ type: "connect" });
    s.respond();
    expect(text(s.dataToSend())).toBe("220 mx.example ESMTP\r\n");
    s.receiveData(bytes("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nNOOP\r\nRCPT TO:<b@example.com>\r\nRSET\r\n"));
    expect(untilDecision(s)).toMatchObject({ type: "helo" });
    s.respond();
    expect(untilDecision(s)).toMatchObject({ type: "mail" });
    // The MAIL decision is slow: meanwhile the session holds everything, answers nothing more.
    expect(s.nextEvent()).toBe(PAUSED);
    expect(s.nextEvent()).toBe(PAUSED);
    expect(s.timeout).toBe("decision");
    const before = text(s.dataToSend());
    expect(before).toMatch(/^250-mx\.example Hello c\.example\r\n/);
    expect(before).not.toContain("2.0.0 OK");
    s.receiveData(bytes("QUIT\r\n"));
    expect(s.nextEvent()).toBe(PAUSED);
    expect(s.dataToSend()).toBeUndefined();
    s.respond(reply(451, "4.3.0", "Slow and failed"));
    expect(untilDecision(s)).toBe(NEED_DATA);
    expect(text(s.dataToSend())).toBe(
      "451 4.3.0 Slow and failed\r\n250 2.0.0 OK\r\n503 5.5.1 Error: need MAIL command\r\n250 2.0.0 Reset OK\r\n221 2.0.0 mx.example closing connection\r\n",
    );
    expect(s.closed).toBe(true);
  });

  it("nothing after DATA is read as a command: pipelined body bytes that look like commands are body", async () => {
    const d = await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: DATA
      C: RSET
      C: QUIT
      C: .
      C: NOOP
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      S: 250 2.6.0 Message accepted for delivery
      S: 250 2.0.0 OK
    `);
    const body = d.events.flatMap((e) => (e.type === "data-chunk" ? [text(e.bytes)] : [])).join("");
    expect(body).toBe("RSET\r\nQUIT\r\n");
  });

  it("a refused DATA leaves the following lines as commands (the client must wait for 354)", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      C: DATA
      C: NOOP
      S: 250 2.1.0 Sender OK
      S: 503 5.5.1 Error: need RCPT command
      S: 250 2.0.0 OK
    `);
  });

  it("decisions answered asynchronously still give replies in command order", async () => {
    let n = 0;
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b1@example.com>
      C: RCPT TO:<b2@example.com>
      C: RCPT TO:<b3@example.com>
      ${EHLO_DEFAULT}
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 one
      S: 550 5.1.1 two
      S: 250 2.1.5 three
    `,
      {},
      async (e) => {
        for (let i = 0; i < 5; i++) await Promise.resolve();
        if (e.type !== "rcpt") return undefined;
        n++;
        return n === 2 ? reply(550, "5.1.1", "two") : reply(250, "2.1.5", n === 1 ? "one" : "three");
      },
    );
  });
});
