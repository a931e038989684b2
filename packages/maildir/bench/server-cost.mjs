#!/usr/bin/env node
// Server cost of durable delivery (not a test): starts bench/servers/lmail.mjs --store=maildir (lmail
// with this package's handler, fsync on), warms it with 400 messages, then drives it with
// `smtp-source -d -s 20 -m N -l 1024` and prints one JSON line: messages/s, server CPU µs per message
// (user + system of all its threads, /proc/PID/stat) and voluntary context switches per message (all
// threads, /proc/PID/task/*/status). It uses the built dist/; for an A/B, swap dist/ between runs.
//
//   N=2000 node packages/maildir/bench/server-cost.mjs
import { execFileSync, fork } from "node:child_process";
import fs from "node:fs";
const dir = fs.mkdtempSync("/tmp/lmail-bench-drive-");
const child = fork(new URL("../../../bench/servers/lmail.mjs", import.meta.url).pathname, ["--store=maildir", `--dir=${dir}`], { stdio: "inherit" });
const { port, pid } = await new Promise((r) => child.on("message", (m) => m.type === "ready" && r(m)));
const cpu = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10000; };
const ctx = () => { let v = 0; for (const t of fs.readdirSync(`/proc/${pid}/task`)) { try { const st = fs.readFileSync(`/proc/${pid}/task/${t}/status`, "utf8"); v += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(st)[1]); } catch {} } return v; };
const src = (n) => execFileSync("smtp-source", ["-d", "-s", "20", "-m", String(n), "-l", "1024", `127.0.0.1:${port}`], { timeout: 60_000 });
src(400);
const N = Number(process.env.N ?? 2000);
const x0 = ctx(), c0 = cpu(), t0 = performance.now();
src(N);
const t = performance.now() - t0, c = cpu() - c0, x = ctx() - x0;
console.log(JSON.stringify({ msgs: Math.round(N / t * 1000), cpuUs: Math.round(c / N), ctx: +(x / N).toFixed(1) }));
child.kill("SIGTERM");
await new Promise((r) => child.on("exit", r));
fs.rmSync(dir, { recursive: true, force: true });
