// Micro-benchmark of the DATA decoder (not a test). Run after `pnpm build`:
//   node bench/data-decoder.mjs
// Prints MB/s (decoded message octets per second) for 1 KB and 1 MB messages, fed as a server
// would: in 64 KB socket-sized chunks, ending with CRLF.CRLF. The chunks are plain Uint8Arrays,
// then Node Buffers (what a socket delivers): `indexOf` on a Buffer is memchr, on a plain
// Uint8Array V8's element-by-element search, several times slower on body-sized lines. Each kind
// runs in its own process (`node bench/data-decoder.mjs buffer` runs one): fed both, the decoder's
// call sites turn polymorphic and both figures drop.
import { execFileSync } from "node:child_process";
import { DataDecoder } from "../dist/index.js";

const CHUNK_BYTES = 64 * 1024;

/** A message of about `size` octets: 76-character lines, one in 20 starting with a (stuffed) dot. */
function wireMessage(size) {
  const lines = [];
  let total = 0;
  for (let i = 0; total < size; i++) {
    const text = (i % 20 === 0 ? ".." : "") + "x".repeat(74);
    lines.push(text);
    total += text.length + 2;
  }
  return new TextEncoder().encode(lines.join("\r\n") + "\r\n.\r\n");
}

function chunk(bytes) {
  const chunks = [];
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) chunks.push(bytes.subarray(i, i + CHUNK_BYTES));
  return chunks;
}

function run(label, size, asBuffer, minMs = 1500) {
  const wire = wireMessage(size);
  const chunks = chunk(asBuffer ? Buffer.from(wire) : wire);
  let decoded = 0;
  let messages = 0;
  const once = () => {
    const d = new DataDecoder();
    for (const c of chunks) {
      const step = d.push(c);
      if (step.done) break;
    }
    decoded += d.finish().bytes;
    messages++;
  };
  for (let i = 0; i < 50; i++) once(); // warm-up
  decoded = 0;
  messages = 0;
  // CPU time of this process, not wall time: the figure stays meaningful on a busy machine.
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const start = cpu();
  const wallStart = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 20; i++) once();
    elapsed = cpu() - start;
  }
  const wall = performance.now() - wallStart;
  const mbs = decoded / 1e6 / (elapsed / 1000);
  console.log(
    `${label.padEnd(30)} ${mbs.toFixed(0).padStart(6)} MB/s of CPU time  (${messages} messages, ${(messages / (elapsed / 1000)).toFixed(0)} msg/s; wall ${(decoded / 1e6 / (wall / 1000)).toFixed(0)} MB/s)`,
  );
}

const kind = process.argv[2];
if (kind === undefined) {
  console.log(`DataDecoder, Node ${process.version}, ${CHUNK_BYTES / 1024} KB chunks`);
  for (const k of ["uint8array", "buffer"]) process.stdout.write(execFileSync(process.execPath, [import.meta.filename, k]));
} else {
  const asBuffer = kind === "buffer";
  const name = asBuffer ? "Buffer" : "Uint8Array";
  run(`1 KB message, ${name}`, 1024, asBuffer);
  run(`1 MB message, ${name}`, 1024 * 1024, asBuffer);
}
