// The Node floor: what node:net alone costs, as a reference row, not a product and not an anchor
// to beat. It speaks just enough SMTP for smtp-source and the bench clients: fixed replies to every
// command, no parsing beyond the verb, no validation, no limits, no timeouts, no dot-unstuffing
// (the body is counted raw up to CRLF "." CRLF). Any real Node SMTP server does at least this much
// work per command and per byte, so its figures bound what a Node server can reach on the machine:
// where the floor itself is below a goal set against smtp-sink, no Node server meets that goal.
import { randomBytes } from "node:crypto";
import { link, open, unlink } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { announce, childArgs, counts } from "./child.mjs";

// --dir=DIR: the Maildir protocol floor for the durable scenario. Each message (its raw octets) is
// written to DIR/tmp/NAME, fsynced, linked to DIR/new/NAME, DIR/new fsynced, and DIR/tmp/NAME
// unlinked before the 250: the protocol's system calls through fs.promises, with no checks, no
// symlink safety, no group commit and nothing shared between deliveries.
const args = childArgs({ dir: { type: "string" } });
const dir = args.dir;
const prefix = `${Date.now()}.${process.pid}_${randomBytes(4).toString("hex")}`;
let serial = 0;
async function deliver(body) {
  const name = `${prefix}_${serial++}.floor`;
  const tmp = path.join(/** @type {string} */ (dir), "tmp", name);
  const file = await open(tmp, "wx", 0o600);
  try {
    await file.writev(body);
    await file.sync();
  } finally {
    await file.close();
  }
  const newDir = path.join(/** @type {string} */ (dir), "new");
  await link(tmp, path.join(newDir, name));
  const d = await open(newDir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  await unlink(tmp);
}

const CRLF = Buffer.from("\r\n");
const END = Buffer.from("\r\n.\r\n");
const GREETING = Buffer.from("220 floor.example ESMTP\r\n");
const EHLO = Buffer.from("250-floor.example\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 209715200\r\n");
const OK = Buffer.from("250 2.0.0 OK\r\n");
const GO = Buffer.from("354 go ahead\r\n");
const BYE = Buffer.from("221 2.0.0 bye\r\n");
const MAX_LINE = 4096;

const server = net.createServer((socket) => {
  socket.on("error", () => {});
  socket.write(GREETING);
  let line = Buffer.alloc(0); // a partial command line held over a chunk boundary
  let inData = false;
  let tail = Buffer.alloc(0); // the last octets of the body so far, to find CRLF.CRLF across chunks
  let bytes = 0;
  /** @type {Buffer[]} */
  let body = []; // with --dir: the message's raw octets (the durable scenario's 1 KB messages)
  socket.on("data", (chunk) => {
    const out = [];
    let i = 0;
    while (i < chunk.length) {
      if (inData) {
        // "\r\n.\r\n" inside this chunk, or straddling the previous one
        const joined = tail.length > 0 ? Buffer.concat([tail, chunk.subarray(i, i + END.length)]) : null;
        let end = -1;
        if (joined) {
          const j = joined.indexOf(END);
          if (j !== -1) end = i + j - tail.length + END.length;
        }
        if (end === -1) {
          const j = chunk.indexOf(END, i);
          if (j !== -1) end = j + END.length;
        }
        if (end === -1) {
          if (dir) body.push(Buffer.from(chunk.subarray(i)));
          bytes += chunk.length - i;
          const keep = Buffer.concat([tail, chunk.subarray(Math.max(i, chunk.length - END.length))]);
          tail = keep.subarray(Math.max(0, keep.length - (END.length - 1)));
          break;
        }
        bytes += end - i;
        inData = false;
        tail = Buffer.alloc(0);
        if (dir) {
          // Durable: answer after the delivery. smtp-source waits for this reply before its next
          // command, so nothing follows the dot in this chunk (the floor does not handle that case).
          body.push(Buffer.from(chunk.subarray(i, end)));
          const message = body;
          body = [];
          const size = bytes;
          bytes = 0;
          if (out.length > 0) socket.write(Buffer.concat(out));
          deliver(message).then(
            () => {
              counts.messages += 1;
              counts.bytes += size;
              socket.write(OK);
            },
            () => socket.write(Buffer.from("451 4.3.0 delivery failed\r\n")),
          );
          return;
        }
        counts.messages += 1;
        counts.bytes += bytes;
        bytes = 0;
        out.push(OK);
        i = end;
        continue;
      }
      const lf = chunk.indexOf(10, i);
      if (lf === -1) {
        line = Buffer.concat([line, chunk.subarray(i)]);
        if (line.length > MAX_LINE) socket.destroy();
        break;
      }
      const text = (line.length > 0 ? Buffer.concat([line, chunk.subarray(i, lf)]) : chunk.subarray(i, lf)).toString("latin1", 0, 4).toUpperCase();
      line = Buffer.alloc(0);
      i = lf + 1;
      if (text === "DATA") {
        out.push(GO);
        inData = true;
        tail = CRLF; // the DATA line's own CRLF: "." CRLF right away ends an empty message
      } else if (text === "EHLO") out.push(EHLO);
      else if (text === "QUIT") {
        out.push(BYE);
        socket.end(out.length === 1 ? BYE : Buffer.concat(out));
        return;
      } else out.push(OK);
    }
    if (out.length === 1) socket.write(out[0]);
    else if (out.length > 1) socket.write(Buffer.concat(out));
  });
});

server.listen(0, "127.0.0.1", () => {
  announce(/** @type {net.AddressInfo} */ (server.address()).port, () => new Promise((resolve) => server.close(() => resolve())));
});
