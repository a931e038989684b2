// Turns the collected samples into the result object (JSON) and a Markdown report.
import { pairedRatios, summarize } from "./stats.mjs";

const fmt = (x, digits) =>
  x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const fmtRatio = (s) => (s === null ? "—" : `${fmt(s.median, 2)}× (${fmt(s.min, 2)}–${fmt(s.max, 2)})`);

/**
 * @param {object} meta run metadata
 * @param {Array<{scenario: object, rows: Array<{server: object, status: string, reason?: string, samples: Record<string, Array<number|null>>, details: object[]}>}>} collected
 * @param {Array<object>} goals
 */
export function buildResults(meta, collected, goals) {
  const scenarios = collected.map(({ scenario, rows }) => ({
    id: scenario.id,
    title: scenario.title,
    short: scenario.short ?? scenario.title,
    messages: scenario.resolvedMessages,
    metrics: scenario.metrics.map((metric) => {
      const metricRows = rows.map((row) => ({
        server: row.server.id,
        label: row.server.label,
        family: row.server.family,
        status: row.status,
        ...(row.reason ? { reason: row.reason } : {}),
        samples: row.samples[metric.id] ?? [],
        summary: summarize(row.samples[metric.id] ?? []),
      }));
      const ratios = [];
      // lmail against every anchor and against the Node floor; the floor against every anchor (how
      // far node:net alone gets: a goal the floor misses is out of reach of any Node server).
      for (const a of metricRows.filter((r) => (r.family === "lmail" || r.family === "floor") && r.summary)) {
        for (const b of metricRows.filter((r) => (r.family === "anchor" || (r.family === "floor" && a.family === "lmail")) && r.summary)) {
          // An anchor whose figure is under 1% of the other's (smtp-sink's RSS growth of 0.0 MiB)
          // gives a ratio that only measures rounding: say so instead of printing it.
          if (b.summary.median * 100 < a.summary.median) {
            ratios.push({ lmail: a.server, anchor: b.server, values: [], summary: null, tooSmall: true });
            continue;
          }
          const { ratios: values, summary } = pairedRatios(a.samples, b.samples);
          if (summary) ratios.push({ lmail: a.server, anchor: b.server, values, summary });
        }
      }
      return { ...metric, rows: metricRows, ratios };
    }),
    details: Object.fromEntries(rows.map((row) => [row.server.id, row.details])),
  }));

  const goalResults = goals.map((goal) => {
    const metric = scenarios.find((s) => s.id === goal.scenario)?.metrics.find((m) => m.id === goal.metric);
    // The same figure for the Node floor (bench/servers/node-floor.mjs; `goal.floor` names another
    // floor row, as the Maildir one for durable delivery), where it ran.
    const valueOf = (server) => {
      if (!metric) return null;
      if (goal.anchor) return metric.ratios.find((r) => r.lmail === server && r.anchor === goal.anchor)?.summary?.median ?? null;
      return metric.rows.find((r) => r.server === server)?.summary?.median ?? null;
    };
    const value = valueOf(goal.server);
    const floor = valueOf(goal.floor ?? "node-floor");
    const met = value === null ? null : goal.min !== undefined ? value >= goal.min : value <= goal.max;
    return { ...goal, value, met, floor };
  });
  return { meta, scenarios, goals: goalResults };
}

/** The Markdown report: a summary of medians, the goals, then every metric with min, max and ratios. */
export function toMarkdown(results) {
  const { meta } = results;
  const out = [];
  out.push(`Command: \`${meta.command}\` — ${meta.date}, ${meta.cpus}× ${meta.cpu}, Linux ${meta.kernel}, Node ${meta.node}, commit ${meta.commit}; 1-minute load average ${meta.loadAverage.before} before, ${meta.loadAverage.after} after; ${meta.durationS} s.`);
  out.push(`${meta.quick ? "Quick run" : "Full run"}: ${meta.reps} interleaved repetitions per scenario (fewer where stated), each run on a freshly started server process; medians, with min–max.`);
  out.push(`Ratios are lmail ÷ anchor, computed run by run (run i of each), then summarized: median (min–max).`);
  out.push("");
  out.push(...summaryTable(results));
  out.push("");
  out.push("**Goals (issue 8)**");
  out.push("");
  out.push("| goal | target | measured | | Node floor |");
  out.push("|---|---|---|---|---|");
  for (const g of results.goals) {
    const target = g.min !== undefined ? `≥ ${g.min}${g.anchor ? "×" : ""}` : `≤ ${g.max}`;
    const shown = (v) => (v === null || v === undefined ? "not measured" : `${fmt(v, 2)}${g.anchor ? "×" : ""}`);
    out.push(`| ${g.text} | ${target} | ${shown(g.value)} | ${g.met === null ? "—" : g.met ? "met" : "**not met**"} | ${shown(g.floor)} |`);
  }
  out.push("");
  out.push("Node floor: the same figure for `bench/servers/node-floor.mjs`, a bare `node:net` server with fixed replies and no SMTP logic (a reference, not a server anyone should run). Where the floor itself misses a goal set against smtp-sink, no Node server on this machine meets it.");
  out.push("");
  for (const s of results.scenarios) {
    for (const m of s.metrics) {
      out.push(`**${s.title}** — ${m.title} (${m.better} is better)`);
      out.push("");
      out.push("| server | median | min | max | runs |");
      out.push("|---|--:|--:|--:|--:|");
      for (const r of m.rows) {
        if (r.summary) out.push(`| ${r.label} | ${fmt(r.summary.median, m.digits)} | ${fmt(r.summary.min, m.digits)} | ${fmt(r.summary.max, m.digits)} | ${r.summary.n} |`);
        else out.push(`| ${r.label} | ${r.status}${r.reason ? `: ${r.reason.replaceAll("|", "/").slice(0, 160)}` : ""} | | | 0 |`);
      }
      if (m.ratios.length > 0) {
        out.push("");
        out.push(
          m.ratios
            .map((r) => `${r.lmail} ÷ ${r.anchor}: ${r.tooSmall ? `none (${r.anchor}'s figure is under 1% of ${r.lmail}'s)` : fmtRatio(r.summary)}`)
            .join("; "),
        );
      }
      out.push("");
    }
  }
  return out.join("\n");
}

/** One line per scenario metric, one column per server (by id, with a legend): the medians side by side. */
function summaryTable(results) {
  const servers = [];
  for (const s of results.scenarios) for (const m of s.metrics) for (const r of m.rows) if (!servers.some((x) => x.server === r.server)) servers.push(r);
  const lines = [`| scenario | metric | ${servers.map((r) => r.server).join(" | ")} |`, `|---|---|${servers.map(() => "--:").join("|")}|`];
  for (const s of results.scenarios) {
    for (const m of s.metrics) {
      const cells = servers.map((srv) => {
        const row = m.rows.find((r) => r.server === srv.server);
        if (!row) return "";
        const value = row.summary ? fmt(row.summary.median, m.digits) : row.status === "not available yet" ? "n/a yet" : row.status;
        return srv.family === "lmail" ? `**${value}**` : value;
      });
      lines.push(`| ${s.short} | ${m.short ?? m.title} | ${cells.join(" | ")} |`);
    }
  }
  const legend = servers.map((r) => `\`${r.server}\`: ${r.label}`).join("; ");
  return ["**Medians** (lmail in bold; lower is better for CPU and memory)", "", ...lines, "", legend + "."];
}
