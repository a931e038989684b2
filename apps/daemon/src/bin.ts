#!/usr/bin/env node
/** The `lmaild` executable. Exit codes: see exit-codes.ts and the README. */
import { ExitCode } from "./exit-codes.js";
import { main } from "./main.js";

// A throw nobody caught is a bug: say so on stderr and exit with the documented code 70.
const die = (kind: string) => (error: unknown): void => {
  process.stderr.write(`lmaild: internal error (${kind}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(ExitCode.Software);
};
process.on("uncaughtException", die("uncaught exception"));
process.on("unhandledRejection", die("unhandled rejection"));

const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
process.exitCode = code;
