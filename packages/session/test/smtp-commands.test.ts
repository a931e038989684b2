import { reply } from "@lmail/codes";
import { describe, expect, it } from "vitest";
import { EHLO_DEFAULT, rcptFilter, text, transcript } from "./helpers.js";

describe("RFC 5321 §4.1 commands, plain SMTP", () => {
  it("§3.3: a whole mail transaction: EHLO, MAIL, RCPT, DATA, QUIT", async () => {
    const d = await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<alice@example.org>
      S: 250 2.1.0 Sender OK
      C: RCPT TO:<bob@example.com>
      S: 250 2.1.5 Recipient OK
      C: DATA
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: Subject: hi
      C:
      C: ..leading dot
      C: .
      S: 250 2.6.0 Message accepted for delivery
      C: QUIT
      S: 221 2.0.0 mx.example closing connection
      S: <closed>
    `);
    const types = d.events.map((e) => e.type);
    expect(types).toEqual(["connect", "helo", "mail", "rcpt", "data-start", ...types.slice(5, -2), "data-end", "close"]);
    const body = d.events.flatMap((e) => (e.type === "data-chunk" ? [text(e.bytes)] : [])).join("");
    expect(body).toBe("Subject: hi\r\n\r\n.leading dot\r\n");
    const end = d.events.find((e) => e.type === "data-end");
    expect(end).toMatchObject({ bytes: body.length, envelope: { from: { raw: "alice@example.org" }, bodyType: "7BIT", smtputf8: false } });
    expect(d.events.at(-1)).toEqual({ type: "close", reason: "quit" });
  });

  it("§4.1.1.1: HELO gets a one-line reply and no extensions; replies carry no enhanced codes after HELO", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C: HELO client.example
      S: 250 mx.example
      C: MAIL FROM:<a@example.org> SIZE=100
      S: 555 Parameter SIZE not recognized
      C: MAIL FROM:<a@example.org>
      S: 250 Sender OK
      C: RSET
      S: 250 Reset OK
    `);
  });

  it("§4.1.4: commands out of sequence get 503, before and after EHLO", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C: MAIL FROM:<a@example.org>
      S: 503 Error: send HELO/EHLO first
      C: RCPT TO:<b@example.com>
      S: 503 Error: need MAIL command
      C: DATA
      S: 503 Error: need RCPT command
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: RCPT TO:<b@example.com>
      S: 503 5.5.1 Error: need MAIL command
      C: DATA
      S: 503 5.5.1 Error: need RCPT command
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
      C: MAIL FROM:<a@example.org>
      S: 503 5.5.1 Error: nested MAIL command
      C: DATA
      S: 503 5.5.1 Error: need RCPT command
    `);
  });

  it("RFC 2920 §3.1: DATA after every RCPT was refused gets 554 no valid recipients", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<unknown1@example.com>
      C: RCPT TO:<unknown2@example.com>
      C: DATA
      S: 250 2.1.0 Sender OK
      S: 550 5.1.1 No such user
      S: 550 5.1.1 No such user
      S: 554 5.5.1 Error: no valid recipients
    `,
      {},
      rcptFilter(reply(550, "5.1.1", "No such user")),
    );
  });

  it("§4.1.1.5 RSET and §4.1.4 EHLO abandon the transaction (a reset event)", async () => {
    const d = await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
      C: RSET
      S: 250 2.0.0 Reset OK
      C: RCPT TO:<b@example.com>
      S: 503 5.5.1 Error: need MAIL command
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
      C: EHLO again.example
      ${EHLO_DEFAULT.replace("client.example", "again.example")}
      C: RCPT TO:<b@example.com>
      S: 503 5.5.1 Error: need MAIL command
      C: RSET
      S: 250 2.0.0 Reset OK
    `);
    expect(d.events.filter((e) => e.type === "reset")).toHaveLength(2);
    expect(d.session.info).toMatchObject({ heloName: "again.example", heloVerb: "EHLO" });
  });

  it("§4.1.1.9, §4.1.1.6-8: NOOP, VRFY (252, no user enumeration), EXPN, HELP work before HELO", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C: NOOP
      S: 250 OK
      C: VRFY root
      S: 252 Cannot VRFY user, but will accept message and attempt delivery
      C: EXPN staff
      S: 502 EXPN is not supported
      C: HELP
      S: 214-Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP
      S: 214 See RFC 5321
      C: RSET
      S: 250 Reset OK
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: VRFY root
      S: 252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery
      C: NOOP hello
      S: 250 2.0.0 OK
    `);
  });

  it("§4.2.4: unknown commands get 500, bad arguments 501, unknown parameters 555", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C: FOO bar
      S: 500 Command unrecognized
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: FOO
      S: 500 5.5.1 Command unrecognized
      C: MAIL TO:<a@example.org>
      S: 501 5.5.4 Syntax: MAIL FROM:<address> [parameters]
      C: MAIL FROM:<a@example.org> FOO=BAR
      S: 555 5.5.4 Parameter FOO not recognized
      C: DATA now
      S: 501 5.5.4 Syntax: DATA takes no arguments
    `);
  });

  it("QUIT in a transaction abandons it; EOF closes without a reply", async () => {
    const d = await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      C: QUIT
      C: NOOP
      S: 250 2.1.0 Sender OK
      S: 221 2.0.0 mx.example closing connection
      S: <closed>
    `);
    expect(d.events.slice(-2)).toEqual([{ type: "reset" }, { type: "close", reason: "quit" }]);
    const e = await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      C: <eof>
      ${EHLO_DEFAULT}
      S: <closed>
    `);
    expect(e.events.at(-1)).toEqual({ type: "close", reason: "eof" });
  });

  it("EOF inside DATA abandons the transaction: reset, then close, never data-end", async () => {
    const d = await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: DATA
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: partial body
      C: <eof>
      S: <closed>
    `);
    expect(d.events.some((e) => e.type === "data-end")).toBe(false);
    expect(d.events.slice(-2)).toEqual([{ type: "reset" }, { type: "close", reason: "eof" }]);
  });

  it("the application's refusals are sent as given, with an enhanced code added when it has none", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<spam@example.org>
      S: 550 5.0.0 Go away
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
      C: RCPT TO:<b@example.com>
      S: 451 4.0.0 Try later
    `,
      {},
      (e) => {
        if (e.type === "mail" && e.from?.raw === "spam@example.org") return reply(550, undefined, "Go away");
        if (e.type === "rcpt") return reply(451, undefined, "Try later");
        return undefined;
      },
    );
  });

  it("§4.1.4: a refused EHLO leaves the session in the state it was in", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO bad.example
      S: 550 Not you
      C: MAIL FROM:<a@example.org>
      S: 503 Error: send HELO/EHLO first
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
      C: EHLO bad.example
      S: 550 5.0.0 Not you
      C: RCPT TO:<b@example.com>
      S: 250 2.1.5 Recipient OK
    `,
      {},
      (e) => (e.type === "helo" && e.name === "bad.example" ? reply(550, undefined, "Not you") : undefined),
    );
    expect(d.events.some((e) => e.type === "reset")).toBe(false);
    expect(d.session.info.heloName).toBe("client.example");
  });

  it("the null reverse-path <> and <Postmaster> are accepted (RFC 5321 §4.5.5, §4.1.1.3)", async () => {
    const d = await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<>
      S: 250 2.1.0 Sender OK
      C: RCPT TO:<Postmaster>
      S: 250 2.1.5 Recipient OK
    `);
    expect(d.events.find((e) => e.type === "mail")).toMatchObject({ from: null });
    expect(d.session.envelope?.recipients[0]?.address).toMatchObject({ postmaster: true });
  });
});
