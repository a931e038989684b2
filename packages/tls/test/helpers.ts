// Test helpers: throwaway certificates, a TLS server on 127.0.0.1 port 0, and clients.
import { once } from "node:events";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import { X509Certificate } from "node:crypto";
import { generateSelfSigned, upgradeSocket, type TlsContextStore, type UpgradeOptions } from "../src/index.js";

export interface Pem {
  cert: string;
  key: string;
}

/** A certificate whose common name and only SAN is `name`. */
export function certFor(name: string, days?: number): Promise<Pem> {
  return generateSelfSigned({ hostnames: [name], ...(days === undefined ? {} : { days }) });
}

/** The common name of a PEM certificate. */
export function commonName(pem: string): string {
  return cnOf(new X509Certificate(pem).subject);
}

function cnOf(subject: string): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(subject)?.[1] ?? "";
}

/** What a test server saw: each accepted connection's upgrade outcome. */
export interface TestServer {
  readonly port: number;
  /** Resolves with the next connection's upgrade outcome. */
  nextUpgrade(): Promise<PromiseSettledResult<TLSSocket>>;
  close(): Promise<void>;
}

/**
 * An implicit-TLS test server: every accepted socket is upgraded at once and echoes what it
 * reads. `beforeUpgrade` may read something first (a PROXY-like header) and returns initialData.
 */
export async function startServer(
  store: TlsContextStore,
  options: UpgradeOptions = {},
  beforeUpgrade?: (socket: Socket) => Promise<Uint8Array | undefined>,
): Promise<TestServer> {
  const outcomes: Promise<PromiseSettledResult<TLSSocket>>[] = [];
  const waiters: ((p: Promise<PromiseSettledResult<TLSSocket>>) => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const run = async (): Promise<TLSSocket> => {
      const initialData = beforeUpgrade === undefined ? undefined : await beforeUpgrade(socket);
      const secure = await upgradeSocket(socket, store, { ...options, ...(initialData === undefined ? {} : { initialData }) });
      secure.on("data", (chunk: Buffer) => secure.write(chunk));
      secure.on("end", () => secure.end());
      return secure;
    };
    const outcome = run().then(
      (value): PromiseSettledResult<TLSSocket> => ({ status: "fulfilled", value }),
      (reason: unknown): PromiseSettledResult<TLSSocket> => ({ status: "rejected", reason }),
    );
    const waiter = waiters.shift();
    if (waiter === undefined) outcomes.push(outcome);
    else waiter(outcome);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    nextUpgrade: () => {
      const ready = outcomes.shift();
      return ready ?? new Promise((resolve) => waiters.push((p) => resolve(p)));
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/** A TLS client that does not verify the certificate; resolves once the handshake completes. */
export async function connectClient(port: number, options: ConnectionOptions = {}): Promise<TLSSocket> {
  const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...options });
  await once(socket, "secureConnect");
  return socket;
}

/** The common name of the certificate the server presented to `socket`. */
export function presentedName(socket: TLSSocket): string {
  const cert = socket.getPeerX509Certificate();
  return cert === undefined ? "" : cnOf(cert.subject);
}

/** Writes `text` and resolves with the echo of the same length. */
export async function echo(socket: TLSSocket, text: string): Promise<string> {
  let received = "";
  const done = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      received += chunk.toString("latin1");
      if (received.length >= text.length) {
        socket.off("data", onData);
        socket.off("error", reject);
        resolve(received);
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
  socket.write(text);
  return done;
}

/** The rejection reason of a settled outcome (fails the test if it was fulfilled). */
export function rejection(outcome: PromiseSettledResult<unknown>): { code?: string; cause?: unknown; name?: string } {
  if (outcome.status !== "rejected") throw new Error("expected the upgrade to fail, it succeeded");
  return outcome.reason as { code?: string; cause?: unknown; name?: string };
}
