// Process helpers for the harness: free loopback ports, /proc memory figures, and running a child
// with a hard time limit.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import net from "node:net";

/** Process groups started by the harness and still running: killed if the harness is interrupted. */
const liveGroups = new Set();

/** Records a detached child (its own process group) until it exits. */
export function track(child) {
  if (child.pid === undefined) return child;
  liveGroups.add(child.pid);
  child.once("exit", () => liveGroups.delete(child.pid));
  return child;
}

/** Kills every process group the harness started that is still running (on SIGINT/SIGTERM). */
export function killAllTracked() {
  for (const pid of liveGroups) killGroup(pid, "SIGKILL");
  liveGroups.clear();
}

/** A loopback port that was free a moment ago (for servers that cannot listen on port 0 and tell us). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {net.AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM of a process in KiB, from /proc/PID/status. */
export function memoryKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    if (match === null) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

/**
 * Resets the peak RSS (VmHWM) of a process to its current RSS (Linux >= 4.0, `echo 5 > clear_refs`).
 * Returns false when the kernel refused, in which case the peak since the start is all there is.
 */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a command to completion with a time limit; kills its process group when the limit passes.
 * Resolves with its exit code, output and wall time in ms (never rejects on a non-zero exit).
 */
export function runBounded(command, args, { timeoutMs, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = track(spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, env: env ?? process.env, cwd }));
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, "SIGKILL");
    }, timeoutMs ?? 60_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ code, signal, stdout, stderr, ms, timedOut });
    });
  });
}

/** Sends a signal to a process group we started (detached child), ignoring a group already gone. */
export function killGroup(pid, signal = "SIGTERM") {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Resolves when a child exits, or after `ms` (then kills it hard). */
export function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      killGroup(child.pid, "SIGKILL");
      resolve();
    }, ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port (polling, bounded). */
export async function waitListening(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** CPU time (every thread) a process has used so far, in ms: {user, system} (/proc/PID/stat, 100 ticks/s). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the command name: state is field 3, utime field 14, stime field 15 (proc(5)).
  return { user: Number(fields[14 - 3]) * 10, system: Number(fields[15 - 3]) * 10 };
}

/** CPU time used between two `cpuMs()` readings: {user, system, total} in ms. */
export function cpuSince(before, pid) {
  const now = cpuMs(pid);
  const user = now.user - before.user;
  const system = now.system - before.system;
  return { user, system, total: user + system };
}
