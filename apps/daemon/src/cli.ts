/**
 * The command line: `lmaild [FLAGS]`, `lmaild hash-password`, `--help`, `--version`. Parsed with
 * node:util parseArgs; every flag maps to the config key of the same name in camelCase.
 */
import { parseArgs } from "node:util";
import type { ConfigKey } from "./config.js";
import { DaemonExit, ExitCode } from "./exit-codes.js";

export type Command =
  | { readonly kind: "run"; readonly configFile: string | undefined; readonly flags: Partial<Record<ConfigKey, unknown>> }
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "hash-password" };

const options = {
  config: { type: "string" },
  listen: { type: "string", multiple: true },
  "listen-tls": { type: "string", multiple: true },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-self-signed": { type: "boolean" },
  maildir: { type: "string" },
  domain: { type: "string", multiple: true },
  mailbox: { type: "string", multiple: true },
  hostname: { type: "string" },
  "max-message-bytes": { type: "string" },
  "max-recipients": { type: "string" },
  "max-connections": { type: "string" },
  "max-connections-per-address": { type: "string" },
  users: { type: "string" },
  "log-format": { type: "string" },
  "log-level": { type: "string" },
  metrics: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

const numericFlags = new Set(["max-message-bytes", "max-recipients", "max-connections", "max-connections-per-address"]);

/** `max-message-bytes` → `maxMessageBytes`. */
const keyOf = (flag: string): ConfigKey => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as ConfigKey;

/** Parse argv (without node and the script). Throws {@link DaemonExit} with exit code 64 on a usage error. */
export function parseCommandLine(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new DaemonExit(ExitCode.Usage, `${(error as Error).message}\nTry lmaild --help.`, { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: "help" };
  if (values.version === true) return { kind: "version" };
  if (positionals.length > 0) {
    if (positionals[0] === "hash-password" && positionals.length === 1 && Object.keys(values).length === 0) return { kind: "hash-password" };
    const word = positionals[0] === "hash-password" ? "hash-password takes no arguments" : `unexpected argument "${positionals[0] ?? ""}"`;
    throw new DaemonExit(ExitCode.Usage, `${word}\nTry lmaild --help.`);
  }
  const flags: Partial<Record<ConfigKey, unknown>> = {};
  for (const [flag, value] of Object.entries(values)) {
    if (flag === "config" || value === undefined) continue;
    if (numericFlags.has(flag)) {
      if (typeof value !== "string" || !/^\d+$/.test(value)) throw new DaemonExit(ExitCode.Usage, `--${flag}: "${String(value)}" is not a whole number\nTry lmaild --help.`);
      flags[keyOf(flag)] = Number(value);
    } else {
      flags[keyOf(flag)] = value;
    }
  }
  return { kind: "run", configFile: values.config, flags };
}

export const helpText = `lmaild, the reference lmail daemon: receives mail over SMTP and delivers it into Maildir.

Usage:
  lmaild [--config FILE] [FLAGS]
  lmaild hash-password          read a password on stdin, print its hash for a users-file line user:HASH
  lmaild --help | --version

Flags (each has a config-file key in camelCase: --max-message-bytes is "maxMessageBytes";
a flag replaces the file's value; repeatable flags replace the whole list):
  --config FILE               JSON config file
  --listen HOST:PORT          plain SMTP listener, STARTTLS when TLS is configured (repeatable;
                              default 127.0.0.1:2525; port 0 picks a free port; IPv6 as [::1]:2525)
  --listen-tls HOST:PORT      implicit-TLS (SMTPS, RFC 8314) listener (repeatable; needs TLS)
  --tls-cert FILE             PEM certificate chain   (with --tls-key: enables STARTTLS)
  --tls-key FILE              PEM private key
  --tls-self-signed           generate a throwaway self-signed certificate at start (development only)
  --maildir DIR               delivery root (default ./maildir); mail goes to DIR/<domain>/<local-part>/
  --domain NAME               local domain (repeatable; default localhost); other domains get 550 5.7.1
  --mailbox ADDRESS           declare a mailbox (repeatable); once a domain has one, only declared
                              mailboxes are accepted there (others: 550 5.1.1)
  --hostname NAME             name in the greeting and Received: fields (default: the system's)
  --max-message-bytes N       largest message accepted (default 26214400, 25 MiB)
  --max-recipients N          recipients per message (default 100)
  --max-connections N         connections open at once (default 1000; beyond: 421 4.7.0)
  --max-connections-per-address N
                              connections open at once from one client address (default 20)
  --users FILE                users file (user:HASH lines): turns on AUTH PLAIN and LOGIN, under TLS only
  --log-format json|pretty    log format on stdout (default json)
  --log-level LEVEL           fatal, error, warn, info, debug, trace or silent (default info)
  --metrics HOST:PORT         serve Prometheus metrics at http://HOST:PORT/metrics
  -h, --help                  this text
  -V, --version               the version

Signals: SIGTERM and SIGINT shut down gracefully; SIGHUP reloads the certificate and the users file.
Exit codes: 0 clean shutdown, 64 bad command line, 66 a file cannot be read, 69 cannot listen,
70 internal error, 78 invalid configuration.
`;
