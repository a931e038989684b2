/**
 * The SMTP server: listeners, connection bookkeeping and limits, the steps before a session starts
 * (PROXY header, implicit TLS, reverse DNS), and graceful shutdown.
 */
import { randomBytes } from "node:crypto";
import { reverse } from "node:dns/promises";
import { BlockList, createServer as createNetServer, isIPv6, type AddressInfo, type Server, type Socket } from "node:net";
import type { ConnectionInfo, TlsInfo } from "@lmail/session";
import { describeTls, TlsContextStore, upgradeSocket } from "@lmail/tls";
import { connectionChannel, publishError, tlsChannel } from "./channels.js";
import { Clock } from "./clock.js";
import { Connection, type ConnectionHost } from "./connection.js";
import { resolveOptions, type ResolvedOptions, type ReverseResolver, type ServerOptions } from "./options.js";
import { readProxyHeader } from "./proxy-reader.js";

/** Where and how to listen. */
export interface ListenOptions {
  /** Address to bind. Default: all addresses (`::` with IPv4 mapped, where the system allows). */
  readonly host?: string | undefined;
  /** TCP port; 0 picks a free one. Default 25 (587 and 465 are for submission). */
  readonly port?: number;
  /** Serve TLS from the first byte (RFC 8314, port 465) instead of plain SMTP with STARTTLS. Needs `tls`. Default false. */
  readonly implicitTls?: boolean;
  /** The kernel's queue of connections not yet accepted. Default: Node's (511). */
  readonly backlog?: number;
}

/** A bound listener. */
export interface ListenerAddress {
  readonly address: string;
  readonly family: string;
  readonly port: number;
  readonly implicitTls: boolean;
}

/** Options of {@link SmtpServer.close}. */
export interface CloseOptions {
  /** How long transactions in flight may take to finish before their connections are cut, in ms. Default 30 000. */
  readonly deadlineMs?: number;
}

/** Default of {@link CloseOptions.deadlineMs}: long enough for a message in flight on a normal link, short enough for a service manager's stop timeout (systemd's is 90 s). */
export const DEFAULT_CLOSE_DEADLINE_MS = 30_000;

const TOO_MANY = "421 4.7.0 Too many connections, try again later\r\n";
/** How long a refused client may keep its side open after the 421: enough to read it and close. */
const REFUSED_LINGER_MS = 2000;

interface Listener {
  readonly server: Server;
  readonly implicitTls: boolean;
}

const defaultResolver: ReverseResolver = async (address) => {
  const names = await reverse(address);
  return names[0];
};

/**
 * The key a client address is counted under (per-address limits): an IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, as a dual-stack listener reports IPv4 clients) counts as its IPv4 address.
 */
export function clientKey(address: string): string {
  return address.charCodeAt(0) === 0x3a && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

/** Each server's clock, for the package's tests (not exported from the package). */
export const clockOf = new WeakMap<SmtpServer, Clock>();

export class SmtpServer {
  readonly options: ResolvedOptions;
  /** The TLS contexts (reload them with `server.tls.reload()`), when TLS is configured. */
  readonly tls: TlsContextStore | undefined;
  readonly #listeners: Listener[] = [];
  readonly #connections = new Set<Connection>();
  readonly #perAddress = new Map<string, number>();
  readonly #trusted: BlockList | undefined;
  readonly #idPrefix = randomBytes(6).toString("base64url");
  #nextId = 0;
  #closing: Promise<void> | undefined;
  #allGone: (() => void) | undefined;
  readonly #host: ConnectionHost;
  /** One timer for every connection's deadlines. */
  readonly #clock = new Clock();

  constructor(options: ServerOptions) {
    this.options = resolveOptions(options, defaultResolver);
    const tls = options.tls;
    this.tls = tls === undefined ? undefined : tls instanceof TlsContextStore ? tls : new TlsContextStore(tls);
    const proxy = this.options.proxyProtocol;
    if (proxy !== undefined) {
      const list = new BlockList();
      for (const entry of proxy.trusted) {
        const [address, bits] = entry.split("/") as [string, string | undefined];
        const type = isIPv6(address) ? "ipv6" : "ipv4";
        if (bits === undefined) list.addAddress(address, type);
        else list.addSubnet(address, Number(bits), type);
      }
      this.#trusted = list;
    }
    clockOf.set(this, this.#clock);
    this.#host = {
      options: this.options,
      tls: this.tls,
      clock: this.#clock,
      released: (connection) => this.#released(connection),
    };
  }

  /** Open connections (sessions and connections still in their first steps). */
  get connections(): number {
    return this.#connections.size;
  }

  /** Start a listener; resolves with the bound address. Call several times for several listeners. */
  listen(options: ListenOptions = {}): Promise<ListenerAddress> {
    const implicitTls = options.implicitTls ?? false;
    if (implicitTls && this.tls === undefined) return Promise.reject(new TypeError("implicitTls needs the `tls` option"));
    if (this.#closing !== undefined) return Promise.reject(new Error("the server is closed"));
    const server = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket, implicitTls));
    const listener: Listener = { server, implicitTls };
    return new Promise<ListenerAddress>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once("error", onError);
      server.listen({ host: options.host, port: options.port ?? 25, backlog: options.backlog }, () => {
        server.off("error", onError);
        server.on("error", (error) => publishError({ where: "listener", error }));
        this.#listeners.push(listener);
        resolve(addressOf(listener));
      });
    });
  }

  /** The bound addresses of every listener. */
  addresses(): ListenerAddress[] {
    return this.#listeners.map(addressOf);
  }

  /**
   * Graceful shutdown: stop accepting, answer idle sessions with 421 at once, let transactions in
   * flight finish until the deadline, then cut what is left. Resolves when every socket is gone.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    const deadlineMs = options.deadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS;
    const listenersClosed = Promise.all(
      this.#listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))),
    );
    const gone = new Promise<void>((resolve) => {
      this.#allGone = resolve;
    });
    for (const c of [...this.#connections]) c.shutdown();
    if (this.#connections.size === 0) this.#allGone?.();
    const timer = setTimeout(() => {
      for (const c of [...this.#connections]) c.destroy("shutdown");
    }, deadlineMs);
    this.#closing = Promise.all([listenersClosed, gone]).then(() => clearTimeout(timer));
    return this.#closing;
  }

  #released(connection: Connection): void {
    if (!this.#connections.delete(connection)) return;
    const key = connection.addressKey;
    if (key !== undefined) {
      const n = (this.#perAddress.get(key) ?? 1) - 1;
      if (n <= 0) this.#perAddress.delete(key);
      else this.#perAddress.set(key, n);
    }
    if (this.#closing !== undefined && this.#connections.size === 0) this.#allGone?.();
  }

  #accept(socket: Socket, implicitTls: boolean): void {
    const id = `${this.#idPrefix}${(this.#nextId++).toString(36)}`;
    const o = this.options;
    if (this.#closing !== undefined) {
      this.#publishRefused(id, socket.remoteAddress ?? "", "shutdown");
      socket.destroy();
      return;
    }
    const connection = new Connection(id, socket, this.#host);
    this.#connections.add(connection);
    if (this.#connections.size > o.maxConnections) {
      this.#refuse(connection, "max-connections");
      return;
    }
    const remoteAddress = socket.remoteAddress ?? "";
    const proxied = o.proxyProtocol !== undefined && this.#trusted !== undefined && isTrusted(this.#trusted, remoteAddress);
    if (!proxied && !implicitTls && o.reverseDns === undefined) {
      // Nothing to wait for: the session starts in this turn, before the socket can emit anything.
      if (!this.#admit(connection, remoteAddress)) return;
      const info: ConnectionInfo = { id, remoteAddress, remotePort: socket.remotePort ?? 0, localAddress: socket.localAddress ?? "", localPort: socket.localPort ?? 0 };
      this.#begin(connection, info, false, undefined);
      return;
    }
    // Until the session starts, a close or an error only releases the slot.
    const onEarlyClose = (): void => connection.destroy();
    const ignore = (): void => undefined;
    socket.on("close", onEarlyClose);
    socket.on("error", ignore);
    void this.#prepare(connection, socket, implicitTls, proxied, onEarlyClose, ignore);
  }

  /** Count the client against the per-address limit; false when it is over it (and refused). */
  #admit(connection: Connection, remoteAddress: string): boolean {
    const key = clientKey(remoteAddress);
    const count = (this.#perAddress.get(key) ?? 0) + 1;
    this.#perAddress.set(key, count);
    connection.addressKey = key;
    if (count <= this.options.maxConnectionsPerAddress) return true;
    this.#refuse(connection, "max-connections-per-address");
    return false;
  }

  #begin(connection: Connection, info: ConnectionInfo, implicitTls: boolean, initial: Uint8Array | undefined): void {
    connection.start(info, !implicitTls && this.tls !== undefined, initial);
    const socket = connection.socket;
    if (socket.isPaused()) socket.resume();
  }

  /** The steps that wait (PROXY header, implicit TLS handshake, reverse DNS), then the session. */
  async #prepare(connection: Connection, socket: Socket, implicitTls: boolean, proxied: boolean, onEarlyClose: () => void, ignore: () => void): Promise<void> {
    const o = this.options;
    let remoteAddress = socket.remoteAddress ?? "";
    let remotePort = socket.remotePort ?? 0;
    let localAddress = socket.localAddress ?? "";
    let localPort = socket.localPort ?? 0;
    let initial: Uint8Array | undefined;
    const proxy = o.proxyProtocol;
    if (proxied && proxy !== undefined) {
      try {
        const { header, rest } = await readProxyHeader(socket, proxy.timeoutMs, proxy.maxHeaderBytes);
        initial = rest;
        if (header.command === "proxy" && header.sourceAddress !== undefined) {
          remoteAddress = header.sourceAddress;
          remotePort = header.sourcePort ?? 0;
          localAddress = header.destinationAddress ?? localAddress;
          localPort = header.destinationPort ?? localPort;
        }
      } catch (error) {
        publishError({ id: connection.id, where: "proxy", error });
        this.#publishRefused(connection.id, remoteAddress, "proxy");
        connection.destroy();
        return;
      }
      if (connection.finished) return;
    }

    if (!this.#admit(connection, remoteAddress)) return;

    let tls: TlsInfo | undefined;
    if (implicitTls) {
      socket.off("close", onEarlyClose);
      // See Connection's STARTTLS: an EOF or reset during the handshake is seen only without half-open.
      socket.allowHalfOpen = false;
      try {
        const secure = await upgradeSocket(socket, this.tls!, {
          ...(o.tlsHandshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: o.tlsHandshakeTimeoutMs }),
          signal: connection.signal,
          ...(initial === undefined ? {} : { initialData: initial }),
        });
        initial = undefined;
        socket.off("error", ignore);
        secure.allowHalfOpen = true;
        connection.socket = secure;
        secure.on("close", onEarlyClose);
        secure.on("error", ignore);
        tls = describeTls(secure, true);
        if (tlsChannel.hasSubscribers) tlsChannel.publish({ type: "established", id: connection.id, info: tls });
      } catch (error) {
        if (tlsChannel.hasSubscribers) tlsChannel.publish({ type: "failed", id: connection.id, implicit: true, error });
        connection.destroy();
        return;
      }
      if (connection.finished) return;
    }

    let remoteHostname: string | undefined;
    if (o.reverseDns !== undefined) {
      remoteHostname = await lookup(o.reverseDns, remoteAddress, o.reverseDnsTimeoutMs, connection);
      if (connection.finished) return;
    }

    const fields: { -readonly [K in keyof ConnectionInfo]: ConnectionInfo[K] } = { id: connection.id, remoteAddress, remotePort, localAddress, localPort };
    // Set only when known (no key holding undefined), without the object spreads V8 makes slow.
    if (remoteHostname !== undefined) fields.remoteHostname = remoteHostname;
    if (tls !== undefined) fields.tls = tls;
    const info: ConnectionInfo = fields;
    const current = connection.socket;
    current.off("close", onEarlyClose);
    current.off("error", ignore);
    socket.off("close", onEarlyClose);
    socket.off("error", ignore);
    if (current.destroyed) {
      connection.destroy();
      return;
    }
    this.#begin(connection, info, implicitTls, initial);
  }

  #refuse(connection: Connection, reason: "max-connections" | "max-connections-per-address"): void {
    const socket = connection.socket;
    this.#publishRefused(connection.id, socket.remoteAddress ?? "", reason);
    socket.end(TOO_MANY);
    // Discard what the client sends, so that its FIN is seen; one that lingers goes after
    // REFUSED_LINGER_MS (a refused client must not hold a descriptor for long: it may be a flood).
    socket.resume();
    const timer = setTimeout(() => connection.destroy(), Math.min(REFUSED_LINGER_MS, this.options.writeTimeoutMs));
    timer.unref();
    // The connection never starts: its socket's close releases the slot.
    socket.on("error", ignoreError);
    socket.once("close", () => {
      clearTimeout(timer);
      connection.destroy();
    });
  }

  #publishRefused(id: string, remoteAddress: string, reason: "max-connections" | "max-connections-per-address" | "proxy" | "shutdown"): void {
    if (connectionChannel.hasSubscribers) connectionChannel.publish({ type: "refused", id, remoteAddress, reason });
  }
}

function ignoreError(): void {}

function isTrusted(list: BlockList, address: string): boolean {
  if (address === "") return false;
  const key = clientKey(address);
  return list.check(key, isIPv6(key) ? "ipv6" : "ipv4");
}

async function lookup(resolver: ReverseResolver, address: string, timeoutMs: number, connection: Connection): Promise<string | undefined> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  connection.signal.addEventListener("abort", onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      resolve(undefined); // first, so that a resolver answering on abort does not win the race
      controller.abort();
    }, timeoutMs);
  });
  try {
    return await Promise.race([resolver(clientKey(address), controller.signal), timeout]);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== "ENOTFOUND" && code !== "ENODATA") publishError({ id: connection.id, where: "reverse-dns", error });
    return undefined;
  } finally {
    clearTimeout(timer);
    connection.signal.removeEventListener("abort", onAbort);
  }
}

function addressOf(listener: Listener): ListenerAddress {
  const a = listener.server.address() as AddressInfo | null;
  return { address: a?.address ?? "", family: a?.family ?? "", port: a?.port ?? 0, implicitTls: listener.implicitTls };
}

/** Make a server (nothing listens until `listen`). */
export function createServer(options: ServerOptions): SmtpServer {
  return new SmtpServer(options);
}
