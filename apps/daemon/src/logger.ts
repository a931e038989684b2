/**
 * Logs: pino, one JSON object per line on stdout (`--log-format json`, the default, for log
 * collectors), or a short human line per record (`--log-format pretty`) from the small formatter
 * below rather than another dependency.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import type { LogFormat, LogLevel } from "./config.js";

export type { Logger } from "pino";

const levelNames: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const omitted = new Set(["level", "time", "msg", "pid", "hostname"]);

function formatValue(value: unknown): string {
  // Bare only when safe: no white space, quote, '=' or control character (a client-supplied
  // name with ESC or BEL would otherwise reach the terminal raw); JSON escapes everything else.
  if (typeof value === "string") return /^[^\s"=\p{Cc}]+$/u.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? "undefined";
}

/** One pino JSON record as a human line: `12:00:00.123 INFO  message key=value …`. */
export function formatPretty(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith("\n") ? line : `${line}\n`;
  }
  const time = typeof record.time === "number" ? new Date(record.time).toISOString().slice(11, 23) : "";
  const level = (typeof record.level === "number" ? levelNames[record.level] : undefined) ?? String(record.level);
  const fields = Object.entries(record)
    .filter(([key]) => !omitted.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return `${time} ${level.padEnd(5)} ${typeof record.msg === "string" ? record.msg : ""}${fields.length > 0 ? ` ${fields.join(" ")}` : ""}\n`;
}

export interface LoggerOptions {
  readonly format: LogFormat;
  readonly level: LogLevel;
  /** Where lines go. Default stdout, written synchronously so that nothing is lost at exit. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? pino.destination({ dest: 1, sync: true });
  const stream: DestinationStream = options.format === "pretty" ? { write: (line: string) => out.write(formatPretty(line)) } : out;
  return pino({ level: options.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.epochTime }, stream);
}
