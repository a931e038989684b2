#!/usr/bin/env node
/** The `lmaild` executable. Exit codes: see exit-codes.ts and the README. */
import { main } from "./main.js";

const code = await main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
process.exitCode = code;
