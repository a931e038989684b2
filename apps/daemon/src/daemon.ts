/**
 * The assembly: a `@lmail/server` with lmaild's handler (handler.ts), TLS from `@lmail/tls`, AUTH
 * from the users file, logs and metrics from the server's diagnostics channels, and the metrics
 * endpoint. `startDaemon` returns once every listener is bound.
 */
import type { Server as HttpServer } from "node:http";
import { createServer, type SmtpServer } from "@lmail/server";
import { generateSelfSigned, TlsConfigError, TlsConfigErrorCode, TlsContextStore } from "@lmail/tls";
import { AuthGuard, type AuthGuardOptions } from "./auth-guard.js";
import { describeConfig, type DaemonConfig } from "./config.js";
import { DaemonExit, ExitCode } from "./exit-codes.js";
import { formatHostPort, type HostPort } from "./host-port.js";
import type { Logger } from "./logger.js";
import { DaemonMetrics, serveMetrics } from "./metrics.js";
import { Observer } from "./observer.js";
import { createHandler } from "./handler.js";
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
    const handler = createHandler({ config, guard, metrics, logger, clientOf: (id) => observer.clientOf(id) });

    smtp = createServer({
      handler,
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
