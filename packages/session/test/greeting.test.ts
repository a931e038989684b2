import { reply } from "@lmail/codes";
import { describe, expect, it } from "vitest";
import { NEED_DATA, PAUSED } from "../src/index.js";
import { bytes, session, text, transcript } from "./helpers.js";

describe("RFC 5321 §3.1 the greeting", () => {
  it("the first event is connect; respond() sends 220 <hostname> ESMTP", () => {
    const s = session();
    expect(s.nextEvent()).toEqual({ type: "connect" });
    expect(s.nextEvent()).toBe(PAUSED);
    expect(s.dataToSend()).toBeUndefined();
    s.respond();
    expect(text(s.dataToSend())).toBe("220 mx.example ESMTP\r\n");
    expect(s.nextEvent()).toBe(NEED_DATA);
  });

  it("the application refuses the connection with 554 (or 421): sent as is, then close", async () => {
    const d = await transcript(
      `
      S: 554 mx.example No SMTP service here
      S: <closed>
    `,
      {},
      (e) => (e.type === "connect" ? reply(554, "5.7.1", "mx.example No SMTP service here") : undefined),
    );
    expect(d.events).toEqual([{ type: "connect" }, { type: "close", reason: "refused" }]);
    const busy = await transcript(
      `
      C: EHLO client.example
      S: 421 mx.example Too busy
      S: <closed>
    `,
      {},
      (e) => (e.type === "connect" ? reply(421, "4.4.5", "mx.example Too busy") : undefined),
    );
    expect(busy.events.map((e) => e.type)).toEqual(["connect", "close"]);
  });

  it("the greeting text can be set; LMTP says LMTP", async () => {
    await transcript("S: 220 mx.example Service ready", { greetingText: "Service ready" });
    await transcript("S: 220 mx.example LMTP", { protocol: "lmtp" });
  });

  it("§4.3.1 protocol synchronisation: with rejectEarlyTalkers, bytes before the greeting get 554 and a close", () => {
    const s = session({ rejectEarlyTalkers: true });
    expect(s.nextEvent()).toEqual({ type: "connect" });
    s.receiveData(bytes("EHLO early.example\r\n"));
    s.respond();
    expect(text(s.dataToSend())).toBe("554 Error: SMTP protocol synchronization\r\n");
    expect(s.nextEvent()).toEqual({ type: "close", reason: "early-talker" });
    expect(s.closed).toBe(true);
  });

  it("without rejectEarlyTalkers, early bytes are simply answered after the greeting", () => {
    const s = session();
    s.nextEvent();
    s.receiveData(bytes("NOOP\r\n"));
    s.respond();
    expect(s.nextEvent()).toBe(NEED_DATA);
    expect(text(s.dataToSend())).toBe("220 mx.example ESMTP\r\n250 OK\r\n");
  });

  it("a client that waits for the greeting is not an early talker", () => {
    const s = session({ rejectEarlyTalkers: true });
    s.nextEvent();
    s.respond();
    s.receiveData(bytes("NOOP\r\n"));
    expect(s.nextEvent()).toBe(NEED_DATA);
    expect(text(s.dataToSend())).toBe("220 mx.example ESMTP\r\n250 OK\r\n");
  });
});
