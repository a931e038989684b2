/**
 * Run the daemon as a process: logs on stdout, signals (SIGTERM and SIGINT shut down gracefully,
 * a second one cuts what is left; SIGHUP reloads the certificate and the users file), and the exit
 * code once everything is closed. The signal handlers are installed before anything starts, so a
 * signal that arrives during startup is never the default "die at once".
 */
import type { DaemonConfig } from "./config.js";
import { startDaemon, type Daemon } from "./daemon.js";
import { DaemonExit, ExitCode, type ExitCodeNumber } from "./exit-codes.js";
import { createLogger } from "./logger.js";

/** How long transactions in flight may finish after SIGTERM, in ms. 30 s: below systemd's 90 s stop timeout. */
export const SHUTDOWN_DEADLINE_MS = 30_000;

export async function runDaemon(config: DaemonConfig): Promise<ExitCodeNumber> {
  const logger = createLogger({ format: config.logFormat, level: config.logLevel });
  let daemon: Daemon | undefined;
  let stopping: Promise<void> | undefined;
  let resolveStopped: (code: ExitCodeNumber) => void = () => undefined;
  const stopped = new Promise<ExitCodeNumber>((resolve) => (resolveStopped = resolve));

  const shutdown = (started: Daemon): void => {
    stopping = started.close(SHUTDOWN_DEADLINE_MS).then(
      () => resolveStopped(ExitCode.Ok),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        resolveStopped(ExitCode.Software);
      },
    );
  };
  let signalled = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (signalled) {
      logger.warn({ signal }, "second signal: closing every connection now");
      void daemon?.close(0);
      return;
    }
    signalled = true;
    logger.info({ signal }, "signal received");
    if (daemon !== undefined) shutdown(daemon);
  };
  const hup = (): void => {
    logger.info({ signal: "SIGHUP" }, "signal received");
    if (daemon !== undefined && stopping === undefined) void daemon.reload();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", hup);
  try {
    try {
      daemon = await startDaemon(config, logger);
    } catch (error) {
      if (error instanceof DaemonExit) logger.fatal({ exitCode: error.exitCode }, error.message);
      throw error;
    }
    // A signal during startup: shut down now that there is something to shut down.
    if (signalled) shutdown(daemon);
    return await stopped;
  } finally {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
    process.off("SIGHUP", hup);
  }
}
