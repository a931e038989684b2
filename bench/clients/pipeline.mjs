// A pipelining SMTP client for the benchmark (smtp-source has no PIPELINING, RFC 2920).
// Each session waits for the greeting, then sends EHLO, MAIL, RCPT x N and DATA in one write; on
// 354 it sends the body, the final dot and the next transaction's MAIL, RCPT x N, DATA (or QUIT) in
// one write again. Prints one JSON line: {messages, ms, error?}. Bounded by --messages and --timeout-ms.
import net from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    sessions: { type: "string", default: "20" },
    messages: { type: "string", default: "10000" },
    size: { type: "string", default: "1024" },
    recipients: { type: "string", default: "10" },
    "timeout-ms": { type: "string", default: "60000" },
  },
});
const port = Number(values.port);
const sessions = Number(values.sessions);
const total = Number(values.messages);
const recipients = Number(values.recipients);
const size = Number(values.size);

/** A message of about `size` payload bytes: a small header block and 78-byte lines of text. */
function buildMessage(bytes) {
  const header = "From: <foo@bench.example>\r\nTo: <foo@bench.example>\r\nSubject: pipelining benchmark\r\n\r\n";
  const line = "x".repeat(76) + "\r\n";
  let body = "";
  while (body.length + line.length <= bytes) body += line;
  body += "x".repeat(Math.max(0, bytes - body.length - 2)) + "\r\n";
  return header + body + ".\r\n";
}

let rcpts = "";
for (let i = 1; i <= recipients; i++) rcpts += `RCPT TO:<${i}foo@bench.example>\r\n`;
const transaction = `MAIL FROM:<foo@bench.example>\r\n${rcpts}DATA\r\n`;
const transactionReplies = ["mail", ...Array.from({ length: recipients }, () => "rcpt"), "data"];
const message = Buffer.from(buildMessage(size));

let claimed = 0;
let delivered = 0;
let finished = 0;
const started = process.hrtime.bigint();

function done(error) {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(JSON.stringify({ messages: delivered, ms, ...(error ? { error } : {}) }) + "\n");
  process.exit(error ? 1 : 0);
}

setTimeout(() => done(`time limit of ${values["timeout-ms"]} ms passed`), Number(values["timeout-ms"])).unref();

function session() {
  const socket = net.connect(port, values.host);
  socket.setNoDelay(true);
  /** What each awaited reply answers, in order. */
  const expected = ["greeting"];
  let buffered = "";

  const next = () => {
    if (claimed < total) {
      claimed++;
      expected.push(...transactionReplies);
      return transaction;
    }
    expected.push("quit");
    return "QUIT\r\n";
  };

  socket.setEncoding("latin1");
  socket.on("data", (chunk) => {
    buffered += chunk;
    let end;
    while ((end = buffered.indexOf("\r\n")) !== -1) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (line[3] === "-") continue; // a continuation line of a multiline reply
      const code = Number(line.slice(0, 3));
      const what = expected.shift();
      if (what === undefined) return done(`unexpected reply: ${line}`);
      const ok = what === "data" ? code === 354 : what === "greeting" ? code === 220 : what === "quit" ? code === 221 : code >= 200 && code < 300;
      if (!ok) return done(`${what} answered ${line}`);
      if (what === "greeting") {
        expected.push("ehlo");
        socket.write("EHLO bench.example\r\n" + next());
      } else if (what === "data") {
        expected.push("dot");
        socket.write(Buffer.concat([message, Buffer.from(next(), "latin1")]));
      } else if (what === "dot") {
        delivered++;
      } else if (what === "quit") {
        socket.end();
      }
    }
  });
  socket.on("error", (err) => done(`socket: ${err.message}`));
  socket.on("close", () => {
    if (++finished === sessions) done(delivered === total ? undefined : `only ${delivered} of ${total} delivered`);
  });
}

for (let i = 0; i < sessions; i++) session();
