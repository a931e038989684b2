import { reply } from "@lmail/codes";
import { describe, expect, it } from "vitest";
import { NEED_DATA, SessionUsageError } from "../src/index.js";
import { bytes, rcptFilter, session, text, transcript } from "./helpers.js";

const LHLO = `S: 250-mx.example Hello client.example
S: 250-PIPELINING
S: 250-SIZE 26214400
S: 250-8BITMIME
S: 250-SMTPUTF8
S: 250-ENHANCEDSTATUSCODES
S: 250-CHUNKING
S: 250-BINARYMIME
S: 250 DSN`;

describe("RFC 2033 LMTP", () => {
  it("§4.1: LHLO only; HELO and EHLO are unknown commands; the greeting says LMTP", async () => {
    await transcript(
      `
      S: 220 mx.example LMTP
      C: HELO client.example
      S: 500 Command unrecognized
      C: EHLO client.example
      S: 500 Command unrecognized
      C: LHLO client.example
      ${LHLO}
    `,
      { protocol: "lmtp" },
    );
  });

  it("SMTP does not know LHLO", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C: LHLO client.example
      S: 500 Command unrecognized
    `);
  });

  it("§4.2: after the data, one reply per accepted recipient, in order (refused RCPTs get none)", async () => {
    const d = await transcript(
      `
      S: 220 mx.example LMTP
      C: LHLO client.example
      ${LHLO}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: RCPT TO:<unknown@example.com>
      C: RCPT TO:<c@example.com>
      C: DATA
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 550 5.1.1 No such user
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: Hi
      C: .
      S: 250 2.6.0 <b@example.com> delivered
      S: 452 4.2.2 <c@example.com> mailbox full
    `,
      { protocol: "lmtp" },
      (e) => {
        if (e.type === "data-end") {
          return e.envelope.recipients.map((r, i) =>
            i === 0 ? reply(250, "2.6.0", `<${r.address.raw}> delivered`) : reply(452, "4.2.2", `<${r.address.raw}> mailbox full`),
          );
        }
        return rcptFilter(reply(550, "5.1.1", "No such user"))(e);
      },
    );
    expect(d.events.find((e) => e.type === "data-end")).toMatchObject({ envelope: { recipients: [{}, {}] } });
  });

  it("§4.2: one reply (or none) from the application is sent once per recipient; also after BDAT LAST", async () => {
    await transcript(
      `
      S: 220 mx.example LMTP
      C: LHLO client.example
      ${LHLO}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: RCPT TO:<c@example.com>
      C~ BDAT 2 LAST\\r\\nhi
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 250 2.1.5 Recipient OK
      S: 250 2.6.0 Message accepted for delivery
      S: 250 2.6.0 Message accepted for delivery
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: RCPT TO:<c@example.com>
      C: DATA
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: .
      S: 451 4.3.0 Later
      S: 451 4.3.0 Later
    `,
      { protocol: "lmtp" },
      (e) => (e.type === "data-end" && e.bytes === 0 ? reply(451, "4.3.0", "Later") : undefined),
    );
  });

  it("§4.2: a body the session refuses (too big) gets the refusal once per recipient", async () => {
    await transcript(
      `
      S: 220 mx.example LMTP
      C: LHLO client.example
      ${LHLO.replace("SIZE 26214400", "SIZE 4")}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: RCPT TO:<c@example.com>
      C: DATA
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 250 2.1.5 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: Too long a body
      C: .
      S: 552 5.3.4 Message too big for system
      S: 552 5.3.4 Message too big for system
    `,
      { protocol: "lmtp", limits: { maxMessageBytes: 4 } },
    );
  });

  it("a list of replies of the wrong length is a usage error; the decision stays pending", () => {
    const s = session({ protocol: "lmtp" });
    s.nextEvent();
    s.respond();
    s.receiveData(bytes("LHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n.\r\n"));
    let end;
    for (let e = s.nextEvent(); e !== NEED_DATA; e = s.nextEvent()) {
      if (typeof e !== "object") break;
      if (e.type === "data-end") {
        end = e;
        break;
      }
      if (e.type === "helo" || e.type === "mail" || e.type === "rcpt") s.respond();
    }
    expect(end).toMatchObject({ type: "data-end" });
    expect(() => s.respond([undefined, undefined])).toThrow(SessionUsageError);
    s.respond([reply(250, "2.6.0", "ok")]);
    expect(text(s.dataToSend())).toMatch(/250 2\.6\.0 ok\r\n$/);
  });
});

