/**
 * The seeds' shapes: `ListenAndServe(addr, handler)` and `ListenAndServeTLS(addr, certFile, keyFile, handler)`.
 */
import type { Handler } from "@lmail/session";
import { TlsContextStore } from "@lmail/tls";
import type { ServerOptions } from "./options.js";
import { SmtpServer } from "./server.js";

/** Split `"host:port"`, `":port"`, `"[::1]:port"` or a bare port number. An empty host means all addresses. */
export function parseListenAddress(addr: string | number): { host: string | undefined; port: number } {
  if (typeof addr === "number") return { host: undefined, port: addr };
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr) ?? /^()()(\d+)$/.exec(addr);
  if (m === null) throw new TypeError(`not a listen address (host:port): ${addr}`);
  const host = m[1] ?? m[2] ?? "";
  const port = Number(m[3]);
  if (port > 65535) throw new RangeError(`port out of range: ${addr}`);
  return { host: host === "" ? undefined : host, port };
}

/**
 * Listen on `addr` (`":2525"`, `"127.0.0.1:2525"`, `"[::1]:2525"`) and serve `handler`. Resolves
 * with the running server once it listens (`server.addresses()` tells the port when `addr` asked for 0).
 */
export async function listenAndServe(addr: string | number, handler: Handler, options: Omit<ServerOptions, "handler"> = {}): Promise<SmtpServer> {
  const server = new SmtpServer({ ...options, handler });
  await server.listen(parseListenAddress(addr));
  return server;
}

/**
 * Like {@link listenAndServe}, with STARTTLS (RFC 3207) offered using the certificate chain in
 * `certFile` (leaf first, then intermediates) and the key in `keyFile`. Reload them with
 * `server.tls.reload()`.
 */
export async function listenAndServeTls(
  addr: string | number,
  certFile: string,
  keyFile: string,
  handler: Handler,
  options: Omit<ServerOptions, "handler" | "tls"> = {},
): Promise<SmtpServer> {
  const tls = await TlsContextStore.load({ default: { certFile, keyFile } });
  const server = new SmtpServer({ ...options, handler, tls });
  await server.listen(parseListenAddress(addr));
  return server;
}
