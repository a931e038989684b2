// What every Node server child shares: argument parsing, the message counter, and the IPC protocol
// with run.mjs (`{type:"ready", port}` once listening, `{type:"stats"}` answered with the counts and
// process.memoryUsage(), `{type:"heap-snapshot", file}` answered once the snapshot is written).
import { parseArgs } from "node:util";
import { writeHeapSnapshot } from "node:v8";

/** Parses `--name=value` flags of a server child. */
export function childArgs(options) {
  return parseArgs({ options, strict: true }).values;
}

/** Messages and body bytes the server accepted, reported to the harness as a sanity check. */
export const counts = { messages: 0, bytes: 0 };

/** Tells the harness the server listens on `port` and answers its stats requests. */
export function announce(port, stop) {
  process.on("message", (msg) => {
    if (msg?.type === "stats") process.send?.({ type: "stats", ...counts, memory: process.memoryUsage() });
    if (msg?.type === "heap-snapshot") process.send?.({ type: "heap-snapshot", file: writeHeapSnapshot(msg.file) });
  });
  const shutdown = () => {
    Promise.resolve(stop?.())
      .catch(() => {})
      .finally(() => process.exit(0));
    // The harness waits a bounded time, then kills: do not linger on open sockets.
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  process.once("disconnect", shutdown);
  process.send?.({ type: "ready", port, pid: process.pid });
}

/** Reports a server that cannot be built yet (its package has not landed) and exits. */
export function unavailable(reason) {
  process.send?.({ type: "unavailable", reason: String(reason).split("\n")[0] });
  process.exit(0);
}
