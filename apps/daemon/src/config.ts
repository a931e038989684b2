/**
 * lmaild's configuration: one schema (zod) for the JSON config file and the command line. Every
 * flag has a config key of the same name in camelCase (`--max-message-bytes` is
 * `maxMessageBytes`); a flag given on the command line replaces the file's value. A bad value
 * fails at once, naming the key and the problem.
 */
import { hostname as osHostname } from "node:os";
import path from "node:path";
import { toLookupDomain } from "@lmail/parser";
import { z } from "zod";
import { formatHostPort, parseHostPort, type HostPort } from "./host-port.js";
import { unsafeLocalPartReason, SUBADDRESS_SEPARATOR } from "./recipient-policy.js";

export const logFormats = ["json", "pretty"] as const;
export type LogFormat = (typeof logFormats)[number];
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

/** Defaults, each with its reason. */
export const defaults = {
  /** Loopback only: a fresh install must not be reachable from the network until asked to be. 2525, not 25, needs no privileges. */
  listen: ["127.0.0.1:2525"],
  /** Relative to the working directory, as the README's quick start expects. */
  maildir: "./maildir",
  /** Mail for `you@localhost` works out of the box and nothing else is accepted. */
  domain: ["localhost"],
  /** 25 MiB: what large mailbox providers accept, and RFC 1870 SIZE advertises it. */
  maxMessageBytes: 25 * 1024 * 1024,
  /** RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients. */
  maxRecipients: 100,
  /** Bounds file descriptors and memory (@lmail/server's default). */
  maxConnections: 1000,
  /** One client must not take every slot (@lmail/server's default, near Postfix's 50). */
  maxConnectionsPerAddress: 20,
  logFormat: "json",
  logLevel: "info",
} as const;

const hostPort = z.string().transform((value, ctx): HostPort => {
  const parsed = parseHostPort(value);
  if ("error" in parsed) {
    ctx.addIssue({ code: "custom", message: parsed.error });
    return z.NEVER;
  }
  return parsed;
});

/** A string, or a list of them (for the repeatable flags). */
const oneOrMany = <T extends z.ZodType>(item: T) => z.preprocess((v) => (typeof v === "string" ? [v] : v), z.array(item));

/**
 * A local domain as RCPT will see it: exactly the parser's `asciiDomain` for the name (its
 * `toLookupDomain`), so that a configured domain and a recipient's domain can never disagree.
 * Undefined with the reason when the name cannot be a local domain.
 */
function localDomain(text: string): { ascii: string } | { error: string } {
  const ascii = toLookupDomain(text, { trailingDot: true });
  if (ascii === undefined) return { error: "is not a domain name" };
  // The recipient policy refuses every address literal (user@[192.0.2.1]): one cannot be local.
  if (ascii.startsWith("[")) return { error: "is an address literal, and lmaild accepts no mail for address literals" };
  return { ascii };
}

const domainName = z.string().transform((value, ctx) => {
  const domain = localDomain(value.trim());
  if ("error" in domain) {
    ctx.addIssue({ code: "custom", message: `"${value}" ${domain.error}` });
    return z.NEVER;
  }
  return domain.ascii;
});

const mailboxAddress = z.string().transform((value, ctx) => {
  const at = value.lastIndexOf("@");
  const local = at > 0 ? value.slice(0, at) : "";
  if (local === "" || at === value.length - 1) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not local@domain` });
    return z.NEVER;
  }
  const domain = localDomain(value.slice(at + 1));
  if ("error" in domain) {
    ctx.addIssue({ code: "custom", message: `the domain of "${value}" ${domain.error}` });
    return z.NEVER;
  }
  const unsafe = unsafeLocalPartReason(local);
  if (unsafe !== undefined) {
    ctx.addIssue({ code: "custom", message: `the local part of "${value}" ${unsafe}` });
    return z.NEVER;
  }
  if (local.includes(SUBADDRESS_SEPARATOR)) {
    ctx.addIssue({ code: "custom", message: `"${value}" has a +tag: declare the mailbox without it (tags are stripped at delivery)` });
    return z.NEVER;
  }
  return { local: local.normalize("NFC").toLowerCase(), domain: domain.ascii };
});

const filePath = z.string().min(1, "must not be empty");
const positiveInt = z.number().int("must be an integer").positive("must be greater than 0").max(Number.MAX_SAFE_INTEGER);

/** The config file's schema (and the command line's, once flags are named by their keys). */
export const configSchema = z.strictObject({
  listen: oneOrMany(hostPort).optional(),
  listenTls: oneOrMany(hostPort).optional(),
  tlsCert: filePath.optional(),
  tlsKey: filePath.optional(),
  tlsSelfSigned: z.boolean().optional(),
  maildir: filePath.optional(),
  domain: oneOrMany(domainName).optional(),
  mailbox: oneOrMany(mailboxAddress).optional(),
  // eslint-disable-next-line no-control-regex
  hostname: z.string().regex(/^[^\s\u0000-\u001f\u007f]+$/u, "must be one word without control characters").optional(),
  maxMessageBytes: positiveInt.optional(),
  maxRecipients: positiveInt.optional(),
  maxConnections: positiveInt.optional(),
  maxConnectionsPerAddress: positiveInt.optional(),
  users: filePath.optional(),
  logFormat: z.enum(logFormats).optional(),
  logLevel: z.enum(logLevels).optional(),
  metrics: hostPort.optional(),
});

/** What a config file or the command line may hold, before validation. */
export type ConfigInput = z.input<typeof configSchema>;
export type ConfigKey = keyof ConfigInput;

/** The validated, complete configuration the daemon runs with. */
export interface DaemonConfig {
  readonly listen: readonly HostPort[];
  readonly listenTls: readonly HostPort[];
  readonly tls: { readonly kind: "files"; readonly certFile: string; readonly keyFile: string } | { readonly kind: "self-signed" } | undefined;
  /** Absolute. */
  readonly maildir: string;
  /** Lowercase A-labels, in the order given; the first receives `<Postmaster>`. */
  readonly domains: readonly string[];
  /** Declared mailboxes by domain. */
  readonly mailboxes: ReadonlyMap<string, ReadonlySet<string>>;
  readonly hostname: string;
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  /** Absolute path of the users file; AUTH is on when set. */
  readonly usersFile: string | undefined;
  readonly logFormat: LogFormat;
  readonly logLevel: LogLevel;
  readonly metrics: HostPort | undefined;
}

/** A configuration that cannot be used: `key` names the config key (and `flag` the flag, when it came from one). */
export class ConfigError extends Error {
  readonly code = "ERR_LMAILD_CONFIG";
  readonly key: string | undefined;

  constructor(message: string, key?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConfigError";
    this.key = key;
  }
}

/** `maxMessageBytes` → `--max-message-bytes`. */
export const flagOf = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function describeKey(issuePath: readonly PropertyKey[], fromFlags: ReadonlySet<string>): string {
  const [key, ...rest] = issuePath.map(String);
  if (key === undefined) return "config";
  const where = rest.length > 0 ? `${key}[${rest.join("][")}]` : key;
  return fromFlags.has(key) ? `${flagOf(key)} (config key "${where}")` : `config key "${where}"`;
}

export interface ResolveOptions {
  /** The parsed config file, if one was given. */
  readonly file?: { readonly path: string; readonly data: unknown };
  /** Values from the command line, by config key; they replace the file's. */
  readonly flags?: Partial<Record<ConfigKey, unknown>>;
  /** Base for relative paths given on the command line. Default process.cwd(). */
  readonly cwd?: string;
}

/**
 * Validate and merge the config file and the flags into a {@link DaemonConfig}. Throws a
 * {@link ConfigError} naming the first offending key. Relative paths in the config file are
 * relative to the file's directory; on the command line, to the working directory.
 */
export function resolveConfig(options: ResolveOptions): DaemonConfig {
  const cwd = options.cwd ?? process.cwd();
  const fileDir = options.file === undefined ? cwd : path.dirname(path.resolve(cwd, options.file.path));
  const fileData = options.file?.data ?? {};
  if (typeof fileData !== "object" || fileData === null || Array.isArray(fileData)) {
    throw new ConfigError(`${options.file?.path ?? "config"}: the config file must hold a JSON object`);
  }
  const flags = Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, v]) => v !== undefined));
  const fromFlags = new Set(Object.keys(flags));
  const fileResult = configSchema.safeParse(fileData);
  if (!fileResult.success) throw issueError(fileResult.error, new Set(), options.file?.path);
  const flagResult = configSchema.safeParse(flags);
  if (!flagResult.success) throw issueError(flagResult.error, fromFlags, undefined);
  const file = fileResult.data;
  const cli = flagResult.data;
  const pick = <K extends keyof typeof file>(key: K): { value: (typeof file)[K]; base: string } =>
    cli[key] !== undefined ? { value: cli[key], base: cwd } : { value: file[key], base: fileDir };
  const where = (key: ConfigKey): string => (fromFlags.has(key) ? `${flagOf(key)} (config key "${key}")` : `config key "${key}"`);
  const abs = (key: "tlsCert" | "tlsKey" | "maildir" | "users"): string | undefined => {
    const { value, base } = pick(key);
    return value === undefined ? undefined : path.resolve(base, value);
  };

  const listen = pick("listen").value ?? (pick("listenTls").value === undefined ? defaults.listen.map((v) => parseHostPort(v) as HostPort) : []);
  const listenTls = pick("listenTls").value ?? [];
  if (listen.length + listenTls.length === 0) throw new ConfigError(`${where("listen")}: nothing to listen on (give at least one of listen, listenTls)`, "listen");
  const certFile = abs("tlsCert");
  const keyFile = abs("tlsKey");
  const selfSigned = pick("tlsSelfSigned").value ?? false;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const missing = certFile === undefined ? "tlsCert" : "tlsKey";
    throw new ConfigError(`${where(missing)}: tlsCert and tlsKey go together; ${missing} is missing`, missing);
  }
  if (selfSigned && certFile !== undefined) throw new ConfigError(`${where("tlsSelfSigned")}: give either a certificate (tlsCert, tlsKey) or tlsSelfSigned, not both`, "tlsSelfSigned");
  const tls: DaemonConfig["tls"] = certFile !== undefined && keyFile !== undefined ? { kind: "files", certFile, keyFile } : selfSigned ? { kind: "self-signed" } : undefined;
  if (listenTls.length > 0 && tls === undefined) throw new ConfigError(`${where("listenTls")}: implicit TLS needs a certificate (tlsCert and tlsKey, or tlsSelfSigned)`, "listenTls");

  const domains = [...new Set(pick("domain").value ?? defaults.domain)];
  const mailboxes = new Map<string, Set<string>>();
  for (const { local, domain } of pick("mailbox").value ?? []) {
    if (!domains.includes(domain)) throw new ConfigError(`${where("mailbox")}: ${local}@${domain} is not in a local domain (local domains: ${domains.join(", ")}; add it with domain)`, "mailbox");
    let set = mailboxes.get(domain);
    if (set === undefined) mailboxes.set(domain, (set = new Set()));
    set.add(local);
  }
  const usersFile = abs("users");
  if (usersFile !== undefined && tls === undefined) throw new ConfigError(`${where("users")}: AUTH is offered only under TLS; give a certificate (tlsCert and tlsKey, or tlsSelfSigned)`, "users");

  return {
    listen,
    listenTls,
    tls,
    maildir: abs("maildir") ?? path.resolve(cwd, defaults.maildir),
    domains,
    mailboxes,
    hostname: pick("hostname").value ?? osHostname(),
    maxMessageBytes: pick("maxMessageBytes").value ?? defaults.maxMessageBytes,
    maxRecipients: pick("maxRecipients").value ?? defaults.maxRecipients,
    maxConnections: pick("maxConnections").value ?? defaults.maxConnections,
    maxConnectionsPerAddress: pick("maxConnectionsPerAddress").value ?? defaults.maxConnectionsPerAddress,
    usersFile,
    logFormat: pick("logFormat").value ?? defaults.logFormat,
    logLevel: pick("logLevel").value ?? defaults.logLevel,
    metrics: pick("metrics").value,
  };
}

function issueError(error: z.ZodError, fromFlags: ReadonlySet<string>, file: string | undefined): ConfigError {
  const issue = error.issues[0];
  const prefix = file === undefined ? "" : `${file}: `;
  if (issue === undefined) return new ConfigError(`${prefix}invalid configuration`);
  if (issue.code === "unrecognized_keys") {
    const known = Object.keys(configSchema.shape).join(", ");
    return new ConfigError(`${prefix}unknown config key ${issue.keys.map((k) => `"${k}"`).join(", ")} (known keys: ${known})`, issue.keys[0]);
  }
  const key = issue.path[0] === undefined ? undefined : String(issue.path[0]);
  return new ConfigError(`${prefix}${describeKey(issue.path, fromFlags)}: ${issue.message}`, key);
}

/** Describe a config for the startup log (no secrets: only paths). */
export function describeConfig(config: DaemonConfig): Record<string, unknown> {
  return {
    listen: config.listen.map(formatHostPort),
    listenTls: config.listenTls.map(formatHostPort),
    tls: config.tls === undefined ? "off" : config.tls.kind,
    maildir: config.maildir,
    domains: config.domains,
    mailboxes: Object.fromEntries([...config.mailboxes].map(([d, s]) => [d, [...s]])),
    hostname: config.hostname,
    maxMessageBytes: config.maxMessageBytes,
    maxRecipients: config.maxRecipients,
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    auth: config.usersFile === undefined ? "off" : config.usersFile,
    metrics: config.metrics === undefined ? "off" : formatHostPort(config.metrics),
  };
}
