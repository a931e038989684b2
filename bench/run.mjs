#!/usr/bin/env node
// The lmail benchmark suite (issue 8): lmail against Postfix's smtp-sink and nodemailer's
// smtp-server, each server in its own freshly started child process, runs interleaved (A B C, A B C,
// ...), medians with min and max, ratios pair by pair. Loopback only; every run has a message count
// and a time limit, and the whole run has a time budget.
//
//   node bench/run.mjs [--quick] [--reps N] [--only id,id] [--servers id,id] [--profile] [--heap-snapshots]
//                      [--budget-min M] [--out NAME]     (also: pnpm bench [-- ]OPTIONS)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildResults, toMarkdown } from "./lib/report.mjs";
import { goals, scenarios } from "./lib/scenarios.mjs";
import { killAllTracked } from "./lib/proc.mjs";
import { servers } from "./lib/servers.mjs";

// `pnpm bench -- --quick` passes the `--` on: drop it.
const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--"));
const { values: args } = parseArgs({
  args: argv,
  options: {
    quick: { type: "boolean", default: false },
    reps: { type: "string" },
    only: { type: "string" },
    servers: { type: "string" },
    profile: { type: "boolean", default: false },
    "heap-snapshots": { type: "boolean", default: false },
    "budget-min": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (args.help) {
  console.log(`usage: pnpm bench [--quick] [--reps N] [--only SCENARIO,...] [--servers SERVER,...] [--profile] [--heap-snapshots] [--budget-min M] [--out NAME]
scenarios: ${scenarios.map((s) => s.id).join(", ")}
servers:   ${Object.keys(servers).join(", ")}
--profile  runs the Node servers under node --cpu-prof (profiles in bench/results/profiles/)
--heap-snapshots  the idle scenario writes heap snapshots of the Node servers before and while holding (same dir)
--out      base name of the result files in bench/results/ (default: latest, or quick with --quick)`);
  process.exit(0);
}

const benchDir = import.meta.dirname;
const resultsDir = path.join(benchDir, "results");
const mode = args.quick ? "quick" : "full";
const defaultReps = args.quick ? 2 : 5;
const reps = args.reps ? Number(args.reps) : defaultReps;
// Every run is bounded; the whole suite too (the default run is planned for well under 15 minutes).
const runTimeoutMs = args.quick ? 30_000 : 60_000;
const budgetMs = Number(args["budget-min"] ?? (args.quick ? 5 : 14)) * 60_000;
const onlyScenarios = args.only?.split(",");
const onlyServers = args.servers?.split(",");
const profileDir = args.profile ? path.join(resultsDir, "profiles") : undefined;
if (profileDir) mkdirSync(profileDir, { recursive: true });
const heapDir = args["heap-snapshots"] ? path.join(resultsDir, "profiles") : undefined;
if (heapDir) mkdirSync(heapDir, { recursive: true });

/** Raises the soft open-files limit of this process (inherited by every child) for 10,000 connections. */
function raiseOpenFiles(needed) {
  const limits = readFileSync("/proc/self/limits", "utf8");
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
  if (!match) return;
  const soft = match[1] === "unlimited" ? Infinity : Number(match[1]);
  const hard = match[2] === "unlimited" ? Infinity : Number(match[2]);
  if (soft >= needed) return;
  const target = Math.min(hard, needed);
  const res = spawnSync("prlimit", ["--pid", String(process.pid), `--nofile=${target}:${match[2]}`]);
  if (res.status !== 0 || target < needed) console.warn(`warning: open files limit ${soft}, hard ${hard}: the idle scenario may fail`);
}
raiseOpenFiles(12_000);

// Servers and clients run in their own process groups (so that a run can be killed whole): take
// them down with the harness when it is interrupted.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    killAllTracked();
    process.exit(130);
  });
}

function gitCommit() {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: benchDir, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

const started = Date.now();
const loadBefore = os.loadavg()[0];
// The commit the run starts from (others may commit while it runs).
const commitAtStart = gitCommit();
const collected = [];
const availability = new Map(); // server id -> reason it is unavailable

for (const scenario of scenarios) {
  if (onlyScenarios && !onlyScenarios.includes(scenario.id)) continue;
  const ids = scenario.servers.filter((id) => !onlyServers || onlyServers.includes(id));
  if (ids.length === 0) continue;
  const scenarioReps = Math.min(reps, scenario.reps?.[mode] ?? reps);
  if (args.quick && scenario.titleQuick) Object.assign(scenario, { title: scenario.titleQuick, short: scenario.shortQuick });
  scenario.resolvedMessages = {};
  const rows = ids.map((id) => ({ server: servers[id], status: "ok", samples: {}, details: [] }));
  console.log(`\n== ${scenario.title} (${scenarioReps} runs each, interleaved)`);
  const scenarioStarted = Date.now();
  for (let rep = 0; rep < scenarioReps; rep++) {
    for (const row of rows) {
      const id = row.server.id;
      for (const metric of scenario.metrics) (row.samples[metric.id] ??= []).push(null);
      if (availability.has(id)) {
        row.status = "not available yet";
        row.reason = availability.get(id);
        continue;
      }
      if (Date.now() - started > budgetMs) {
        row.status = "skipped (time budget spent)";
        continue;
      }
      const messages = scenario.messages.perServer?.[id]?.[mode] ?? scenario.messages[mode];
      scenario.resolvedMessages[id] = messages;
      const opts = {
        messages,
        connections: scenario.connections?.[mode],
        timeoutMs: runTimeoutMs,
        warmupMessages: args.quick ? 100 : 400,
        serverId: id,
        heapSnapshots: heapDir,
      };
      const ctx = { maxConnections: (scenario.connections?.[mode] ?? 0) + 256, profileDir };
      let handle;
      try {
        handle = await row.server.start(ctx);
      } catch (err) {
        row.status = "failed to start";
        row.reason = err.message;
        console.log(`  ${id}: failed to start: ${err.message}`);
        continue;
      }
      if ("unavailable" in handle) {
        availability.set(id, handle.unavailable);
        row.status = "not available yet";
        row.reason = handle.unavailable;
        console.log(`  ${id}: not available yet (${handle.unavailable})`);
        continue;
      }
      try {
        const { metrics, detail } = await scenario.measure(handle, opts);
        for (const metric of scenario.metrics) row.samples[metric.id][rep] = metrics[metric.id];
        row.details.push(detail);
        const shown = scenario.metrics.map((m) => `${metrics[m.id].toFixed(m.digits)} ${m.title.split(" (")[0]}`).join(", ");
        console.log(`  run ${rep + 1} ${id}: ${shown}`);
      } catch (err) {
        row.details.push({ error: err.message });
        row.reason = err.message;
        if (row.samples[scenario.metrics[0].id].every((x) => x === null)) row.status = "failed";
        console.log(`  run ${rep + 1} ${id}: FAILED: ${err.message}`);
      } finally {
        await handle.stop();
      }
    }
  }
  collected.push({ scenario, rows });
  console.log(`  (${Math.round((Date.now() - scenarioStarted) / 1000)} s)`);
}

const command = `pnpm bench${argv.length > 0 ? ` ${argv.join(" ")}` : ""}`;
const meta = {
  command,
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  durationS: Math.round((Date.now() - started) / 1000),
  quick: args.quick,
  reps,
  node: process.version,
  cpu: os.cpus()[0]?.model.trim() ?? "unknown",
  cpus: os.cpus().length,
  kernel: os.release(),
  commit: commitAtStart,
  // Other work on the machine skews absolute figures (ratios of interleaved runs less so).
  loadAverage: { before: Number(loadBefore.toFixed(2)), after: Number(os.loadavg()[0].toFixed(2)) },
  smtpSource: "Postfix smtp-source (/usr/sbin/smtp-source)",
};
const results = buildResults(meta, collected, goals);
const markdown = toMarkdown(results);
const name = args.out ?? (args.quick ? "quick" : "latest");
mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, `${name}.json`), JSON.stringify(results, null, 2) + "\n");
writeFileSync(path.join(resultsDir, `${name}.md`), markdown + "\n");
console.log("\n" + markdown);
console.log(`\n(${meta.durationS} s; written to bench/results/${name}.json and ${name}.md)`);
