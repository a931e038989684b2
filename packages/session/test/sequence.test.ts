import { describe, expect, it } from "vitest";
import { transitions, type State } from "../src/index.js";
import { SessionDriver } from "../src/testing/index.js";
import { bytes, options, transcript } from "./helpers.js";

/** Client bytes that bring a fresh session into each command state. */
const reach: Record<Exclude<State, "greeting" | "data" | "sasl" | "tls" | "closed">, string> = {
  initial: "",
  ready: "EHLO c.example\r\n",
  mail: "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\n",
  rcpt: "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\n",
  bdat: "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nBDAT 1\r\nx",
  "bdat-failed": "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nBDAT 20\r\n01234567890123456789",
};

const lines: Record<string, string> = {
  MAIL: "MAIL FROM:<a@example.org>",
  RCPT: "RCPT TO:<c@example.com>",
  DATA: "DATA",
  STARTTLS: "STARTTLS",
  AUTH: "AUTH PLAIN AGJvYgBzZWNyZXQ=",
};

describe("RFC 5321 §4.1.4: every out-of-sequence cell of the transition table answers 503", () => {
  const cases = Object.entries(reach).flatMap(([state, prefix]) =>
    Object.entries(transitions[state as keyof typeof reach]).flatMap(([input, step]) =>
      step !== undefined && "refuse" in step ? [{ state, input, prefix, text: step.refuse }] : [],
    ),
  );

  it("the table has refusals to check", () => {
    expect(cases.length).toBeGreaterThan(15);
  });

  it.each(cases)("$input in state $state: 503 $text", async ({ state, input, prefix, text }) => {
    const line = lines[input];
    expect(line, input).toBeDefined();
    const d = new SessionDriver(options({ starttls: true, auth: { requireTls: false }, limits: { maxMessageBytes: 10 } }));
    await d.send(bytes(prefix));
    expect(d.session.state).toBe(state);
    await d.readAll();
    await d.send(bytes(`${line ?? ""}\r\n`));
    const enhanced = state === "initial" ? "" : "5.5.1 ";
    expect(await d.readAll()).toBe(`503 ${enhanced}${text}\r\n`);
    expect(d.session.state).toBe(state);
  });
});

describe("RFC 5321 §4.5.3.1.6: the text line limit, when set", () => {
  it("a body line over maxTextLineBytes refuses the message after its end (500 5.5.2)", async () => {
    const d = await transcript(
      `
      S: 220 mx.example ESMTP
      C: HELO client.example
      S: 250 mx.example
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: DATA
      S: 250 Sender OK
      S: 250 Recipient OK
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      C: ${"y".repeat(30)}
      C: .
      S: 500 Message refused: text line too long
    `,
      { limits: { maxTextLineBytes: 20 } },
    );
    expect(d.events.map((e) => e.type)).toContain("data-rejected");
  });
});

describe("end of input in the middle of an exchange", () => {
  it("EOF during AUTH or before the STARTTLS handshake closes without a reply", async () => {
    await transcript(
      `
      S: 220 mx.example ESMTP
      C: EHLO client.example
      C: AUTH LOGIN
      C: <eof>
      S: 250-mx.example Hello client.example
      S: 250 AUTH PLAIN LOGIN
      S: 334 VXNlcm5hbWU6
      S: <closed>
    `,
      { auth: { requireTls: false }, extensions: { pipelining: false, size: false, eightBitMime: false, smtputf8: false, enhancedStatusCodes: false, chunking: false, dsn: false } },
    );
  });
});
