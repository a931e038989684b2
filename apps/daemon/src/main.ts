/**
 * lmaild's entry: parse the command line, then print help or the version, hash a password, or run
 * the daemon until a signal ends it. Returns the exit code (see exit-codes.ts).
 */
import { readFile } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import { helpText, parseCommandLine } from "./cli.js";
import { ConfigError, resolveConfig, type DaemonConfig } from "./config.js";
import { DaemonExit, ExitCode, type ExitCodeNumber } from "./exit-codes.js";
import { hashPasswordCommand } from "./hash-password-command.js";
import { version } from "./version.js";

export interface MainIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly cwd: string;
}

/** Read and parse the JSON config file. */
export async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new DaemonExit(ExitCode.NoInput, `cannot read config file ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DaemonExit(ExitCode.Config, `${file}: not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Command line and config file to a validated config; throws DaemonExit. */
export async function loadConfig(argv: readonly string[], cwd: string): Promise<DaemonConfig> {
  const command = parseCommandLine(argv);
  if (command.kind !== "run") throw new Error(`not a run command: ${command.kind}`);
  const file = command.configFile === undefined ? undefined : { path: command.configFile, data: await readConfigFile(command.configFile) };
  try {
    return resolveConfig({ ...(file === undefined ? {} : { file }), flags: command.flags, cwd });
  } catch (error) {
    if (error instanceof ConfigError) throw new DaemonExit(ExitCode.Config, error.message, { cause: error });
    throw error;
  }
}

export async function main(argv: readonly string[], io: MainIo): Promise<ExitCodeNumber> {
  try {
    const command = parseCommandLine(argv);
    switch (command.kind) {
      case "help":
        io.stdout.write(helpText);
        return ExitCode.Ok;
      case "version":
        io.stdout.write(`lmaild ${version}\n`);
        return ExitCode.Ok;
      case "hash-password":
        await hashPasswordCommand(io.stdin, io.stdout, io.stderr);
        return ExitCode.Ok;
      case "run": {
        const config = await loadConfig(argv, io.cwd);
        const { runDaemon } = await import("./run.js");
        return await runDaemon(config);
      }
    }
  } catch (error) {
    if (error instanceof DaemonExit) {
      io.stderr.write(`lmaild: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`lmaild: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.Software;
  }
}
