#!/usr/bin/env node
// The whole test suite: build, typecheck, lint, package checks (publint, attw) and tests of every
// workspace package through turbo, then one closing line `N passed, N failed` summed over every
// package. Test counts come from each package's vitest JSON report (test-results.json); a task
// other than `test` that fails (typecheck, lint, check, build) counts as one failure, and so does
// a test task that failed without reporting a failed test (a crash, a coverage threshold).
// Exits non-zero when anything failed.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const workspaceDirs = ["packages", "apps"]
  .filter((d) => existsSync(path.join(root, d)))
  .flatMap((d) => readdirSync(path.join(root, d)).map((n) => path.join(root, d, n)))
  .filter((d) => existsSync(path.join(d, "package.json")));
const nameOf = (dir) => JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")).name;

for (const dir of workspaceDirs) rmSync(path.join(dir, "test-results.json"), { force: true });
const runsDir = path.join(root, ".turbo", "runs");
const before = new Set(existsSync(runsDir) ? readdirSync(runsDir) : []);

const turbo = spawnSync(
  "turbo",
  ["run", "build", "typecheck", "lint", "check", "test", "--continue", "--summarize", ...process.argv.slice(2)],
  { cwd: root, stdio: "inherit", env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" } },
);

// Which tasks failed, from turbo's run summary.
const failedTasks = [];
const newRuns = existsSync(runsDir) ? readdirSync(runsDir).filter((f) => !before.has(f) && f.endsWith(".json")) : [];
newRuns.sort((a, b) => statSync(path.join(runsDir, a)).mtimeMs - statSync(path.join(runsDir, b)).mtimeMs);
const summaryFile = newRuns.at(-1);
if (summaryFile !== undefined) {
  const summary = JSON.parse(readFileSync(path.join(runsDir, summaryFile), "utf8"));
  for (const task of summary.tasks ?? []) {
    const exitCode = task.execution?.exitCode;
    if (exitCode !== 0 && exitCode !== undefined && exitCode !== null) failedTasks.push({ pkg: task.package, task: task.task });
  }
}

let passed = 0;
let failed = 0;
const notes = [];
for (const dir of workspaceDirs) {
  const name = nameOf(dir);
  const file = path.join(dir, "test-results.json");
  let report;
  if (existsSync(file)) {
    try {
      report = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      report = undefined;
    }
  }
  if (report !== undefined) {
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
  }
  const testFailed = failedTasks.some((t) => t.pkg === name && t.task === "test");
  if (testFailed && (report === undefined || (report.numFailedTests ?? 0) === 0)) {
    failed += 1;
    notes.push(`${name}: test task failed without a failed test (crash, unhandled error or coverage threshold)`);
  }
}
for (const t of failedTasks.filter((t) => t.task !== "test")) {
  failed += 1;
  notes.push(`${t.pkg}: ${t.task} failed`);
}
if (summaryFile === undefined && turbo.status !== 0) {
  failed += 1;
  notes.push(`turbo exited with ${String(turbo.status ?? turbo.signal)} and wrote no run summary`);
}
for (const note of notes) console.log(`FAILED: ${note}`);
const ok = turbo.status === 0 && failed === 0;
console.log(`${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
