import { afterAll, beforeAll, describe, it } from "vitest";
import { reply, type SmtpServer } from "../src/index.js";
import { runTranscript, SocketDriver } from "../src/testing/index.js";
import { startServer } from "./helpers.js";

let server: SmtpServer;
let port: number;
beforeAll(async () => {
  const started = await startServer({
    hostname: "mx.example",
    received: false,
    rcpt: (r) => (r.address.raw.startsWith("unknown") ? reply(550, "5.1.1", "No such user") : undefined),
  });
  server = started.server;
  port = started.port;
});
afterAll(() => server.close({ deadlineMs: 500 }));

const EHLO = `S: 250-mx.example Hello client.example
S: 250-PIPELINING
S: 250-SIZE 26214400
S: 250-8BITMIME
S: 250-SMTPUTF8
S: 250-ENHANCEDSTATUSCODES
S: 250-CHUNKING
S: 250-BINARYMIME
S: 250 DSN`;

const run = async (text: string) => runTranscript(await SocketDriver.connect(port), text);

describe("session transcripts against the real server (socket driver)", () => {
  it("RFC 2920 §3.1: a whole pipelined transaction in one write is answered in order", async () => {
    await run(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.com>
      C: RCPT TO:<unknown@example.com>
      C: DATA
      C: Hello
      C: .
      C: QUIT
      ${EHLO}
      S: 250 2.1.0 Sender OK
      S: 250 2.1.5 Recipient OK
      S: 550 5.1.1 No such user
      S: 354 Start mail input; end with <CRLF>.<CRLF>
      S: 250 2.6.0 Message accepted for delivery
      S: 221 2.0.0 mx.example closing connection
      S: <closed>
    `);
  });

  it("RFC 5321 §4.1.4: out-of-sequence commands get 503, and the client's EOF closes the session", async () => {
    await run(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO}
      C: RCPT TO:<b@example.com>
      S: 503 5.5.1 Error: need MAIL command
      C: <eof>
      S: <closed>
    `);
  });

  it("RFC 3030: BDAT chunks, the last one answered after the decision", async () => {
    await run(`
      S: 220 mx.example ESMTP
      C: EHLO client.example
      ${EHLO}
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Sender OK
      C: RCPT TO:<b@example.com>
      S: 250 2.1.5 Recipient OK
      C~ BDAT 7\\r\\nHello\\r\\n
      S: 250 2.0.0 7 octets received
      C~ BDAT 0 LAST\\r\\n
      S: 250 2.6.0 Message accepted for delivery
      C: QUIT
      S: 221 2.0.0 mx.example closing connection
      S: <closed>
    `);
  });

  it("cross-protocol: an HTTP request line gets one 500 and the connection closes", async () => {
    await run(`
      S: 220 mx.example ESMTP
      C: GET / HTTP/1.1
      C: Host: mx.example
      S: 500 Command unrecognized: this is an SMTP server
      S: <closed>
    `);
  });
});
