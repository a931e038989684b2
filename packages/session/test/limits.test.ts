import { reply } from "@lmail/codes";
import { describe, expect, it } from "vitest";
import { NEED_DATA, PAUSED } from "../src/index.js";
import { EHLO_DEFAULT, bytes, session, text, transcript } from "./helpers.js";

describe("limits, each with its default and reason", () => {
  it("RFC 5321 §4.5.3.1.10: recipients past maxRecipients get 452 4.5.3; the transaction goes on", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b1@example.com>
      C: RCPT TO:<b2@example.com>
      C: RCPT TO:<b3@example.com>
      C: DATA
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 250 2.1.5 Recipient OK
      S: 452 4.5.3 Error: too many recipients
      S: 354 Start mail input; end with <CRLF>.<CRLF>
    `,
      { limits: { maxRecipients: 2 } },
    );
    expect(d.session.envelope?.recipients.map((r) => r.address.raw)).toEqual(["b1@example.com", "b2@example.com"]);
  });

  it("limits are read per session: a limits object changed between two sessions takes effect", async () => {
    const limits = { maxRecipients: 2 };
    const script = (third: string) => `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b1@example.com>
      C: RCPT TO:<b2@example.com>
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      ${third}
    `;
    await transcript(script("S: 250 2.1.5 Recipient OK"), { limits });
    limits.maxRecipients = 1;
    await transcript(script("S: 452 4.5.3 Error: too many recipients"), { limits });
    limits.maxRecipients = 2;
    await transcript(script("S: 250 2.1.5 Recipient OK"), { limits });
  });

  it("the default recipient limit is 100 (RFC 5321 §4.5.3.1.8)", async () => {
    const rcpts = Array.from({ length: 101 }, (_, i) => `C: RCPT TO:<b${String(i)}@example.com>`).join("\n");
    const oks = Array.from({ length: 100 }, () => "S: 250 2.1.5 Recipient OK").join("\n");
    await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      ${rcpts}
      S: 250 2.1.0 Sender OK
      ${oks}
      S: 452 4.5.3 Error: too many recipients
    `);
  });

  it("RFC 5321 §4.5.3.1.4: a command line over 512 octets gets 500 5.5.2; the session goes on", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C: NOOP ${"x".repeat(520)}
      S: 500 Line too long
      C: NOOP
      S: 250 OK
    `);
  });

  it("maxErrors: the last allowed error is followed by 421 and the session closes", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: RCPT TO:<a@example.org>
      C: DATA
      C: MAIL FROM:<bad
      C: NOOP
      S: 503 5.5.1 Error: need MAIL command
      S: 503 5.5.1 Error: need RCPT command
      S: 501 5.5.4 Syntax: MAIL FROM:<address> [parameters]
      S: 421 4.7.0 mx.example Error: too many errors, closing connection
      S: <closed>
    `,
      { limits: { maxErrors: 3 } },
    );
    expect(d.events.at(-1)).toEqual({ type: "close", reason: "too-many-errors" });
  });

  it("maxUnknownCommands: a client that sends junk verbs is closed", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: XYZZY
      C: PLUGH
      C: NOOP
      S: 500 Command unrecognized
      S: 500 Command unrecognized
      S: 421 mx.example Error: too many unrecognized commands, closing connection
      S: <closed>
    `,
      { limits: { maxUnknownCommands: 2 } },
    );
  });

  it("maxJunkCommands: NOOP, RSET, VRFY, HELP are bounded per session", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: NOOP
      C: RSET
      C: VRFY x
      C: HELP
      S: 250 OK
      S: 250 Reset OK
      S: 252 Cannot VRFY user, but will accept message and attempt delivery
      S: 421 mx.example Error: too many commands, closing connection
      S: <closed>
    `,
      { limits: { maxJunkCommands: 3 } },
    );
  });

  it("0 turns a count limit off", async () => {
    const noops = Array.from({ length: 30 }, () => "C: FOO").join("\n");
    const replies = Array.from({ length: 30 }, () => "S: 500 Command unrecognized").join("\n");
    await transcript(`S: 220 mx.example ESMTP\n${noops}\n${replies}`, { limits: { maxErrors: 0, maxUnknownCommands: 0 } });
  });

  it("maxPendingInputBytes: a client that keeps writing while a decision is pending gets 421 and is closed", () => {
    const s = session({ limits: { maxPendingInputBytes: 64 } });
    s.nextEvent();
    s.respond();
    s.receiveData(bytes("EHLO c.example\r\n"));
    expect(s.nextEvent()).toMatchObject({ type: "helo" });
    s.receiveData(bytes("NOOP\r\n".repeat(10)));
    expect(s.nextEvent()).toBe(PAUSED);
    expect(s.bufferedBytes).toBe(60);
    s.receiveData(bytes("NOOP\r\n"));
    expect(s.closed).toBe(true);
    expect(s.nextEvent()).toEqual({ type: "close", reason: "input-overflow" });
    expect(text(s.dataToSend())).toBe("220 mx.example ESMTP\r\n421 mx.example Error: too much pipelined input, closing connection\r\n");
    // a late answer from the application is ignored
    s.respond();
    expect(s.nextEvent()).toBe(NEED_DATA);
    expect(s.dataToSend()).toBeUndefined();
  });

  it("cross-protocol: an HTTP request line gets one 500 and the session closes", async () => {
    const d = await transcript(`
      S: 220 mx.example ESMTP
      C: GET / HTTP/1.1
      C: Host: mx.example
      S: 500 Command unrecognized: this is an SMTP server
      S: <closed>
    `);
    expect(d.events.at(-1)).toEqual({ type: "close", reason: "cross-protocol" });
  });

  it("cross-protocol: a TLS ClientHello on the plain port is answered and closed", async () => {
    const d = await transcript(`
      S: 220 mx.example ESMTP
      C~ \\x16\\x03\\x01\\x00\\xa5\\x01
      S: 500 Command unrecognized: this is an SMTP server
      S: <closed>
    `);
    expect(d.events.at(-1)).toEqual({ type: "close", reason: "cross-protocol" });
  });

  it("RFC 5321 §2.3.8: a bare LF in a command line is refused by default, accepted when configured", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C~ NOOP\\nNOOP\\r\\n
      S: 500 Bare CR or LF in command line
    `);
    await transcript(
      `
      S: 220 mx.example ESMTP
      C~ NOOP\\nNOOP\\r\\n
      S: 250 OK
      S: 250 OK
    `,
      { commandLineEndings: "accept" },
    );
  });
});

describe("counts are per delivered message", () => {
  it("a client reusing its connection (RSET and an error between messages) is never cut off", async () => {
    const tx = `
      C: RSET
      C: FOO
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: DATA
      C: hi
      C: .
      S: 250 2.0.0 Reset OK
      S: 500 5.5.1 Command unrecognized
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      S: 250 2.6.0 Message accepted for delivery`;
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      ${tx.repeat(5)}
    `,
      { limits: { maxErrors: 2, maxJunkCommands: 2, maxUnknownCommands: 0 } },
    );
  });

  it("a refused message does not reset the counts", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: FOO
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: DATA
      C: hi
      C: .
      C: FOO
      S: 500 5.5.1 Command unrecognized
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      S: 554 5.7.1 Spam
      S: 500 5.5.1 Command unrecognized
      S: 421 4.7.0 mx.example Error: too many errors, closing connection
      S: <closed>
    `,
      { limits: { maxErrors: 2, maxUnknownCommands: 0 } },
      (e) => (e.type === "data-end" ? reply(554, "5.7.1", "Spam") : undefined),
    );
  });
});
