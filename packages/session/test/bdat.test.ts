import { reply } from "@lmail/codes";
import { describe, expect, it } from "vitest";
import { NEED_DATA } from "../src/index.js";
import { EHLO_DEFAULT, bytes, rcptFilter, session, text, transcript } from "./helpers.js";

const START = `
  S: 220 mx.example ESMTP
  C: EHLO client.example
  ${EHLO_DEFAULT}
  C: MAIL FROM:<a@example.org>
  S: 250 2.1.0 Sender OK
  C: RCPT TO:<b@example.com>
  S: 250 2.1.5 Recipient OK
`;

const body = (d: Awaited<ReturnType<typeof transcript>>): string =>
  d.events.flatMap((e) => (e.type === "data-chunk" ? [text(e.bytes)] : [])).join("");

describe("RFC 3030 CHUNKING (BDAT) and BINARYMIME", () => {
  it("§2: one chunk with LAST: its octets are the message, taken verbatim (no dot-unstuffing)", async () => {
    const d = await transcript(`${START}
      C~ BDAT 11 LAST\\r\\n..x\\r\\n.\\r\\nabc
      S: 250 2.6.0 Message accepted for delivery
    `);
    expect(body(d)).toBe("..x\r\n.\r\nabc");
    expect(d.events.find((e) => e.type === "data-start")).toMatchObject({ transfer: "BDAT" });
    expect(d.events.find((e) => e.type === "data-end")).toMatchObject({ bytes: 11 });
  });

  it("§2: several chunks, each acknowledged, then BDAT 0 LAST ends the message", async () => {
    const d = await transcript(`${START}
      C~ BDAT 3\\r\\nabc
      S: 250 2.0.0 3 octets received
      C~ BDAT 4\\r\\nMAIL
      S: 250 2.0.0 7 octets received
      C: BDAT 0 LAST
      S: 250 2.6.0 Message accepted for delivery
      C: MAIL FROM:<next@example.org>
      S: 250 2.1.0 Sender OK
    `);
    expect(body(d)).toBe("abcMAIL");
    expect(d.events.filter((e) => e.type === "data-start")).toHaveLength(1);
  });

  it("BDAT 0 LAST as the only chunk is an empty message", async () => {
    const d = await transcript(`${START}
      C: BDAT 0 LAST
      S: 250 2.6.0 Message accepted for delivery
    `);
    expect(d.events.find((e) => e.type === "data-end")).toMatchObject({ bytes: 0 });
  });

  it("BDAT mixed with pipelining: MAIL, RCPT, BDAT with its octets, and QUIT in one write", async () => {
    const d = await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org> BODY=BINARYMIME
      C: RCPT TO:<b@example.com>
      C~ BDAT 6\\r\\nQUIT\\r\\n
      C~ BDAT 2 LAST\\r\\n\\x00\\xff
      C: QUIT
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 250 2.0.0 6 octets received
      S: 250 2.6.0 Message accepted for delivery
      S: 221 2.0.0 mx.example closing connection
      S: <closed>
    `);
    const chunks = d.events.flatMap((e) => (e.type === "data-chunk" ? [...e.bytes] : []));
    expect(chunks).toEqual([...bytes("QUIT\r\n"), 0x00, 0xff]);
    expect(d.events.find((e) => e.type === "data-end")).toMatchObject({ envelope: { bodyType: "BINARYMIME" } });
  });

  it("§2: BDAT out of sequence is refused with 503 after its octets were read (they are never commands)", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C~ BDAT 6\\r\\nQUIT\\r\\n
      S: 503 Error: need MAIL command
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C~ BDAT 6 LAST\\r\\nRSET\\r\\n
      S: 503 5.5.1 Error: need MAIL command
      C: MAIL FROM:<a@example.org>
      C~ BDAT 6 LAST\\r\\nRSET\\r\\n
      S: 250 2.1.0 Sender OK
      S: 503 5.5.1 Error: need RCPT command
      C: NOOP
      S: 250 2.0.0 OK
    `);
  });

  it("BDAT after every RCPT was refused gets 554 after its octets", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<unknown@example.com>
      C~ BDAT 4 LAST\\r\\nQUIT
      C: NOOP
      S: 250 2.1.0 Sender OK
      S: 550 5.1.1 No such user
      S: 554 5.5.1 Error: no valid recipients
      S: 250 2.0.0 OK
    `,
      {},
      rcptFilter(reply(550, "5.1.1", "No such user")),
    );
  });

  it("§3: DATA and BDAT cannot be mixed in one transaction; RCPT after BDAT is refused", async () => {
    await transcript(`${START}
      C~ BDAT 2\\r\\nab
      S: 250 2.0.0 2 octets received
      C: DATA
      S: 503 5.5.1 Error: DATA and BDAT cannot be mixed in one transaction
      C: RCPT TO:<c@example.com>
      S: 503 5.5.1 Error: RCPT after BDAT
      C: BDAT 0 LAST
      S: 250 2.6.0 Message accepted for delivery
    `);
  });

  it("§3 BINARYMIME: BODY=BINARYMIME with DATA gets 503", async () => {
    await transcript(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_DEFAULT}
      C: MAIL FROM:<a@example.org> BODY=BINARYMIME
      C: RCPT TO:<b@example.com>
      C: DATA
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 503 5.5.1 Error: BODY=BINARYMIME requires BDAT
    `);
  });

  it("§2: a chunk over the size limit fails the transaction: 552, then BDAT gets 503 (octets read) until RSET", async () => {
    const d = await transcript(
      `${START}
      C~ BDAT 8\\r\\n12345678
      S: 250 2.0.0 8 octets received
      C~ BDAT 8\\r\\n12345678
      S: 552 5.3.4 Message too big for system
      C~ BDAT 4 LAST\\r\\nQUIT
      S: 503 5.5.1 Error: send RSET after a failed BDAT
      C: RCPT TO:<b@example.com>
      S: 503 5.5.1 Error: need MAIL command
      C: RSET
      S: 250 2.0.0 Reset OK
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
      C: RCPT TO:<b@example.com>
      S: 250 2.1.5 Recipient OK
      C~ BDAT 2\\r\\nab
      S: 250 2.0.0 2 octets received
    `.replace("SIZE 26214400", "SIZE 10"),
      { limits: { maxMessageBytes: 10 } },
    );
    expect(d.events.some((e) => e.type === "data-end")).toBe(false);
    expect(d.events.find((e) => e.type === "data-rejected")).toMatchObject({ reply: { code: 552 } });
    // the chunk past the limit is never handed on; "ab" is the next transaction's
    expect(body(d)).toBe("12345678ab");
  });

  it("a LAST chunk over the limit: 552 after its octets, data-rejected, never data-end", async () => {
    const d = await transcript(
      `${START}
      C~ BDAT 11 LAST\\r\\nhello world
      S: 552 5.3.4 Message too big for system
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
    `.replace("SIZE 26214400", "SIZE 10"),
      { limits: { maxMessageBytes: 10 } },
    );
    expect(d.events.map((e) => e.type)).toContain("data-rejected");
    expect(d.events.some((e) => e.type === "data-end")).toBe(false);
  });

  it("without CHUNKING, BDAT is not implemented (502) and what follows is read as commands", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C~ BDAT 6\\r\\nNOOP\\r\\n
      S: 502 Error: command not implemented
      S: 250 OK
      C: BDAT x
      S: 502 Error: command not implemented
    `,
      { extensions: { chunking: false } },
    );
    await transcript(`
      S: 220 mx.example ESMTP
      C: BDAT x
      S: 501 Syntax: BDAT size [LAST]
    `);
  });

  it("a chunk's octets may arrive in many writes; the timeout is data-block meanwhile", () => {
    const s = session();
    s.nextEvent();
    s.respond();
    s.receiveData(bytes("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nBDAT 10 LAST\r\n0123"));
    for (let e = s.nextEvent(); e !== NEED_DATA; e = s.nextEvent()) if (typeof e === "object" && (e.type === "helo" || e.type === "mail" || e.type === "rcpt")) s.respond();
    expect(s.timeout).toBe("data-block");
    expect(s.inTransaction).toBe(true);
    s.receiveData(bytes("45678"));
    expect(s.nextEvent()).toMatchObject({ type: "data-chunk" });
    expect(s.nextEvent()).toBe(NEED_DATA);
    s.receiveData(bytes("9NOOP\r\n"));
    expect(s.nextEvent()).toMatchObject({ type: "data-chunk" });
    expect(s.nextEvent()).toMatchObject({ type: "data-end", bytes: 10 });
    s.respond();
    expect(s.nextEvent()).toBe(NEED_DATA);
    expect(text(s.dataToSend())).toMatch(/250 2\.6\.0 Message accepted for delivery\r\n250 2\.0\.0 OK\r\n$/);
  });
});

describe("after a failed BDAT chunk", () => {
  it("a new MAIL may begin a new transaction without RSET (the failed one is gone)", async () => {
    await transcript(
      `${START.replace("SIZE 26214400", "SIZE 4")}
      C~ BDAT 5\\r\\n12345
      S: 552 5.3.4 Message too big for system
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C~ BDAT 3 LAST\\r\\nabc
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 250 2.6.0 Message accepted for delivery
    `,
      { limits: { maxMessageBytes: 4 } },
    );
  });
});
