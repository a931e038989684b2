#!/usr/bin/env node
// Compares two V8 heap snapshots (e.g. `pnpm bench --only idle --heap-snapshots`): the object kinds
// whose count and retained-by-self size grew most, per idle connection, to name what an idle
// connection costs on the JS heap.
//
//   node bench/heap-diff.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [--per N] [--top 30]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  options: { per: { type: "string", default: "1" }, top: { type: "string", default: "30" } },
  allowPositionals: true,
});
if (positionals.length !== 2) {
  console.error("usage: node bench/heap-diff.mjs BEFORE.heapsnapshot AFTER.heapsnapshot [--per N] [--top 30]");
  process.exit(2);
}
const per = Number(values.per);

/** Self size and count by "type:name" of every node in a snapshot. */
function tally(file) {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const width = fields.length;
  const iType = fields.indexOf("type");
  const iName = fields.indexOf("name");
  const iSize = fields.indexOf("self_size");
  const types = meta.node_types[iType];
  const { nodes, strings } = snap;
  const by = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + iType]];
    let name = type === "object" || type === "closure" || type === "native" || type === "hidden" ? strings[nodes[i + iName]] : "";
    if (name.length > 60) name = name.slice(0, 60) + "…";
    const key = `${type}${name ? `: ${name}` : ""}`;
    const entry = by.get(key) ?? { count: 0, size: 0 };
    entry.count += 1;
    entry.size += nodes[i + iSize];
    by.set(key, entry);
  }
  return by;
}

const before = tally(positionals[0]);
const after = tally(positionals[1]);
const rows = [];
for (const [key, a] of after) {
  const b = before.get(key) ?? { count: 0, size: 0 };
  if (a.size - b.size > 0) rows.push({ key, count: (a.count - b.count) / per, bytes: (a.size - b.size) / per });
}
rows.sort((x, y) => y.bytes - x.bytes);
const total = rows.reduce((s, r) => s + r.bytes, 0);
console.log(`heap growth${per > 1 ? ` per unit (÷ ${per})` : ""}: ${(total / 1024).toFixed(2)} KiB in self sizes`);
for (const r of rows.slice(0, Number(values.top))) {
  console.log(`${(r.bytes / 1024).toFixed(3).padStart(9)} KiB  ${r.count.toFixed(2).padStart(7)} ×  ${r.key}`);
}
