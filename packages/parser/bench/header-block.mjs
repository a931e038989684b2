// Micro-benchmark of parseHeaderBlock (not a test). Run after `pnpm build`:
//   node bench/header-block.mjs [ROOT ...]
// Parses the header block smtp-source sends (From, To, Date, Message-Id; then the body) from a
// Node Buffer, as the server does once per message, and prints ns per parse (median of 9 rounds).
// With ROOT arguments (package roots holding a dist/, e.g. a git worktree of an older commit),
// the builds run interleaved in one process, for an A/B comparison.
import path from "node:path";
import { pathToFileURL } from "node:url";

const roots = process.argv.length > 2 ? process.argv.slice(2) : [path.resolve(import.meta.dirname, "..")];
const builds = await Promise.all(roots.map((r) => import(pathToFileURL(path.join(r, "dist", "index.js")).href)));
const message = Buffer.from(
  "From: <foo@vm>\r\nTo: <foo@vm>\r\nDate: Mon, 23 Nov 2026 12:31:37 +0000 (UTC)\r\nMessage-Id: <3404.0003.0000@vm>\r\n\r\n" +
    `1${"X".repeat(77)}\r\n`.repeat(12),
);
const ROUNDS = 9;
const N = 500_000;
const samples = roots.map(() => []);
let fields = 0;
for (let round = 0; round < ROUNDS; round++) {
  builds.forEach((build, k) => {
    for (let i = 0; i < N / 5; i++) fields += build.parseHeaderBlock(message).fields.length;
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fields += build.parseHeaderBlock(message).fields.length;
    samples[k].push(Number(process.hrtime.bigint() - start) / N);
  });
}
if (fields === 0) throw new Error("no fields parsed");
samples.forEach((s, k) => {
  s.sort((a, b) => a - b);
  console.log(`parseHeaderBlock, smtp-source's header (4 fields), Node ${process.version}, ${roots[k]}: ${s[ROUNDS >> 1].toFixed(0)} ns per parse (median of ${ROUNDS}; min ${s[0].toFixed(0)})`);
});
