// Opens --count connections to a server (at most --concurrency connecting at a time), waits for the
// greeting on each, prints `HELD <n>` and then holds them, idle, until stdin closes or SIGTERM.
// Bounded: exits with an error line after --timeout-ms if not every connection got its greeting.
import net from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    count: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "200" },
    "timeout-ms": { type: "string", default: "60000" },
  },
});
const port = Number(values.port);
const count = Number(values.count);
const concurrency = Number(values.concurrency);

const sockets = [];
let started = 0;
let greeted = 0;
let closedEarly = 0;

const limit = setTimeout(() => {
  process.stdout.write(`ERROR only ${greeted} of ${count} greeted (${closedEarly} closed early)\n`);
  process.exit(1);
}, Number(values["timeout-ms"]));

function openOne() {
  if (started >= count) return;
  started++;
  const socket = net.connect(port, values.host);
  sockets.push(socket);
  let seen = false;
  socket.setEncoding("latin1");
  socket.on("data", (data) => {
    if (seen) return;
    seen = true;
    if (!data.startsWith("220")) {
      process.stdout.write(`ERROR connection ${greeted + 1} refused: ${data.trim()}\n`);
      process.exit(1);
    }
    greeted++;
    if (greeted === count) {
      clearTimeout(limit);
      process.stdout.write(`HELD ${greeted}\n`);
    } else {
      openOne();
    }
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    if (!seen) {
      closedEarly++;
      started--; // replace it: the count is of greeted connections
      openOne();
    }
  });
}

for (let i = 0; i < Math.min(concurrency, count); i++) openOne();

const release = () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
};
process.stdin.on("end", release);
process.stdin.resume();
process.on("SIGTERM", release);
