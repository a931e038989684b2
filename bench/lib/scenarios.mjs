// The scenarios of issue 8 and how each one is measured. A scenario's `measure(handle, opts)` runs
// against one freshly started server and returns its metrics ({metricId: number}) and details.
import { spawn } from "node:child_process";
import path from "node:path";
import { cpuMs, cpuSince, memoryKiB, resetPeakRss, runBounded, track } from "./proc.mjs";

const benchDir = path.resolve(import.meta.dirname, "..");
const SMTP_SOURCE = "/usr/sbin/smtp-source";
const KiB = 1024;
const MiB = 1024 * 1024;

/**
 * Runs Postfix's smtp-source against the server; resolves with messages per second (wall time of
 * the client process, start to exit). smtp-source exits non-zero on any unexpected reply.
 */
async function smtpSource(port, { sessions, size, kept, recipients = 1, messages, timeoutMs }) {
  const args = ["-M", "bench.example", "-s", String(sessions), "-m", String(messages), "-l", String(size)];
  if (kept) args.push("-d");
  if (recipients > 1) args.push("-r", String(recipients));
  args.push(`127.0.0.1:${port}`);
  const res = await runBounded(SMTP_SOURCE, args, { timeoutMs });
  if (res.timedOut) throw new Error(`smtp-source ${args.join(" ")}: time limit of ${timeoutMs} ms passed`);
  if (res.code !== 0) throw new Error(`smtp-source ${args.join(" ")}: exit ${res.code}: ${(res.stderr || res.stdout).trim().split("\n").slice(-2).join(" / ")}`);
  return { rate: messages / (res.ms / 1000), ms: res.ms, command: `smtp-source ${args.join(" ")}` };
}

/** The same short warm-up for every server (JIT, buffers): 1 KB messages over 4 kept sessions. */
async function warmUp(port, opts) {
  await smtpSource(port, { sessions: 4, size: 1024, kept: true, messages: opts.warmupMessages, timeoutMs: opts.timeoutMs });
  return opts.warmupMessages;
}

/** Checks the server's own count (when it has one) against what the client sent. */
async function delivered(handle, expected) {
  const stats = await handle.stats();
  if (stats === null) return {};
  if (stats.messages < expected) throw new Error(`the server counted ${stats.messages} messages, the client sent ${expected}`);
  return { serverCounted: stats.messages };
}

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A throughput scenario driven by smtp-source. */
function throughput(shape) {
  return async (handle, opts) => {
    const warm = await warmUp(handle.port, opts);
    const cpuBefore = cpuMs(handle.pid);
    const run = await smtpSource(handle.port, { ...shape, messages: opts.messages, timeoutMs: opts.timeoutMs });
    const cpu = cpuSince(cpuBefore, handle.pid);
    const check = await delivered(handle, warm + opts.messages);
    return { metrics: { rate: run.rate, cpu: (cpu.total * 1000) / opts.messages }, detail: { ms: Math.round(run.ms), cpuUserMs: cpu.user, cpuSystemMs: cpu.system, ...check } };
  };
}

/** One big message: peak RSS growth of the server process (VmHWM after minus VmRSS before). */
function bigMessage(size) {
  return async (handle, opts) => {
    const warm = await warmUp(handle.port, opts);
    await settle(200); // let the warm-up's sockets close before the baseline is taken
    const peakReset = resetPeakRss(handle.pid);
    const before = memoryKiB(handle.pid);
    const run = await smtpSource(handle.port, { sessions: 1, size, kept: false, messages: 1, timeoutMs: opts.timeoutMs });
    const after = memoryKiB(handle.pid);
    const check = await delivered(handle, warm + 1);
    return {
      metrics: { growth: (after.hwmKiB - before.rssKiB) / KiB },
      detail: { rssBeforeKiB: before.rssKiB, hwmAfterKiB: after.hwmKiB, peakReset, ms: Math.round(run.ms), ...check },
    };
  };
}

/** Holds `opts.connections` idle connections; RSS per connection, then 1 KB kept throughput while they are held. */
function idleConnections() {
  return async (handle, opts) => {
    const count = opts.connections;
    const warm = await warmUp(handle.port, opts);
    await settle(200);
    const before = memoryKiB(handle.pid);
    const heapBefore = (await handle.stats())?.memory;
    if (opts.heapSnapshots && handle.heapSnapshot) await handle.heapSnapshot(path.join(opts.heapSnapshots, `${opts.serverId}-idle-before.heapsnapshot`));
    const client = track(
      spawn(process.execPath, [path.join(benchDir, "clients", "idle.mjs"), `--port=${handle.port}`, `--count=${count}`, `--timeout-ms=${opts.timeoutMs}`], {
        stdio: ["pipe", "pipe", "inherit"],
      }),
    );
    try {
      const line = await new Promise((resolve, reject) => {
        let out = "";
        client.stdout.setEncoding("utf8").on("data", (d) => {
          out += d;
          if (out.includes("\n")) resolve(out.trim());
        });
        client.once("exit", (code) => reject(new Error(`idle client exited (${code}): ${out.trim()}`)));
      });
      if (!line.startsWith("HELD")) throw new Error(`idle client: ${line}`);
      await settle(500); // a measurement pause: the server's allocations for the last accepts land
      const held = memoryKiB(handle.pid);
      const heapHeld = (await handle.stats())?.memory;
      // Where the bytes are, for Node servers: JS heap vs. memory outside it (Buffers, native).
      const perConn = (k) => (heapBefore && heapHeld ? Number(((heapHeld[k] - heapBefore[k]) / 1024 / count).toFixed(2)) : undefined);
      const split = heapHeld ? { heapUsedKiBPerConnection: perConn("heapUsed"), externalKiBPerConnection: perConn("external") } : {};
      if (opts.heapSnapshots && handle.heapSnapshot) await handle.heapSnapshot(path.join(opts.heapSnapshots, `${opts.serverId}-idle-held.heapsnapshot`));
      const run = await smtpSource(handle.port, { sessions: 20, size: 1024, kept: true, messages: opts.messages, timeoutMs: opts.timeoutMs });
      const check = await delivered(handle, warm + opts.messages);
      return {
        metrics: { perConnection: (held.rssKiB - before.rssKiB) / count, rateHeld: run.rate },
        detail: { rssBeforeKiB: before.rssKiB, rssHeldKiB: held.rssKiB, connections: count, ...split, ms: Math.round(run.ms), ...check },
      };
    } finally {
      client.stdin.end();
      client.kill("SIGTERM");
    }
  };
}

/** The pipelining client (bench/clients/pipeline.mjs). */
function pipelined(shape) {
  return async (handle, opts) => {
    const warm = await warmUp(handle.port, opts);
    const cpuBefore = cpuMs(handle.pid);
    const args = [
      path.join(benchDir, "clients", "pipeline.mjs"),
      `--port=${handle.port}`,
      `--sessions=${shape.sessions}`,
      `--messages=${opts.messages}`,
      `--size=${shape.size}`,
      `--recipients=${shape.recipients}`,
      `--timeout-ms=${opts.timeoutMs}`,
    ];
    const res = await runBounded(process.execPath, args, { timeoutMs: opts.timeoutMs + 5000 });
    const result = JSON.parse(res.stdout.trim().split("\n").at(-1) || "{}");
    if (res.code !== 0 || result.error) throw new Error(`pipelining client: ${result.error ?? res.stderr.trim()}`);
    const cpu = cpuSince(cpuBefore, handle.pid);
    const check = await delivered(handle, warm + opts.messages);
    return { metrics: { rate: result.messages / (result.ms / 1000), cpu: (cpu.total * 1000) / opts.messages }, detail: { ms: Math.round(result.ms), cpuUserMs: cpu.user, cpuSystemMs: cpu.system, ...check } };
  };
}

const rate = { id: "rate", title: "messages/s", short: "msg/s", better: "higher", digits: 0 };
/** Server CPU time per message: less sensitive than messages/s to other load on the machine. */
const cpu = { id: "cpu", title: "server CPU µs per message (user + system, all threads)", short: "server CPU µs/msg", better: "lower", digits: 0 };

/**
 * Every scenario: which servers run it, how many messages (full and --quick), and the metrics.
 * `messages.perServer` lowers the count for a server that is slow by design (the 100 ms greeting).
 */
export const scenarios = [
  {
    id: "new-connection",
    title: "1 KB, 20 sessions, a new connection per message",
    short: "1 KB, new connection per message",
    servers: ["smtp-sink", "smtp-server", "smtp-server-nodelay", "lmail", "node-floor"],
    messages: { full: 4000, quick: 1000, perServer: { "smtp-server": { full: 600, quick: 200 } } },
    metrics: [rate, cpu],
    measure: throughput({ sessions: 20, size: 1024, kept: false }),
  },
  {
    id: "kept",
    title: "1 KB, 20 sessions, connections kept",
    short: "1 KB, kept",
    servers: ["smtp-sink", "smtp-server-nodelay", "lmail", "node-floor"],
    messages: { full: 20000, quick: 3000 },
    metrics: [rate, cpu],
    measure: throughput({ sessions: 20, size: 1024, kept: true }),
  },
  {
    id: "kept-10-rcpt",
    title: "1 KB, 20 sessions, 10 recipients, kept",
    short: "1 KB, 10 recipients, kept",
    servers: ["smtp-sink", "smtp-server-nodelay", "lmail", "node-floor"],
    messages: { full: 6000, quick: 1500 },
    metrics: [rate, cpu],
    measure: throughput({ sessions: 20, size: 1024, kept: true, recipients: 10 }),
  },
  {
    id: "pipelining",
    title: "1 KB, 20 sessions, 10 recipients, kept, pipelined (EHLO, MAIL, RCPT x 10, DATA in one write)",
    short: "1 KB, 10 recipients, pipelined",
    servers: ["smtp-sink", "smtp-server-nodelay", "lmail", "node-floor"],
    messages: { full: 6000, quick: 1500 },
    metrics: [rate, cpu],
    measure: pipelined({ sessions: 20, size: 1024, recipients: 10 }),
  },
  {
    id: "1mb",
    title: "1 MB, 4 sessions, connections kept",
    short: "1 MB, 4 sessions",
    servers: ["smtp-sink", "smtp-server-nodelay", "lmail", "node-floor"],
    messages: { full: 400, quick: 100 },
    metrics: [rate, cpu],
    measure: throughput({ sessions: 4, size: MiB, kept: true }),
  },
  {
    id: "durable",
    title: "1 KB, 20 sessions, kept, one file per message with fsync",
    short: "1 KB, kept, file + fsync",
    servers: ["smtp-server-fsync", "lmail-maildir", "lmaild", "node-floor-maildir"],
    messages: { full: 2000, quick: 600 },
    metrics: [rate, cpu],
    measure: throughput({ sessions: 20, size: 1024, kept: true }),
  },
  {
    id: "100mib",
    title: "one 100 MiB message: peak RSS growth of the server",
    short: "one 100 MiB message",
    servers: ["smtp-sink", "smtp-server-nodelay", "lmail", "lmail-maildir", "lmaild", "node-floor"],
    messages: { full: 1, quick: 1 },
    reps: { full: 3, quick: 1 },
    metrics: [{ id: "growth", title: "MiB peak RSS growth", short: "MiB peak RSS growth", better: "lower", digits: 1 }],
    measure: bigMessage(100 * MiB),
  },
  {
    id: "idle",
    title: "10,000 idle connections",
    short: "10,000 idle connections",
    titleQuick: "2,000 idle connections (quick run)",
    shortQuick: "2,000 idle connections",
    servers: ["smtp-sink", "smtp-server-nodelay", "lmail", "lmaild", "node-floor"],
    messages: { full: 2000, quick: 500 },
    connections: { full: 10000, quick: 2000 },
    reps: { full: 3, quick: 1 },
    metrics: [
      { id: "perConnection", title: "KiB RSS per idle connection", short: "KiB RSS per connection", better: "lower", digits: 2 },
      { id: "rateHeld", title: "messages/s (1 KB, 20 kept sessions) while they are held", short: "msg/s while held", better: "higher", digits: 0 },
    ],
    measure: idleConnections(),
  },
];

/** Goals from issue 8: [scenario, metric, lmail server, anchor or null, comparison, target]. */
export const goals = [
  { text: "lmail (discard) at or above smtp-sink, 1 KB over kept connections", scenario: "kept", metric: "rate", server: "lmail", anchor: "smtp-sink", min: 1 },
  { text: "lmail (discard) at 0.8x smtp-sink or above, a new connection per message", scenario: "new-connection", metric: "rate", server: "lmail", anchor: "smtp-sink", min: 0.8 },
  { text: "lmail at least 2x smtp-server on 1 MB messages", scenario: "1mb", metric: "rate", server: "lmail", anchor: "smtp-server-nodelay", min: 2 },
  { text: "durable Maildir delivery at least 2x smtp-server with fsync", scenario: "durable", metric: "rate", server: "lmail-maildir", anchor: "smtp-server-fsync", min: 2, floor: "node-floor-maildir" },
  { text: "RSS growth for a 100 MiB message at most 16 MiB", scenario: "100mib", metric: "growth", server: "lmail", anchor: null, max: 16 },
  { text: "at most 4 KiB per idle connection", scenario: "idle", metric: "perConnection", server: "lmail", anchor: null, max: 4 },
];
