import { randomBytes } from "node:crypto";
import { hostname as osHostname } from "node:os";

let counter = 0;

/**
 * The host part of a Maildir file name (cr.yp.to/proto/maildir.html): `/` is written `\057` and
 * `:` is written `\072`, so that the name stays one path component and `:` keeps marking the info.
 */
export function encodeHostname(host: string): string {
  return host.replace(/\//g, "\\057").replace(/:/g, "\\072");
}

/** The host name used in unique names when none is given: `os.hostname()`. */
export function defaultHostname(): string {
  return osHostname();
}

/**
 * A unique Maildir file name, `<seconds>.M<usec>P<pid>R<random>Q<counter>.<host>`: the time, a
 * delivery identifier made of the microseconds, the process id, 64 random bits and a per-process
 * delivery counter, and the host (already encoded with {@link encodeHostname}).
 */
export function uniqueName(encodedHost: string): string {
  // Wall-clock seconds and milliseconds, the monotonic clock for the microseconds within the millisecond.
  const nowMs = Date.now();
  const seconds = Math.floor(nowMs / 1000);
  const usec = (nowMs % 1000) * 1000 + (Math.floor(performance.now() * 1000) % 1000);
  counter += 1;
  return `${String(seconds)}.M${String(usec)}P${String(process.pid)}R${randomBytes(8).toString("hex")}Q${String(counter)}.${encodedHost}`;
}
