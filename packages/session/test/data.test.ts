import { describe, expect, it } from "vitest";
import { EHLO_DEFAULT, text, transcript } from "./helpers.js";

const START = `
  S: 220 mx.example ESMTP
  C: EHLO client.example
  ${EHLO_DEFAULT}
`;

describe("message data, SIZE and the body extensions", () => {
  it("RFC 1870 §6.2: a declared SIZE over the limit gets 552 5.3.4 at MAIL", async () => {
    await transcript(`${START}
      C: MAIL FROM:<a@example.org> SIZE=26214401
      S: 552 5.3.4 Message too big for system
      C: MAIL FROM:<a@example.org> SIZE=26214400
      S: 250 2.1.0 Sender OK
    `);
  });

  it("RFC 1870 §6.3: a body over the limit gets 552 5.3.4 after its end, is never delivered, and the transaction is reset", async () => {
    const d = await transcript(
      `${START.replace("SIZE 26214400", "SIZE 16")}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: DATA
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: 0123456789
      C: 0123456789
      C: .
      S: 552 5.3.4 Message too big for system
      C: RCPT TO:<b@example.com>
      S: 503 5.5.1 Error: need MAIL command
    `,
      { limits: { maxMessageBytes: 16 } },
    );
    const types = d.events.map((e) => e.type);
    expect(types).not.toContain("data-end");
    expect(types.slice(types.indexOf("data-rejected"), types.indexOf("data-rejected") + 2)).toEqual(["data-rejected", "reset"]);
  });

  it("a bare LF in the body is refused after the end (550 5.5.2) by default; normalised when configured", async () => {
    await transcript(`${START}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: DATA
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C~ a\\nb\\r\\n.\\r\\n
      S: 550 5.5.2 Message refused: bare CR or LF in message text
    `);
    const d = await transcript(
      `${START}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: DATA
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C~ a\\nb\\r\\n.\\r\\n
      S: 250 2.6.0 Message accepted for delivery
    `,
      { bodyLineEndings: "normalize" },
    );
    expect(d.events.flatMap((e) => (e.type === "data-chunk" ? [text(e.bytes)] : [])).join("")).toBe("a\r\nb\r\n");
  });

  it("RFC 6531 SMTPUTF8 and RFC 6152 8BITMIME: UTF-8 addresses only in an SMTPUTF8 transaction", async () => {
    const d = await transcript(`${START}
      C: MAIL FROM:<jörg@example.org>
      S: 553 5.6.7 Non-ASCII address requires SMTPUTF8
      C: MAIL FROM:<jörg@example.org> SMTPUTF8 BODY=8BITMIME
      S: 250 2.1.0 Sender OK
      C: RCPT TO:<用户@例子.example>
      S: 250 2.1.5 Recipient OK
    `);
    expect(d.session.envelope).toMatchObject({ smtputf8: true, bodyType: "8BITMIME" });
    await transcript(`${START}
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
      C: RCPT TO:<用户@例子.example>
      S: 553 5.6.7 Non-ASCII address requires SMTPUTF8
    `);
  });

  it("RFC 3461 DSN: NOTIFY, ORCPT, RET and ENVID reach the application", async () => {
    const d = await transcript(`${START}
      C: MAIL FROM:<a@example.org> RET=HDRS ENVID=abc123
      S: 250 2.1.0 Sender OK
      C: RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.com
      S: 250 2.1.5 Recipient OK
    `);
    expect(d.events.find((e) => e.type === "mail")).toMatchObject({ params: { ret: "HDRS", envid: "abc123" } });
    expect(d.events.find((e) => e.type === "rcpt")).toMatchObject({
      recipient: { params: { notify: ["SUCCESS", "FAILURE"], orcpt: { addressType: "rfc822", address: "b@example.com" } } },
    });
  });

  it("RFC 8689: REQUIRETLS is not accepted without TLS", async () => {
    await transcript(`${START}
      C: MAIL FROM:<a@example.org> REQUIRETLS
      S: 555 5.5.4 Parameter REQUIRETLS not recognized
    `);
  });
});
