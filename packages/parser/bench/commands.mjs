// Micro-benchmark of command framing and parsing (not a test). Run after `pnpm build`:
//   node bench/commands.mjs
// Frames and parses a pipelined transaction (EHLO, MAIL with parameters, 5 RCPTs, DATA, RSET),
// the recipients at an IDN (UTS #46 via tr46) and then at an ASCII domain,
// and prints commands per second of CPU time.
import { LineFramer, parseCommand } from "../dist/index.js";

const transactionFor = (domain) =>
  new TextEncoder().encode(
    [
      "EHLO client.example.org",
      "MAIL FROM:<sender@example.org> SIZE=12345 BODY=8BITMIME",
      ...[1, 2, 3, 4, 5].map((i) => `RCPT TO:<user${i}@${domain}> NOTIFY=SUCCESS,FAILURE`),
      "DATA",
      "RSET",
    ].join("\r\n") + "\r\n",
  );
const options = { parameters: { size: true, eightBitMime: true, smtputf8: true, dsn: true }, utf8Addresses: true };
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function run(label, transaction) {
  let commands = 0;
  const once = () => {
    const framer = new LineFramer();
    framer.push(transaction);
    for (let f = framer.next(); f !== undefined; f = framer.next()) {
      if (f.kind === "line" && parseCommand(f.line, options).ok) commands++;
    }
  };
  for (let i = 0; i < 2000; i++) once();
  commands = 0;
  const start = cpu();
  let elapsed = 0;
  while (elapsed < 1500) {
    for (let i = 0; i < 200; i++) once();
    elapsed = cpu() - start;
  }
  console.log(`LineFramer + parseCommand, Node ${process.version}, ${label}: ${(commands / (elapsed / 1000)).toFixed(0)} commands/s of CPU time`);
}

run("recipients at an IDN (bücher.example)", transactionFor("bücher.example"));
run("all domains ASCII (example.com)", transactionFor("example.com"));
