#!/usr/bin/env node
// The README's first quick-start command: build the workspace, then run the reference daemon
// (apps/daemon, `lmaild`) with its defaults (127.0.0.1:2525, ./maildir, domain localhost).
// Extra arguments are passed to lmaild: `pnpm start -- --listen 127.0.0.1:2526`.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };
const build = spawnSync("turbo", ["run", "build", "--output-logs=errors-only"], { cwd: root, stdio: "inherit", env });
if (build.status !== 0) process.exit(build.status ?? 1);

const daemonDir = path.join(root, "apps", "daemon");
const pkg = JSON.parse(readFileSync(path.join(daemonDir, "package.json"), "utf8"));
const bin = typeof pkg.bin === "object" && pkg.bin !== null ? pkg.bin.lmaild : undefined;
if (bin === undefined || !existsSync(path.join(daemonDir, bin))) {
  console.log("lmail is built. The reference daemon (apps/daemon) is not written yet, so there is nothing to start.");
  process.exit(0);
}
const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--"));
const daemon = spawnSync(process.execPath, [path.join(daemonDir, bin), ...args], { cwd: process.cwd(), stdio: "inherit" });
process.exit(daemon.status ?? 1);
