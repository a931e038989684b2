import { describe, expect, it } from "vitest";
import { NEED_DATA } from "../src/index.js";
import { TEST_TLS } from "../src/testing/index.js";
import { bytes, connection, session, text, transcript } from "./helpers.js";

const EHLO_TLS_OFFER = `S: 250-mx.example Hello client.example
S: 250-PIPELINING
S: 250-SIZE 26214400
S: 250-8BITMIME
S: 250-SMTPUTF8
S: 250-ENHANCEDSTATUSCODES
S: 250-CHUNKING
S: 250-BINARYMIME
S: 250-DSN
S: 250 STARTTLS`;

const EHLO_UNDER_TLS = `S: 250-mx.example Hello client.example
S: 250-PIPELINING
S: 250-SIZE 26214400
S: 250-8BITMIME
S: 250-SMTPUTF8
S: 250-ENHANCEDSTATUSCODES
S: 250-CHUNKING
S: 250-BINARYMIME
S: 250-DSN
S: 250 REQUIRETLS`;

describe("RFC 3207 STARTTLS", () => {
  it("§4: STARTTLS, 220, then the session starts over: EHLO again, STARTTLS no longer offered", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_TLS_OFFER}
      C: STARTTLS
      S: 220 2.0.0 Ready to start TLS
      C: MAIL FROM:<a@example.org>
      S: 503 Error: send HELO/EHLO first
      C: EHLO client.example
      ${EHLO_UNDER_TLS}
      C: STARTTLS
      S: 503 5.5.1 Error: TLS already active
      C: MAIL FROM:<a@example.org> REQUIRETLS
      S: 250 2.1.0 Sender OK
    `,
      { starttls: true },
    );
    expect(d.events.map((e) => e.type)).toContain("starttls");
    expect(d.session.info.tls).toEqual(TEST_TLS);
    expect(d.session.info.heloName).toBe("client.example");
  });

  it("CVE-2011-0411: commands pipelined after STARTTLS in the same chunk are discarded, never replayed", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_TLS_OFFER}
      C: STARTTLS
      C: MAIL FROM:<injected@example.org>
      C: RCPT TO:<victim@example.com>
      S: 220 2.0.0 Ready to start TLS
      C: NOOP
      S: 250 OK
    `,
      { starttls: true },
    );
    expect(d.events.some((e) => e.type === "mail" || e.type === "rcpt")).toBe(false);
  });

  it("bytes arriving between the 220 and the handshake are discarded too", () => {
    const s = session({ starttls: true });
    s.nextEvent();
    s.respond();
    s.receiveData(bytes("EHLO c.example\r\n"));
    s.nextEvent();
    s.respond();
    s.receiveData(bytes("STARTTLS\r\nMAIL FROM:<x@example.org>\r\n"));
    expect(s.nextEvent()).toEqual({ type: "starttls" });
    expect(s.bufferedBytes).toBe(0);
    s.receiveData(bytes("RCPT TO:<y@example.com>\r\n"));
    expect(s.bufferedBytes).toBe(0);
    expect(s.nextEvent()).toBe(NEED_DATA);
    expect(text(s.dataToSend())).toContain("220 2.0.0 Ready to start TLS\r\n");
    s.tlsEstablished(TEST_TLS);
    s.receiveData(bytes("NOOP\r\n"));
    expect(s.nextEvent()).toBe(NEED_DATA);
    expect(text(s.dataToSend())).toBe("250 OK\r\n");
  });

  it("STARTTLS is refused in a transaction, when not offered, and with an argument", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_TLS_OFFER}
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
      C: STARTTLS
      S: 503 5.5.1 Error: MAIL transaction in progress
      C: STARTTLS now
      S: 501 5.5.4 Syntax: STARTTLS takes no arguments
    `,
      { starttls: true },
    );
    await transcript(`
      S: 220 mx.example ESMTP
      C: STARTTLS
      S: 502 Error: command not implemented
    `);
  });

  it("implicit TLS (RFC 8314): no STARTTLS offered, REQUIRETLS offered, info.tls set from the start", async () => {
    const tls = { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", implicit: true };
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_UNDER_TLS}
    `,
      { starttls: true, connection: { ...connection, tls } },
    );
    expect(d.session.info.tls).toEqual(tls);
  });

  it("a failed handshake closes the session without a reply", () => {
    const s = session({ starttls: true });
    s.nextEvent();
    s.respond();
    s.receiveData(bytes("STARTTLS\r\n"));
    expect(s.nextEvent()).toEqual({ type: "starttls" });
    expect(text(s.dataToSend())).toBe("220 mx.example ESMTP\r\n220 Ready to start TLS\r\n");
    s.tlsFailed();
    expect(s.nextEvent()).toEqual({ type: "close", reason: "eof" });
    expect(s.dataToSend()).toBeUndefined();
    expect(s.closed).toBe(true);
  });

  it("requireTls: MAIL before STARTTLS gets 530 5.7.0", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO_TLS_OFFER}
      C: MAIL FROM:<a@example.org>
      S: 530 5.7.0 Must issue a STARTTLS command first
      C: STARTTLS
      S: 220 2.0.0 Ready to start TLS
      C: EHLO client.example
      ${EHLO_UNDER_TLS}
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
    `,
      { starttls: true, requireTls: true },
    );
  });
});
