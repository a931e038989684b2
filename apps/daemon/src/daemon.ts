/**
 * The assembly: a `@lmail/server` whose handler is a `@lmail/mux` routing each local domain to a
 * `@lmail/maildir` handler guarded by lmaild's recipient policy (and every other domain to 550
 * 5.7.1), TLS from `@lmail/tls`, AUTH from the users file, logs and metrics from the server's
 * diagnostics channels. `startDaemon` returns once every listener is bound.
 */
import type { Server as HttpServer } from "node:http";
import path from "node:path";
import type { Reply } from "@lmail/codes";
import { maildirHandler } from "@lmail/maildir";
import { Mux, rejectingHandler } from "@lmail/mux";
import { createServer, type SmtpServer } from "@lmail/server";
import type { AuthCredentials, Envelope, Handler, HookContext, HookReply, Recipient } from "@lmail/session";
import { generateSelfSigned, TlsConfigError, TlsConfigErrorCode, TlsContextStore } from "@lmail/tls";
import { AuthGuard, type AuthGuardOptions } from "./auth-guard.js";
import { describeConfig, type DaemonConfig } from "./config.js";
import { DaemonExit, ExitCode } from "./exit-codes.js";
import { formatHostPort, type HostPort } from "./host-port.js";
import type { Logger } from "./logger.js";
import { DaemonMetrics, serveMetrics } from "./metrics.js";
import { Observer } from "./observer.js";
import { decideRecipient, relayDenied, type RecipientDecision } from "./recipient-policy.js";
import { loadUsers, UsersFileError, type Users } from "./users-file.js";

/** A bound listener, as reported in the "ready" log line. */
export interface BoundListener {
  /** "smtp": plain, with STARTTLS when TLS is configured; "smtps": implicit TLS (RFC 8314). */
  readonly kind: "smtp" | "smtps";
  readonly address: string;
  readonly port: number;
}

export interface ReloadReport {
  readonly tls: "reloaded" | "failed" | "off" | "self-signed";
  readonly users: "reloaded" | "failed" | "off";
  readonly errors: readonly string[];
}

export interface Daemon {
  readonly listeners: readonly BoundListener[];
  /** The metrics endpoint, when `--metrics` was given. */
  readonly metrics: HostPort | undefined;
  /** Reload the certificate and the users file (SIGHUP). Live sessions keep their TLS context. */
  reload(): Promise<ReloadReport>;
  /** Graceful shutdown: stop accepting, let transactions in flight finish up to `deadlineMs`, then close. */
  close(deadlineMs?: number): Promise<void>;
}

export interface StartOptions {
  /** AUTH failure delay and rate limit (tests shorten them). */
  readonly auth?: AuthGuardOptions;
}

/** The maildir of a recipient the policy accepted: `<root>/<domain>/<mailbox>`. */
export function mailboxPath(root: string, decision: Extract<RecipientDecision, { accept: true }>): string {
  return path.join(root, decision.domain, decision.mailbox);
}

const hookNames = ["connect", "helo", "auth", "mail", "rcpt", "data", "reset", "close"] as const;

/**
 * A handler whose hooks are bound to their object: `Mux` is a class whose hooks use `this`, and a
 * caller that takes a hook off the object (`const hook = handler.data; hook(...)`) would lose it.
 */
export function bindHooks(handler: Handler): Handler {
  const source = handler as Record<string, unknown>;
  const bound: Record<string, unknown> = {};
  for (const name of hookNames) {
    const hook = source[name];
    if (typeof hook === "function") bound[name] = (...args: unknown[]): unknown => Reflect.apply(hook, handler, args) as unknown;
  }
  return bound;
}

/** One client, one key: an IPv4-mapped IPv6 address (a dual-stack listener) counts as its IPv4 address. */
export function clientKey(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

function policyInput(recipient: Recipient): Parameters<typeof decideRecipient>[0] {
  const a = recipient.address;
  return "postmaster" in a ? { postmaster: true } : a;
}

async function loadTls(config: DaemonConfig, logger: Logger): Promise<TlsContextStore | undefined> {
  const tls = config.tls;
  if (tls === undefined) return undefined;
  if (tls.kind === "self-signed") {
    const names = [...new Set([config.hostname, "localhost", "127.0.0.1", "::1"])];
    const pair = await generateSelfSigned({ hostnames: names });
    logger.warn({ names }, "using a throwaway self-signed certificate (development only: clients cannot verify it)");
    return new TlsContextStore({ default: pair });
  }
  try {
    return await TlsContextStore.load({ default: { certFile: tls.certFile, keyFile: tls.keyFile } });
  } catch (error) {
    if (error instanceof TlsConfigError) {
      const exit = error.code === TlsConfigErrorCode.Read ? ExitCode.NoInput : ExitCode.Config;
      throw new DaemonExit(exit, `config key "tlsCert"/"tlsKey": ${error.message}`, { cause: error });
    }
    throw error;
  }
}

async function readUsers(file: string): Promise<Users> {
  try {
    return await loadUsers(file);
  } catch (error) {
    if (error instanceof UsersFileError) {
      throw new DaemonExit(error.line === undefined ? ExitCode.NoInput : ExitCode.Config, `config key "users": ${error.message}`, { cause: error });
    }
    throw error;
  }
}

function listenError(error: unknown, what: string): DaemonExit {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === "EADDRINUSE" ? "address already in use" : code === "EACCES" ? "permission denied" : code === "EADDRNOTAVAIL" ? "address not available here" : (error as Error).message;
  return new DaemonExit(ExitCode.Unavailable, `cannot listen on ${what}: ${reason}`, { cause: error });
}

/** Start lmaild with a validated configuration. Throws {@link DaemonExit} when it cannot start. */
export async function startDaemon(config: DaemonConfig, logger: Logger, options: StartOptions = {}): Promise<Daemon> {
  const metrics = new DaemonMetrics();
  const observer = new Observer(logger, metrics);
  let smtp: SmtpServer | undefined;
  let http: HttpServer | undefined;
  try {
    const tls = await loadTls(config, logger);
    const guard = config.usersFile === undefined ? undefined : new AuthGuard(await readUsers(config.usersFile), options.auth);
    const policy = { domains: config.domains, mailboxes: config.mailboxes };

    const maildir = maildirHandler({
      hostname: config.hostname,
      route: (recipient) => {
        const decision = decideRecipient(policyInput(recipient), policy);
        return decision.accept ? mailboxPath(config.maildir, decision) : undefined;
      },
    });
    const local: Handler = {
      ...maildir,
      async rcpt(recipient: Recipient, envelope: Envelope, ctx: HookContext): Promise<HookReply> {
        const decision = decideRecipient(policyInput(recipient), policy);
        if (!decision.accept) return refuse(recipient, decision.reply, ctx);
        metrics.recipients.inc({ result: "accepted" });
        return maildir.rcpt?.(recipient, envelope, ctx);
      },
    };
    const refuse = (recipient: Recipient, reply: Reply, ctx: HookContext): Reply => {
      const result = reply.enhanced === "5.7.1" ? "relay-denied" : reply.enhanced === "5.1.1" ? "unknown" : "unsafe";
      metrics.recipients.inc({ result });
      logger.info({ id: ctx.session.id, client: observer.clientOf(ctx.session.id), recipient: recipient.address.raw, result, reply: `${String(reply.code)} ${reply.enhanced ?? ""}`.trim() }, "recipient refused");
      return reply;
    };
    const foreign: Handler = {
      ...rejectingHandler(relayDenied),
      rcpt: (recipient, _envelope, ctx) => refuse(recipient, relayDenied, ctx),
    };
    const auth = guard === undefined
      ? undefined
      : async (credentials: AuthCredentials, ctx: HookContext): Promise<boolean | Reply> => {
          const result = await guard.check(credentials, clientKey(ctx.session.remoteAddress), ctx.signal);
          const client = observer.clientOf(ctx.session.id);
          if (result.ok) {
            metrics.auth.inc({ result: "success" });
            logger.info({ id: ctx.session.id, client, user: result.user, mechanism: credentials.mechanism }, "authenticated");
            return true;
          }
          metrics.auth.inc({ result: result.reason });
          logger.warn({ id: ctx.session.id, client, user: credentials.username, mechanism: credentials.mechanism, reason: result.reason }, "authentication failed");
          return result.reply;
        };
    const mux = new Mux({ defaultHandler: foreign, ...(auth === undefined ? {} : { session: { auth } }) });
    for (const domain of config.domains) mux.domain(domain, local);
    // `<Postmaster>` has no domain (RFC 5321 §4.1.1.3); postmaster@elsewhere is still refused by the policy.
    mux.localPart("postmaster", local);

    smtp = createServer({
      handler: bindHooks(mux),
      hostname: config.hostname,
      maxConnections: config.maxConnections,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      ...(tls === undefined ? {} : { tls }),
      session: { limits: { maxMessageBytes: config.maxMessageBytes, maxRecipients: config.maxRecipients }, auth: { requireTls: true } },
    });
    const listeners: BoundListener[] = [];
    for (const [endpoints, kind] of [[config.listen, "smtp"], [config.listenTls, "smtps"]] as const) {
      for (const endpoint of endpoints) {
        try {
          const bound = await smtp.listen({ host: endpoint.host, port: endpoint.port, implicitTls: kind === "smtps" });
          listeners.push({ kind, address: bound.address, port: bound.port });
        } catch (error) {
          throw listenError(error, `${formatHostPort(endpoint)} (${kind})`);
        }
      }
    }
    let metricsAddress: HostPort | undefined;
    if (config.metrics !== undefined) {
      try {
        const served = await serveMetrics(metrics, config.metrics);
        http = served.server;
        http.on("error", (error) => logger.error({ err: error, where: "metrics" }, "error"));
        metricsAddress = { host: served.address.address, port: served.address.port };
      } catch (error) {
        throw listenError(error, `${formatHostPort(config.metrics)} (metrics)`);
      }
    }
    for (const l of listeners) logger.info({ kind: l.kind, address: l.address, port: l.port }, "listening");
    logger.info(
      { listeners, metrics: metricsAddress === undefined ? null : { address: metricsAddress.host, port: metricsAddress.port }, config: describeConfig(config) },
      "ready",
    );

    const server = smtp;
    const httpServer = http;
    let closing: Promise<void> | undefined;
    return {
      listeners,
      metrics: metricsAddress,
      async reload(): Promise<ReloadReport> {
        const errors: string[] = [];
        let tlsState: ReloadReport["tls"] = tls === undefined ? "off" : config.tls?.kind === "self-signed" ? "self-signed" : "reloaded";
        if (tls !== undefined && tlsState === "reloaded") {
          const result = await tls.reload();
          if (!result.ok) {
            tlsState = "failed";
            errors.push(...result.failed.map((f) => f.error.message));
          }
          metrics.tlsReloads.inc({ result: result.ok ? "ok" : "failed" });
        }
        let usersState: ReloadReport["users"] = "off";
        if (guard !== undefined && config.usersFile !== undefined) {
          try {
            guard.setUsers(await loadUsers(config.usersFile));
            usersState = "reloaded";
          } catch (error) {
            usersState = "failed";
            errors.push((error as Error).message);
          }
        }
        const report = { tls: tlsState, users: usersState, errors };
        if (errors.length === 0) logger.info(report, "reloaded");
        else logger.error(report, "reload failed: keeping the previous certificate or users where they failed");
        return report;
      },
      close(deadlineMs?: number): Promise<void> {
        closing ??= (async () => {
          logger.info({ deadlineMs: deadlineMs ?? null }, "shutting down");
          await Promise.all([
            server.close(deadlineMs === undefined ? {} : { deadlineMs }),
            new Promise<void>((resolve) => (httpServer === undefined ? resolve() : httpServer.close(() => resolve()))),
          ]);
          observer.close();
          logger.info("stopped");
        })();
        return closing;
      },
    };
  } catch (error) {
    await smtp?.close({ deadlineMs: 0 });
    await new Promise<void>((resolve) => (http === undefined ? resolve() : http.close(() => resolve())));
    observer.close();
    throw error;
  }
}
