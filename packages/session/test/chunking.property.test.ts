import { reply } from "@lmail/codes";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecisionEvent } from "../src/index.js";
import { SessionDriver } from "../src/testing/index.js";
import { bytes, options } from "./helpers.js";

/** Pieces of conversation a client may send, good and bad; any sequence of them is a conversation. */
const pieces = [
  "EHLO client.example\r\n",
  "HELO client.example\r\n",
  "MAIL FROM:<a@example.org>\r\n",
  "MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME\r\n",
  "RCPT TO:<b@example.com>\r\n",
  "RCPT TO:<unknown@example.com>\r\n",
  "DATA\r\nSubject: x\r\n\r\n..dot\r\nbody\r\n.\r\n",
  "DATA\r\n",
  "BDAT 5\r\n12345",
  "BDAT 3 LAST\r\nabc",
  "BDAT 0 LAST\r\n",
  "RSET\r\n",
  "NOOP\r\n",
  "VRFY someone\r\n",
  "HELP\r\n",
  "FOO bar\r\n",
  "MAIL FROM:<broken\r\n",
  "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n",
  "AUTH LOGIN\r\nYm9i\r\nc2VjcmV0\r\n",
  "NOOP with\nbare LF\r\n",
  `NOOP ${"x".repeat(600)}\r\n`,
  "QUIT\r\n",
];

const decide = (e: DecisionEvent) => {
  if (e.type === "rcpt" && e.recipient.address.raw.startsWith("unknown")) return reply(550, "5.1.1", "No such user");
  if (e.type === "auth") return e.credentials.password === "secret";
  return undefined;
};

const sessionOptions = options({ auth: { requireTls: false }, limits: { maxErrors: 0, maxUnknownCommands: 0, maxJunkCommands: 0 } });

async function replies(conversation: Uint8Array, cuts: readonly number[]): Promise<string> {
  const d = new SessionDriver(sessionOptions, { decide });
  let at = 0;
  for (const cut of [...cuts, conversation.length]) {
    await d.send(conversation.subarray(at, cut));
    at = cut;
  }
  await d.end();
  return d.readAll();
}

describe("property: chunking never changes the conversation", () => {
  it("any split of a whole conversation into writes gives the same replies (RFC 2920 §3.2: TCP has no message boundaries)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (chosen, rawCuts) => {
          const conversation = bytes(chosen.join(""));
          const cuts = [...new Set(rawCuts.map((c) => c % (conversation.length + 1)))].sort((a, b) => a - b);
          const whole = await replies(conversation, []);
          const split = await replies(conversation, cuts);
          expect(split).toBe(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("byte-at-a-time delivery gives the same replies as one write", async () => {
    const conversation = bytes(pieces.join(""));
    const every = Array.from({ length: conversation.length - 1 }, (_, i) => i + 1);
    expect(await replies(conversation, every)).toBe(await replies(conversation, []));
  });
});
