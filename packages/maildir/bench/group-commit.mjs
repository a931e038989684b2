#!/usr/bin/env node
// Group commit benchmark for @lmail/maildir (not a test): many concurrent deliveries into one
// maildir, each needing an fsync of new/ after its link. Three ways to do that fsync, the two
// group commits emulated in the injectable fs layer. The package now ships "serial" itself, so these
// modes run on top of it: "off" is the shipped group commit, the others stack a second batching:
//   off     nothing added: the package's own group commit;
//   serial  one fsync at a time; who asks while one runs joins the next one, which starts when the
//           running one ends and covers every link made before it started;
//   tick    one fsync per event-loop turn for every delivery that asked in that turn, never
//           waiting for a running one.
// Build first (pnpm --filter @lmail/maildir build).
//
//   node packages/maildir/bench/group-commit.mjs [--dir DIR] [--messages N] [--bytes B] [--rounds R]
//
// DIR defaults to the OS temp directory: point it at the file system you deliver to (fsync cost
// is what is measured). Per concurrency: the median messages/s of each mode over the rounds (the
// order of the modes rotates each round, so that a drifting disk hits all of them) and how many
// fsyncs of new/ each made.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { deliver, nodeFs } from "../dist/index.js";

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: tmpdir() },
    messages: { type: "string", default: "500" },
    bytes: { type: "string", default: "4096" },
    rounds: { type: "string", default: "5" },
  },
});
const total = Number(values.messages);
const rounds = Number(values.rounds);
const line = "x".repeat(75) + "\r\n";
const body = new TextEncoder().encode("Subject: bench\r\n\r\n" + line.repeat(Math.ceil(Number(values.bytes) / line.length)));

/** syncDir batched per event-loop turn: every caller of one turn shares the fsync of the next. */
function tickBatched(count) {
  const pending = new Map();
  return (dir) => {
    let batch = pending.get(dir);
    if (batch === undefined) {
      batch = new Promise((resolve, reject) =>
        setImmediate(() => {
          pending.delete(dir);
          count();
          nodeFs.syncDir(dir).then(resolve, reject);
        }),
      );
      pending.set(dir, batch);
    }
    return batch;
  };
}

/** syncDir serialised per directory: callers during a running fsync share the next one. */
function serialBatched(count) {
  const state = new Map(); // dir -> { running: boolean, next: { promise, resolve, reject } | undefined }
  const start = (dir, st) => {
    const batch = st.next;
    if (batch === undefined) return void state.delete(dir);
    st.next = undefined;
    st.running = true;
    count();
    nodeFs.syncDir(dir).then(batch.resolve, batch.reject).finally(() => {
      st.running = false;
      start(dir, st);
    });
  };
  return (dir) => {
    let st = state.get(dir);
    if (st === undefined) state.set(dir, (st = { running: false, next: undefined }));
    if (st.next === undefined) {
      const b = {};
      b.promise = new Promise((resolve, reject) => Object.assign(b, { resolve, reject }));
      st.next = b;
    }
    const waiting = st.next.promise;
    if (!st.running) start(dir, st);
    return waiting;
  };
}

async function run(concurrency, mode) {
  const dir = mkdtempSync(path.join(values.dir, "lmail-bench-"));
  let dirSyncs = 0;
  const counted = (p) => ((dirSyncs += 1), nodeFs.syncDir(p));
  const count = () => (dirSyncs += 1);
  const fs = { ...nodeFs, syncDir: mode === "tick" ? tickBatched(count) : mode === "serial" ? serialBatched(count) : counted };
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next += 1;
        await deliver(dir, body, { fs });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  rmSync(dir, { recursive: true, force: true });
  return { rate: total / seconds, dirSyncs };
}

const modes = ["off", "serial", "tick"];
console.log(`# ${String(total)} messages of ${String(body.length)} bytes into one maildir under ${values.dir}, fsync on, median of ${String(rounds)} rounds`);
console.log("| concurrency | off msg/s (new/ fsyncs) | serial msg/s (fsyncs) | tick msg/s (fsyncs) | serial/off | tick/off |");
console.log("|---:|---:|---:|---:|---:|---:|");
for (const concurrency of [1, 8, 32, 128]) {
  const runs = { off: [], serial: [], tick: [] };
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < modes.length; k++) {
      const mode = modes[(r + k) % modes.length];
      runs[mode].push(await run(concurrency, mode));
    }
  }
  const median = (list) => [...list].sort((x, y) => x.rate - y.rate)[Math.floor(list.length / 2)];
  const m = Object.fromEntries(modes.map((mode) => [mode, median(runs[mode])]));
  const cell = (x) => `${x.rate.toFixed(0)} (${String(x.dirSyncs)})`;
  console.log(
    `| ${String(concurrency)} | ${cell(m.off)} | ${cell(m.serial)} | ${cell(m.tick)} | ${(m.serial.rate / m.off.rate).toFixed(2)}× | ${(m.tick.rate / m.off.rate).toFixed(2)}× |`,
  );
}
