import type { DaemonConfig } from "./config.js";
import { DaemonExit, ExitCode, type ExitCodeNumber } from "./exit-codes.js";

/** Run the daemon until a signal stops it. */
export function runDaemon(_config: DaemonConfig): Promise<ExitCodeNumber> {
  return Promise.reject(new DaemonExit(ExitCode.Software, "the SMTP server (@lmail/server) is not assembled into lmaild yet"));
}
