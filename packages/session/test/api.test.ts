import { reply } from "@lmail/codes";
import { describe, expect, it } from "vitest";
import { NEED_DATA, PAUSED, SessionUsageError, SmtpSession, collapseReplies, rfcTimeoutsMs, transitions, type SessionEvent } from "../src/index.js";
import { bytes, options, session, text } from "./helpers.js";

/** Answer every decision with the default until NEED_DATA; returns the events. */
function pump(s: SmtpSession): SessionEvent[] {
  const seen: SessionEvent[] = [];
  for (;;) {
    const e = s.nextEvent();
    if (e === NEED_DATA) return seen;
    if (e === PAUSED) throw new Error("paused");
    seen.push(e);
    if (e.type === "auth") s.respondAuth(true);
    else if (e.type === "connect" || e.type === "helo" || e.type === "mail" || e.type === "rcpt" || e.type === "data-end") s.respond();
  }
}

describe("SmtpSession API", () => {
  it("misuse throws SessionUsageError; a peer never makes it throw", () => {
    const s = session();
    expect(() => s.respond()).toThrow(/not taken with nextEvent/);
    s.nextEvent();
    s.respond();
    expect(() => s.respond()).toThrow(/no decision is pending/);
    expect(() => s.respondAuth(true)).toThrow(SessionUsageError);
    expect(() => s.tlsEstablished({ protocol: "TLSv1.3", cipher: "x", implicit: false })).toThrow(SessionUsageError);
    expect(() => s.tlsFailed()).toThrow(SessionUsageError);
    s.receiveData(bytes("EHLO c.example\r\n"));
    expect(() => s.respond()).toThrow(SessionUsageError);
    expect(s.nextEvent()).toMatchObject({ type: "helo" });
    expect(() => s.respondAuth(true)).toThrow(/answered with respond/);
    expect(() => s.respond([reply(250, "2.0.0", "x")])).toThrow(/takes one reply/);
    s.respond();
    expect(() => new SmtpSession({ ...options(), limits: { maxErrors: -1 } })).toThrow(RangeError);
  });

  it("an auth decision must be answered with respondAuth()", () => {
    const s = session({ auth: { requireTls: false } });
    pump(s);
    s.receiveData(bytes("EHLO c.example\r\nAUTH PLAIN\r\nAGJvYgBzZWNyZXQ=\r\n"));
    const seen = [];
    for (let e = s.nextEvent(); typeof e === "object"; e = s.nextEvent()) {
      seen.push(e);
      if (e.type === "helo") s.respond();
      if (e.type === "auth") break;
    }
    expect(seen.at(-1)).toMatchObject({ type: "auth" });
    expect(() => s.respond()).toThrow(/respondAuth/);
    s.respondAuth(false);
    expect(text(s.dataToSend())).toMatch(/535 5\.7\.8 Error: authentication failed\r\n$/);
  });

  it("info is a frozen snapshot, rebuilt only when it changes", () => {
    const s = session();
    const first = s.info;
    expect(Object.isFrozen(first)).toBe(true);
    expect(s.info).toBe(first);
    expect(first).toMatchObject({ id: "c1", remoteAddress: "192.0.2.1", protocol: "smtp" });
    expect(first.heloName).toBeUndefined();
    pump(s);
    s.receiveData(bytes("EHLO c.example\r\n"));
    pump(s);
    expect(s.info).not.toBe(first);
    expect(s.info).toMatchObject({ heloName: "c.example", heloVerb: "EHLO" });
  });

  it("timeout names the RFC 5321 §4.5.3.2 timeout in force; bufferedBytes counts held input", () => {
    const s = session();
    expect(s.timeout).toBe("decision");
    pump(s);
    expect(s.timeout).toBe("command");
    s.receiveData(bytes("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\npartial"));
    pump(s);
    expect(s.timeout).toBe("data-block");
    expect(s.inTransaction).toBe(true);
    expect(s.state).toBe("data");
    s.receiveData(bytes("\r\n.\r\nNOOP"));
    expect(s.bufferedBytes).toBe(9);
    const seen = pump(s);
    expect(seen.map((e) => e.type)).toContain("data-end");
    expect(s.timeout).toBe("command");
    expect(s.bufferedBytes).toBe(4);
    expect(rfcTimeoutsMs[s.timeout]).toBe(300_000);
    expect(s.inTransaction).toBe(false);
    expect(s.envelope).toBeUndefined();
  });

  it("timedOut(): 421 4.4.2 and a close, with a reset when a transaction was open; later input is ignored", () => {
    const s = session();
    pump(s);
    s.receiveData(bytes("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\n"));
    pump(s);
    s.dataToSend();
    s.timedOut();
    expect(s.nextEvent()).toEqual({ type: "reset" });
    expect(s.nextEvent()).toEqual({ type: "close", reason: "timeout" });
    expect(text(s.dataToSend())).toBe("421 4.4.2 mx.example Error: timeout exceeded, closing connection\r\n");
    s.receiveData(bytes("NOOP\r\n"));
    s.timedOut();
    s.shutdown();
    s.respondAuth(true);
    s.tlsEstablished({ protocol: "TLSv1.3", cipher: "x", implicit: false });
    s.tlsFailed();
    expect(s.nextEvent()).toBe(NEED_DATA);
    expect(s.dataToSend()).toBeUndefined();
  });

  it("dataToSend(allocate): the replies in the array allocate makes, every octet written; a wrong size is a usage error", () => {
    const s = session();
    pump(s);
    s.dataToSend(); // the greeting
    s.receiveData(bytes("NOOP\r\nNOOP\r\n"));
    pump(s);
    const sizes: number[] = [];
    // Filled with junk first: dataToSend must overwrite all of it (a Node server passes Buffer.allocUnsafe).
    const out = s.dataToSend((size) => {
      sizes.push(size);
      return new Uint8Array(size).fill(0x58);
    });
    expect(sizes).toEqual([out!.length]);
    expect(text(out)).toBe("250 OK\r\n250 OK\r\n");
    expect(s.dataToSend(() => new Uint8Array(1))).toBeUndefined();
    s.receiveData(bytes("NOOP\r\n"));
    pump(s);
    expect(() => s.dataToSend((size) => new Uint8Array(size + 1))).toThrow(SessionUsageError);
  });

  it("shutdown(): 421 4.3.2 at once when idle", () => {
    const s = session();
    pump(s);
    s.dataToSend();
    s.shutdown();
    expect(s.nextEvent()).toEqual({ type: "close", reason: "shutdown" });
    expect(text(s.dataToSend())).toBe("421 mx.example Service shutting down, closing connection\r\n");
  });

  it("shutdown(): after the transaction in flight when one is open", () => {
    const s = session();
    pump(s);
    s.receiveData(bytes("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n"));
    pump(s);
    s.dataToSend();
    s.shutdown();
    expect(s.closed).toBe(false);
    s.receiveData(bytes("DATA\r\nhello\r\n.\r\nMAIL FROM:<c@example.org>\r\n"));
    const seen = pump(s);
    expect(seen.map((e) => e.type)).toEqual(["data-start", "data-chunk", "data-end", "close"]);
    expect(text(s.dataToSend())).toBe(
      "354 Start mail input; end with <CRLF>.<CRLF>\r\n250 2.6.0 Message accepted for delivery\r\n421 4.3.2 mx.example Service shutting down, closing connection\r\n",
    );
  });

  it("shutdown() while a decision is pending waits for the answer", () => {
    const s = session();
    pump(s);
    s.receiveData(bytes("EHLO c.example\r\n"));
    expect(s.nextEvent()).toMatchObject({ type: "helo" });
    s.shutdown();
    expect(s.closed).toBe(false);
    s.respond();
    expect(s.nextEvent()).toEqual({ type: "close", reason: "shutdown" });
  });

  it("receiveData ignores empty chunks; dataToSend joins queued replies", () => {
    const s = session();
    pump(s);
    s.receiveData(new Uint8Array(0));
    expect(s.bufferedBytes).toBe(0);
    s.receiveData(bytes("NOOP\r\nNOOP\r\n"));
    pump(s);
    expect(text(s.dataToSend())).toBe("220 mx.example ESMTP\r\n250 OK\r\n250 OK\r\n");
    expect(s.dataToSend()).toBeUndefined();
  });

  it("the transition table names a step for every command in every command state", () => {
    const verbs = ["HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH"] as const;
    for (const state of ["initial", "ready", "mail", "rcpt", "bdat", "bdat-failed"] as const) {
      for (const verb of verbs) expect(transitions[state][verb], `${state} ${verb}`).toBeDefined();
      expect(transitions[state].abort).toBeDefined();
    }
    expect(Object.keys(transitions.closed)).toEqual([]);
  });
});

describe("collapseReplies: SMTP's one reply for many recipients", () => {
  const ok = reply(250, "2.6.0", "ok");
  const later = reply(451, "4.3.0", "later");
  const never = reply(550, "5.1.1", "never");
  it("all accepted: the first positive reply, or the default", () => {
    expect(collapseReplies([ok, undefined])).toBe(ok);
    expect(collapseReplies([undefined, undefined]).code).toBe(250);
    expect(collapseReplies([])).toMatchObject({ code: 250, enhanced: "2.6.0" });
  });
  it("any failure fails the message; a transient one wins so that nothing is lost", () => {
    expect(collapseReplies([ok, never])).toBe(never);
    expect(collapseReplies([never, later, ok])).toBe(later);
  });
  it("SMTP data-end answered with a list sends the collapsed reply", () => {
    const s = session();
    pump(s);
    s.receiveData(bytes("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\nx\r\n.\r\n"));
    for (let e = s.nextEvent(); typeof e === "object"; e = s.nextEvent()) {
      if (e.type === "data-end") {
        s.respond([ok, later]);
        break;
      }
      if (e.type === "helo" || e.type === "mail" || e.type === "rcpt") s.respond();
    }
    expect(text(s.dataToSend())).toMatch(/354 .*\r\n451 4\.3\.0 later\r\n$/);
  });
});

describe("RFC 5321 §3.8: an application's 421 closes the session", () => {
  it("421 to MAIL, RCPT, HELO or AUTH: sent, then close (refused), with a reset when a transaction was open", () => {
    for (const verb of ["helo", "mail", "rcpt"] as const) {
      const s = session();
      pump(s);
      s.receiveData(bytes("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nNOOP\r\n"));
      const seen: SessionEvent[] = [];
      for (let e = s.nextEvent(); typeof e === "object"; e = s.nextEvent()) {
        seen.push(e);
        if (e.type === verb) s.respond(reply(421, "4.3.2", "mx.example going down"));
        else if (e.type === "helo" || e.type === "mail" || e.type === "rcpt") s.respond();
      }
      expect(seen.at(-1), verb).toEqual({ type: "close", reason: "refused" });
      expect(seen.some((e) => e.type === "reset"), verb).toBe(verb === "rcpt");
      expect(text(s.dataToSend()), verb).toMatch(/421 (4\.3\.2 )?mx\.example going down\r\n$/);
    }
    const a = session({ auth: { requireTls: false } });
    pump(a);
    a.receiveData(bytes("EHLO c.example\r\nAUTH PLAIN AGJvYgBzZWNyZXQ=\r\n"));
    for (let e = a.nextEvent(); typeof e === "object"; e = a.nextEvent()) {
      if (e.type === "auth") a.respondAuth(reply(421, "4.7.0", "mx.example try later"));
      else if (e.type === "helo") a.respond();
    }
    expect(a.closed).toBe(true);
  });

  it("LMTP: a 421 for any recipient closes after every reply was sent", () => {
    const s = session({ protocol: "lmtp" });
    pump(s);
    s.receiveData(bytes("LHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\nx\r\n.\r\nNOOP\r\n"));
    let last: SessionEvent | undefined;
    for (let e = s.nextEvent(); typeof e === "object"; e = s.nextEvent()) {
      last = e;
      if (e.type === "data-end") s.respond([undefined, reply(421, "4.3.2", "bye")]);
      else if (e.type === "helo" || e.type === "mail" || e.type === "rcpt") s.respond();
    }
    expect(last).toEqual({ type: "close", reason: "refused" });
    expect(text(s.dataToSend())).toMatch(/250 2\.6\.0 Message accepted for delivery\r\n421 4\.3\.2 bye\r\n$/);
  });

  it("a timeout during the TLS handshake sends nothing in clear", () => {
    const s = session({ starttls: true });
    pump(s);
    s.receiveData(bytes("STARTTLS\r\n"));
    expect(s.nextEvent()).toEqual({ type: "starttls" });
    s.dataToSend();
    s.timedOut();
    expect(s.nextEvent()).toEqual({ type: "close", reason: "timeout" });
    expect(s.dataToSend()).toBeUndefined();
  });
});
