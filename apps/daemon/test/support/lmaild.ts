/**
 * Run the real lmaild as a child process: start it on free ports (`--listen 127.0.0.1:0`), read
 * its JSON log lines from stdout, wait for the "ready" line that reports the bound addresses, and
 * stop it with a signal. Every wait is bounded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The executable compiled by build-daemon.ts. */
export const lmaildBin = path.join(packageDir, "node_modules", ".lmaild-test", "dist", "bin.js");

export type LogRecord = Record<string, unknown> & { readonly msg?: string; readonly level?: number };

export interface ReadyListener {
  readonly kind: "smtp" | "smtps";
  readonly address: string;
  readonly port: number;
}

export interface Lmaild {
  readonly child: ChildProcess;
  readonly records: LogRecord[];
  readonly listeners: readonly ReadyListener[];
  readonly metrics: { readonly address: string; readonly port: number } | null;
  /** The first plain listener's port. */
  readonly smtpPort: number;
  /** The first implicit-TLS listener's port, if any. */
  readonly smtpsPort: number | undefined;
  stderr(): string;
  /** Resolve with the first record (already logged or to come) that matches; reject after `timeoutMs`. */
  waitFor(match: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** Send a signal and resolve with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start lmaild; resolves once it logged "ready", rejects if it exits first or takes too long. */
export function startLmaild(args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Lmaild> {
  const child = spawn(process.execPath, [lmaildBin, ...args], { cwd: options.cwd ?? packageDir, stdio: ["ignore", "pipe", "pipe"] });
  const records: LogRecord[] = [];
  const waiters: { match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] = [];
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("close", (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal })));
  createInterface({ input: child.stdout }).on("line", (line) => {
    let record: LogRecord;
    try {
      record = JSON.parse(line) as LogRecord;
    } catch {
      record = { msg: "(not json)", line };
    }
    records.push(record);
    for (const w of [...waiters]) {
      if (w.match(record)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(record);
      }
    }
  });
  const waitFor = (match: (r: LogRecord) => boolean, timeoutMs = 10_000): Promise<LogRecord> => {
    const found = records.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (r: LogRecord) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`lmaild: no matching log line within ${String(timeoutMs)} ms; stderr: ${stderr}; log: ${records.map((r) => JSON.stringify(r)).join("\n")}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };
  const stop = async (signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`lmaild did not exit within ${String(timeoutMs)} ms of ${signal}`));
      }, timeoutMs);
    });
    try {
      return (await Promise.race([exited, timeout])).code;
    } finally {
      clearTimeout(timer);
    }
  };
  const ready = waitFor((r) => r.msg === "ready", options.timeoutMs ?? 20_000);
  return Promise.race([
    ready.then((record): Lmaild => {
      const listeners = record.listeners as ReadyListener[];
      const smtp = listeners.find((l) => l.kind === "smtp");
      const smtps = listeners.find((l) => l.kind === "smtps");
      return {
        child,
        records,
        listeners,
        metrics: record.metrics as Lmaild["metrics"],
        smtpPort: smtp?.port ?? -1,
        smtpsPort: smtps?.port,
        stderr: () => stderr,
        waitFor,
        stop,
        exited,
      };
    }),
    exited.then(({ code, signal }): never => {
      throw new Error(`lmaild exited (code ${String(code)}, signal ${String(signal)}) before it was ready; stderr: ${stderr}`);
    }),
  ]);
}

/** Run lmaild to completion (for --help, bad configs …). */
export function runLmaild(args: readonly string[], options: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCommand(process.execPath, [lmaildBin, ...args], { ...options, cwd: options.cwd ?? packageDir });
}

/** Run any program with a bounded time; never rejects for a non-zero exit. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: { input?: string | Uint8Array; cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"], env: options.env ?? process.env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish within ${String(options.timeoutMs ?? 30_000)} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input);
  });
}
