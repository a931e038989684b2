// Throughput of the bare state machine (no sockets): `node bench/session.mjs` after `pnpm build`.
// Measures CPU time per scenario; each runs a bounded amount of work.
import { NEED_DATA, PAUSED, SmtpSession } from "../dist/index.js";

const connection = { id: "b", remoteAddress: "192.0.2.1", remotePort: 1, localAddress: "192.0.2.2", localPort: 25 };
const enc = new TextEncoder();

function drive(session, chunks) {
  let events = 0;
  let out = 0;
  const pump = () => {
    for (;;) {
      const e = session.nextEvent();
      if (e === NEED_DATA || e === PAUSED) break;
      events++;
      if (e.type === "connect" || e.type === "helo" || e.type === "mail" || e.type === "rcpt" || e.type === "data-end") session.respond();
    }
    out += session.dataToSend()?.length ?? 0;
  };
  pump();
  for (const c of chunks) {
    session.receiveData(c);
    pump();
  }
  return { events, out };
}

function bench(name, bytes, make) {
  const chunks = make();
  const start = process.cpuUsage();
  const t0 = performance.now();
  const r = drive(new SmtpSession({ hostname: "mx.example", connection, limits: { maxMessageBytes: 0 } }), chunks);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(start);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`${name}: ${cpuMs.toFixed(1)} ms CPU (${ms.toFixed(1)} ms wall), ${(bytes / 1048576 / (cpuMs / 1000)).toFixed(0)} MiB/s CPU, ${r.events} events`);
}

const split = (buf, size) => Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
const MiB = 1048576;
const line = "x".repeat(76) + "\r\n";
const body = enc.encode(line.repeat(Math.floor((64 * MiB) / line.length)));
const head = enc.encode("EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
const dataConv = new Uint8Array(head.length + body.length + 5);
dataConv.set(head);
dataConv.set(body, head.length);
dataConv.set(enc.encode(".\r\n"), head.length + body.length);
bench("DATA 64 MiB in 64 KiB chunks", body.length, () => split(dataConv, 65536));

const bdatHead = enc.encode(`EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nBDAT ${body.length} LAST\r\n`);
const bdatConv = new Uint8Array(bdatHead.length + body.length);
bdatConv.set(bdatHead);
bdatConv.set(body, bdatHead.length);
bench("BDAT 64 MiB in 64 KiB chunks", body.length, () => split(bdatConv, 65536));

const tx = "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nSubject: x\r\n\r\nhello\r\n.\r\n";
const many = enc.encode("EHLO c.example\r\n" + tx.repeat(20000));
bench("20 000 pipelined small transactions, 4 KiB chunks", many.length, () => split(many, 4096));
