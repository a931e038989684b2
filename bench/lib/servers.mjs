// The servers under test. Each `start()` launches a fresh child process on a loopback port and
// resolves with a handle ({pid, port, stats(), stop()}) or with {unavailable: reason} when the server
// cannot run yet (an lmail package that has not landed).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, killGroup, track, waitExit, waitListening } from "./proc.mjs";

const benchDir = path.resolve(import.meta.dirname, "..");
const rootDir = path.resolve(benchDir, "..");

/**
 * @typedef {{ pid: number, port: number, stats: () => Promise<{messages: number, bytes: number} | null>, stop: () => Promise<void> }} Handle
 * @typedef {{ id: string, label: string, family: "lmail" | "anchor" | "floor", start: (ctx: StartContext) => Promise<Handle | {unavailable: string}> }} ServerDef
 * @typedef {{ maxConnections: number, profileDir?: string | undefined }} StartContext
 */

/** Starts a Node server child (bench/servers/*.mjs) and waits for its `ready` message. */
async function startNodeChild(script, args, { profileDir, cleanup, env } = {}) {
  const execArgv = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child = track(
    spawn(process.execPath, [...execArgv, path.join(benchDir, "servers", script), ...args], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      detached: true,
      env: { ...process.env, ...env },
    }),
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const first = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ type: "timeout" }), 15_000);
    child.on("message", function onMessage(msg) {
      if (msg?.type === "ready" || msg?.type === "unavailable") {
        clearTimeout(timer);
        child.off("message", onMessage);
        resolve(msg);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ type: "exit", code });
    });
  });
  if (first.type !== "ready") {
    killGroup(child.pid, "SIGKILL");
    cleanup?.();
    if (first.type === "unavailable") return { unavailable: first.reason };
    throw new Error(`${script} ${args.join(" ")}: ${first.type === "exit" ? `exited (${first.code})` : "not ready in 15 s"}: ${stderr.trim()}`);
  }
  return {
    pid: child.pid,
    port: first.port,
    stats: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), 5000);
        child.on("message", function onStats(msg) {
          if (msg?.type !== "stats") return;
          clearTimeout(timer);
          child.off("message", onStats);
          resolve({ messages: msg.messages, bytes: msg.bytes, memory: msg.memory });
        });
        child.send({ type: "stats" });
      }),
    heapSnapshot: (file) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), 60_000);
        child.on("message", function onSnapshot(msg) {
          if (msg?.type !== "heap-snapshot") return;
          clearTimeout(timer);
          child.off("message", onSnapshot);
          resolve(msg.file);
        });
        child.send({ type: "heap-snapshot", file });
      }),
    stop: async () => {
      // SIGTERM lets the child exit on its own (so that --cpu-prof writes its profile).
      killGroup(child.pid, "SIGTERM");
      await waitExit(child, 5000);
      cleanup?.();
    },
  };
}

function scratchDir(name) {
  return mkdtempSync(path.join(tmpdir(), `lmail-bench-${name}-`));
}

/** Counts the files under every `new/` directory below `dir` (delivered Maildir messages). */
function countMaildirMessages(dir) {
  let n = 0;
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const sub = path.join(d, entry.name);
      if (entry.name === "new") n += readdirSync(sub).length;
      else walk(sub);
    }
  };
  if (existsSync(dir)) walk(dir);
  return n;
}

/** Postfix's smtp-sink: the C reference (Debian's postfix package, its daemon never started). */
async function startSink({ maxConnections }) {
  if (!existsSync("/usr/sbin/smtp-sink")) return { unavailable: "/usr/sbin/smtp-sink is not installed (Debian package postfix)" };
  const port = await freePort();
  const args = [];
  // smtp-sink refuses to run as root without a user to switch to.
  if (process.getuid?.() === 0) args.push("-u", "nobody");
  // -m: simultaneous connections it serves (default 256; the idle scenario holds 10,000).
  args.push("-m", String(maxConnections), `127.0.0.1:${port}`, "4096");
  const child = track(spawn("/usr/sbin/smtp-sink", args, { stdio: ["ignore", "ignore", "pipe"], detached: true }));
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  try {
    await waitListening(port);
  } catch (err) {
    killGroup(child.pid, "SIGKILL");
    throw new Error(`smtp-sink: ${err.message}: ${stderr.trim()}`);
  }
  return {
    pid: /** @type {number} */ (child.pid),
    port,
    stats: async () => null,
    stop: async () => {
      killGroup(child.pid, "SIGTERM");
      await waitExit(child, 5000);
    },
  };
}

/** The reference daemon, apps/daemon (`lmaild`), delivering into a scratch maildir. */
async function startDaemon({ profileDir }) {
  const pkgFile = path.join(rootDir, "apps", "daemon", "package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  const bin = typeof pkg.bin === "string" ? pkg.bin : pkg.bin?.lmaild;
  if (!bin) return { unavailable: "apps/daemon has no `lmaild` bin yet" };
  const binPath = path.join(rootDir, "apps", "daemon", bin);
  if (!existsSync(binPath)) return { unavailable: `${path.relative(rootDir, binPath)} is not built (pnpm build)` };
  const port = await freePort();
  const dir = scratchDir("lmaild");
  const execArgv = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child = track(spawn(
    process.execPath,
    [...execArgv, binPath, "--listen", `127.0.0.1:${port}`, "--maildir", dir, "--domain", "bench.example", "--hostname", "bench.example", "--log-format", "json",
      // As the lmail child: room for the 100 MiB message and for 10,000 connections from 127.0.0.1.
      "--max-message-bytes", String(200 * 1024 * 1024), "--max-connections", "20000", "--max-connections-per-address", "20000"],
    { stdio: ["ignore", "ignore", "pipe"], detached: true, cwd: dir },
  ));
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  const ok = await Promise.race([waitListening(port, 15_000).then(() => true, () => false), exited.then(() => false)]);
  if (!ok) {
    killGroup(child.pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    return { unavailable: `lmaild did not start: ${stderr.trim().split("\n").slice(-3).join(" / ") || "no output"}` };
  }
  return {
    pid: /** @type {number} */ (child.pid),
    port,
    stats: async () => ({ messages: countMaildirMessages(dir), bytes: NaN }),
    stop: async () => {
      killGroup(child.pid, "SIGTERM");
      await waitExit(child, 10_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** @type {Record<string, ServerDef>} */
export const servers = {
  "smtp-sink": { id: "smtp-sink", label: "Postfix smtp-sink (C)", family: "anchor", start: startSink },
  "smtp-server": {
    id: "smtp-server",
    label: "smtp-server 3.21, as shipped",
    family: "anchor",
    start: ({ profileDir }) => startNodeChild("smtp-server.mjs", ["--greeting=shipped", "--store=discard"], { profileDir }),
  },
  "smtp-server-nodelay": {
    id: "smtp-server-nodelay",
    label: "smtp-server 3.21, greeting delay removed",
    family: "anchor",
    start: ({ profileDir }) => startNodeChild("smtp-server.mjs", ["--greeting=immediate", "--store=discard"], { profileDir }),
  },
  "smtp-server-fsync": {
    id: "smtp-server-fsync",
    label: "smtp-server 3.21, no delay, file per message + fsync",
    family: "anchor",
    start: ({ profileDir }) => {
      const dir = scratchDir("smtp-server");
      return startNodeChild("smtp-server.mjs", ["--greeting=immediate", "--store=fsync", `--dir=${dir}`], {
        profileDir,
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      });
    },
  },
  lmail: {
    id: "lmail",
    label: "lmail, discard handler",
    family: "lmail",
    start: ({ profileDir }) => startNodeChild("lmail.mjs", ["--store=discard"], { profileDir }),
  },
  "lmail-maildir": {
    id: "lmail-maildir",
    label: "lmail + @lmail/maildir (fsync)",
    family: "lmail",
    start: ({ profileDir }) => {
      const dir = scratchDir("lmail-maildir");
      return startNodeChild("lmail.mjs", ["--store=maildir", `--dir=${dir}`], {
        profileDir,
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      });
    },
  },
  lmaild: { id: "lmaild", label: "lmaild, the reference daemon (Maildir)", family: "lmail", start: startDaemon },
  "node-floor": {
    id: "node-floor",
    label: "Node floor: bare node:net, fixed replies (a reference, not a server)",
    family: "floor",
    start: ({ profileDir }) => startNodeChild("node-floor.mjs", [], { profileDir }),
  },
  "node-floor-maildir": {
    id: "node-floor-maildir",
    label: "Node floor + the Maildir protocol's system calls (a reference, not a server)",
    family: "floor",
    start: ({ profileDir }) => {
      const dir = scratchDir("node-floor");
      for (const sub of ["tmp", "new", "cur"]) mkdirSync(path.join(dir, sub), { mode: 0o700 });
      return startNodeChild("node-floor.mjs", [`--dir=${dir}`], {
        profileDir,
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      });
    },
  },
};
