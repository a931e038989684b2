import { reply } from "@lmail/codes";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NEED_DATA, PAUSED, SmtpSession, type SessionEvent } from "../src/index.js";
import { bytes, options } from "./helpers.js";

const words = [
  "EHLO a.example\r\n", "LHLO a.example\r\n", "MAIL FROM:<a@example.org>\r\n", "RCPT TO:<b@example.com>\r\n", "DATA\r\n",
  ".\r\n", "BDAT 3\r\n", "BDAT 0 LAST\r\n", "RSET\r\n", "STARTTLS\r\n", "AUTH PLAIN\r\n", "AUTH LOGIN\r\n", "*\r\n",
  "AGJvYgBzZWNyZXQ=\r\n", "QUIT\r\n", "\r\n", "\n", "\r", ".", "GET / HTTP/1.1\r\n",
];

const input = fc.array(
  fc.oneof(
    fc.constantFrom(...words).map((w) => bytes(w)),
    fc.uint8Array({ maxLength: 40 }),
  ),
  { maxLength: 40 },
);

describe("property: no client input makes the session throw or stall", () => {
  it("random bytes and commands, random decisions: events stay well-formed, replies are CRLF lines, the session never throws", () => {
    fc.assert(
      fc.property(input, fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }), fc.constantFrom("smtp" as const, "lmtp" as const), (chunks, coins, protocol) => {
        const s = new SmtpSession(options({ protocol, starttls: true, auth: { requireTls: false }, limits: { maxMessageBytes: 64 } }));
        let flip = 0;
        const yes = (): boolean => coins[flip++ % coins.length] ?? true;
        const seen: SessionEvent[] = [];
        const pump = (): void => {
          for (let guard = 0; guard < 10_000; guard++) {
            const e = s.nextEvent();
            if (e === NEED_DATA) return;
            expect(e).not.toBe(PAUSED);
            if (e === PAUSED) return;
            seen.push(e);
            switch (e.type) {
              case "auth":
                s.respondAuth(yes());
                break;
              case "data-end":
                s.respond(yes() ? undefined : e.envelope.recipients.map(() => reply(450, "4.2.1", "busy")));
                break;
              case "connect":
              case "helo":
              case "mail":
              case "rcpt":
                s.respond(yes() ? undefined : reply(550, "5.7.1", "no"));
                break;
              case "starttls":
                if (yes()) s.tlsEstablished({ protocol: "TLSv1.3", cipher: "x", implicit: false });
                else s.tlsFailed();
                break;
              case "data-start":
              case "data-chunk":
              case "data-rejected":
              case "reset":
              case "close":
                break;
            }
          }
          throw new Error("the session did not settle");
        };
        pump();
        for (const c of chunks) {
          s.receiveData(c);
          pump();
        }
        s.receiveEof();
        pump();
        expect(seen.at(-1)?.type).toBe("close");
        expect(seen.filter((e) => e.type === "close")).toHaveLength(1);
        const out = new TextDecoder().decode(s.dataToSend() ?? new Uint8Array(0));
        for (const line of out.split("\r\n").slice(0, -1)) expect(line).toMatch(/^[2-5][0-9]{2}([ -].*)?$/);
        expect(out === "" || out.endsWith("\r\n")).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
