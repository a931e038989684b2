#!/usr/bin/env node
// Summarizes V8 CPU profiles (`node --cpu-prof`, e.g. from `pnpm bench --profile`): the functions
// with the most self time, and the share of time spent in each package (by file path), so that a hot
// spot can be named by file and function.
//
//   node bench/profile-summary.mjs bench/results/profiles/*.cpuprofile [--top 30] [--per MESSAGES]
//
// A CPU profile samples wall time: on a loaded machine a function descheduled in a system call
// is charged for the wait. Compare shares within one profile rather than across machines.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  options: { top: { type: "string", default: "30" }, per: { type: "string" } },
  allowPositionals: true,
});
// --per N: also print each figure as µs per unit (e.g. per message, when N messages were sent).
const per = values.per === undefined ? undefined : Number(values.per);
const top = Number(values.top);
if (positionals.length === 0) {
  console.error("usage: node bench/profile-summary.mjs FILE.cpuprofile... [--top N]");
  process.exit(2);
}

const root = path.resolve(import.meta.dirname, "..");
const shorten = (url) => {
  if (!url) return "(native)";
  const p = url.replace(/^file:\/\//, "");
  const pnpm = p.indexOf("node_modules/.pnpm/");
  if (pnpm !== -1) return p.slice(pnpm + "node_modules/.pnpm/".length).replace(/^[^/]+\/node_modules\//, "");
  return p.startsWith(root) ? path.relative(root, p) : p;
};
const area = (url) => {
  const p = shorten(url);
  const m = /^(packages|apps)\/([^/]+)\//.exec(p);
  if (m) return `${m[1]}/${m[2]}`;
  if (p.startsWith("node:") || p === "(native)") return p === "(native)" ? "(native/gc/idle)" : "node: internals";
  if (p.startsWith("bench/")) return "bench";
  return p.split("/")[0];
};

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (dt[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (id) => {
    const { callFrame } = byId.get(id);
    return `${callFrame.functionName || "(anonymous)"}  ${shorten(callFrame.url)}:${callFrame.lineNumber + 1}`;
  };
  // Inclusive time: each sample counts once for every distinct function on its stack.
  const inclusive = new Map();
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) seen.add(keyOf(at));
    for (const k of seen) inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
  const busy = total - (areasIdle(profile, selfUs, byId));
  const fn = new Map();
  const areas = new Map();
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    const key = keyOf(id);
    fn.set(key, (fn.get(key) ?? 0) + us);
    const a = callFrame.url ? area(callFrame.url) : callFrame.functionName.startsWith("(") ? callFrame.functionName : "(native)";
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%${per ? ` ${(us / per).toFixed(2).padStart(7)} µs` : ""}`;
  console.log(`\n${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle (percentages are of that)`);
  console.log("\nself time by area:");
  for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 15)) if (a !== "(idle)") console.log(`  ${pct(us)}  ${a}`);
  console.log(`\ntop ${top} functions by self time:`);
  for (const [k, us] of [...fn].filter(([k]) => !k.startsWith("(idle)")).sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
  console.log(`\ntop ${top} functions by total time (self + callees) in lmail packages:`);
  for (const [k, us] of [...inclusive].filter(([k]) => /  (packages|apps)\//.test(k)).sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`  ${pct(us)}  ${k}`);
}

/** Microseconds sampled as (idle). */
function areasIdle(profile, selfUs, byId) {
  let us = 0;
  for (const [id, t] of selfUs) if (byId.get(id).callFrame.functionName === "(idle)") us += t;
  return us;
}
