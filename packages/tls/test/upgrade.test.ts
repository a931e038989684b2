import { spawn } from "node:child_process";
import { once } from "node:events";
import { connect as netConnect, createServer, type AddressInfo, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  TlsContextStore,
  TlsHandshakeError,
  TlsHandshakeErrorCode,
  describeTls,
  upgradeSocket,
} from "../src/index.js";
import { certFor, connectClient, echo, presentedName, rejection, startServer, type Pem, type TestServer } from "./helpers.js";

let pem: Pem;
let servers: TestServer[] = [];
beforeAll(async () => {
  pem = await certFor("mx.test");
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function serve(store: TlsContextStore, options: Parameters<typeof startServer>[1] = {}, before?: Parameters<typeof startServer>[2]): Promise<TestServer> {
  const server = await startServer(store, options, before);
  servers.push(server);
  return server;
}

/** Reads from a plain socket until `text` has arrived; returns what came, leaves the socket paused. */
async function readUntil(socket: Socket, text: string): Promise<string> {
  let received = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      received += chunk.toString("latin1");
      if (received.includes(text)) {
        socket.off("data", onData);
        socket.off("error", reject);
        socket.pause();
        resolve(received);
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

describe("STARTTLS (RFC 3207 §4)", () => {
  it("upgrades an accepted plain socket after 220 and carries data both ways", async () => {
    const store = new TlsContextStore({ default: pem });
    // Server side: greet, wait for STARTTLS, answer 220, upgrade (RFC 3207 §4).
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const accepted = once(server, "connection") as Promise<[Socket]>;
    const plain = netConnect((server.address() as AddressInfo).port, "127.0.0.1");
    const [serverSocket] = await accepted;
    server.close();
    serverSocket.write("220 mx.test ESMTP\r\n");
    await readUntil(plain, "ESMTP\r\n");
    plain.resume();
    plain.write("STARTTLS\r\n");
    await readUntil(serverSocket, "STARTTLS\r\n");
    serverSocket.write("220 2.0.0 Ready to start TLS\r\n");
    const upgrading = upgradeSocket(serverSocket, store);
    await readUntil(plain, "Ready to start TLS\r\n");
    const client = tlsConnect({ socket: plain, servername: "mx.test", rejectUnauthorized: false });
    const [secure] = await Promise.all([upgrading, once(client, "secureConnect")]);
    expect(presentedName(client)).toBe("mx.test");
    const info = describeTls(secure, false);
    expect(info).toMatchObject({ implicit: false, servername: "mx.test" });
    expect(["TLSv1.2", "TLSv1.3"]).toContain(info.protocol);
    expect(info.cipher).not.toBe("unknown");
    expect(info.peerCertificate).toBeUndefined();
    secure.on("data", (chunk: Buffer) => secure.write(chunk));
    expect(await echo(client, "EHLO client.test\r\n")).toBe("EHLO client.test\r\n");
    client.destroy();
    secure.destroy();
  });

  it("plaintext pipelined behind STARTTLS and left in the socket is never replayed: the handshake fails (RFC 3207 §6)", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const accepted = once(server, "connection") as Promise<[Socket]>;
    const plain = netConnect((server.address() as AddressInfo).port, "127.0.0.1");
    plain.on("error", () => {});
    const [serverSocket] = await accepted;
    server.close();
    plain.write("STARTTLS\r\nMAIL FROM:<injected@example.org>\r\n");
    const received = await readUntil(serverSocket, "example.org>\r\n");
    // A careless server leaves what followed STARTTLS in the socket: it goes to TLS, not to SMTP.
    serverSocket.unshift(Buffer.from(received.slice("STARTTLS\r\n".length), "latin1"));
    const error = await upgradeSocket(serverSocket, store).catch((e: unknown) => e as TlsHandshakeError);
    expect(error).toBeInstanceOf(TlsHandshakeError);
    expect((error as TlsHandshakeError).code).toBe(TlsHandshakeErrorCode.Failed);
    await once(plain, "close");
  });

  it("hands bytes already read (after a PROXY-style header) to TLS via initialData", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = await serve(store, {}, async (socket) => {
      // Read the header and at least one byte beyond it, so that leftovers are certain.
      let buffered = Buffer.alloc(0);
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer): void => {
          buffered = Buffer.concat([buffered, chunk]);
          const end = buffered.indexOf("\r\n");
          if (end >= 0 && buffered.length > end + 2) {
            socket.off("data", onData);
            socket.pause();
            resolve();
          }
        };
        socket.on("data", onData);
      });
      const rest = buffered.subarray(buffered.indexOf("\r\n") + 2);
      expect(rest.length).toBeGreaterThan(0);
      return rest;
    });
    const plain = netConnect(server.port, "127.0.0.1");
    await once(plain, "connect");
    plain.write("HEADER 127.0.0.1\r\n");
    const client = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await once(client, "secureConnect");
    expect((await server.nextUpgrade()).status).toBe("fulfilled");
    expect(await echo(client, "hello")).toBe("hello");
    client.destroy();
  });
});

describe("handshake failures are reported, never thrown into the void", () => {
  it("a client that connects and sends nothing is cut off after handshakeTimeoutMs", async () => {
    const store = new TlsContextStore({ default: pem, handshakeTimeoutMs: 150 });
    const server = await serve(store);
    const started = performance.now();
    const silent = netConnect(server.port, "127.0.0.1");
    const closed = once(silent, "close");
    const error = rejection(await server.nextUpgrade());
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(TlsHandshakeError);
    expect(error.code).toBe(TlsHandshakeErrorCode.Timeout);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(5_000);
    await closed; // the server destroyed the connection
  });

  it("the per-call handshakeTimeoutMs overrides the store's", async () => {
    const store = new TlsContextStore({ default: pem });
    expect(store.handshakeTimeoutMs).toBe(30_000);
    const server = await serve(store, { handshakeTimeoutMs: 100 });
    const silent = netConnect(server.port, "127.0.0.1");
    expect(rejection(await server.nextUpgrade()).code).toBe(TlsHandshakeErrorCode.Timeout);
    silent.destroy();
  });

  it("plaintext where a ClientHello belongs fails the handshake with the cause", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = await serve(store);
    const plain = netConnect(server.port, "127.0.0.1");
    plain.on("error", () => {});
    plain.write("EHLO client.test\r\n");
    const error = rejection(await server.nextUpgrade());
    expect(error.code).toBe(TlsHandshakeErrorCode.Failed);
    expect(error.cause).toBeInstanceOf(Error);
    await once(plain, "close");
  });

  it("a client that closes mid-handshake is reported as closed", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = await serve(store);
    const plain = netConnect(server.port, "127.0.0.1");
    await once(plain, "connect");
    plain.end();
    expect(rejection(await server.nextUpgrade()).code).toBe(TlsHandshakeErrorCode.Closed);
  });

  it("a TCP reset mid-handshake is reported, not thrown", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = await serve(store);
    const plain = netConnect(server.port, "127.0.0.1");
    await once(plain, "connect");
    plain.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x01])); // the start of a ClientHello record
    plain.resetAndDestroy();
    const error = rejection(await server.nextUpgrade());
    expect(error).toBeInstanceOf(TlsHandshakeError);
    expect(error.code).toBe(TlsHandshakeErrorCode.Closed);
  });

  it("a TCP reset before any TLS byte is reported as closed at once, not at the timeout", async () => {
    const store = new TlsContextStore({ default: pem }); // 30 s handshake timeout
    const server = await serve(store);
    const plain = netConnect(server.port, "127.0.0.1");
    await once(plain, "connect");
    plain.resetAndDestroy();
    const started = performance.now();
    const error = rejection(await server.nextUpgrade());
    expect(error.code).toBe(TlsHandshakeErrorCode.Closed);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("an AbortSignal stops a handshake in progress (shutdown)", async () => {
    const store = new TlsContextStore({ default: pem });
    const controller = new AbortController();
    const server = await serve(store, { signal: controller.signal });
    const silent = netConnect(server.port, "127.0.0.1");
    await once(silent, "connect");
    const closed = once(silent, "close");
    controller.abort(new Error("shutting down"));
    const error = rejection(await server.nextUpgrade());
    expect(error.code).toBe(TlsHandshakeErrorCode.Aborted);
    expect((error.cause as Error).message).toBe("shutting down");
    await closed;
  });

  it("an already aborted signal rejects at once and destroys the socket", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = await serve(store, { signal: AbortSignal.abort() });
    const plain = netConnect(server.port, "127.0.0.1");
    const closed = once(plain, "close");
    expect(rejection(await server.nextUpgrade()).code).toBe(TlsHandshakeErrorCode.Aborted);
    await closed;
  });

  it("an unusable per-call handshakeTimeoutMs rejects with a RangeError and drops the connection", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = await serve(store, { handshakeTimeoutMs: 0 });
    const plain = netConnect(server.port, "127.0.0.1");
    const closed = once(plain, "close");
    const outcome = await server.nextUpgrade();
    expect(outcome.status === "rejected" && outcome.reason).toBeInstanceOf(RangeError);
    await closed;
  });

  it("a socket that already closed rejects as closed", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = createServer((socket) => socket.end());
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const plain = netConnect((server.address() as AddressInfo).port, "127.0.0.1");
    plain.resume();
    await once(plain, "close");
    server.close();
    const error = await upgradeSocket(plain, store).catch((e: unknown) => e as TlsHandshakeError);
    expect(error).toBeInstanceOf(TlsHandshakeError);
    expect((error as TlsHandshakeError).code).toBe(TlsHandshakeErrorCode.Closed);
  });
});

describe("protocol versions (RFC 8996, RFC 8314 §4.1)", () => {
  it("TLS 1.1 is refused by default", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = await serve(store);
    const client = tlsConnect({
      host: "127.0.0.1",
      port: server.port,
      rejectUnauthorized: false,
      minVersion: "TLSv1",
      maxVersion: "TLSv1.1",
      ciphers: "DEFAULT:@SECLEVEL=0",
    });
    const clientError = once(client, "error").catch(() => undefined);
    const error = rejection(await server.nextUpgrade());
    expect(error.code).toBe(TlsHandshakeErrorCode.Failed);
    expect(String((error.cause as Error).message)).toMatch(/unsupported protocol|version/i);
    await clientError;
  });

  it("TLS 1.2 is accepted by default", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = await serve(store);
    const client = await connectClient(server.port, { maxVersion: "TLSv1.2" });
    const upgraded = await server.nextUpgrade();
    expect(upgraded.status).toBe("fulfilled");
    if (upgraded.status === "fulfilled") expect(describeTls(upgraded.value, true).protocol).toBe("TLSv1.2");
    client.destroy();
  });

  it("minVersion TLSv1.3 refuses a TLS 1.2 client and accepts TLS 1.3", async () => {
    const store = new TlsContextStore({ default: pem, minVersion: "TLSv1.3" });
    const server = await serve(store);
    const old = tlsConnect({ host: "127.0.0.1", port: server.port, rejectUnauthorized: false, maxVersion: "TLSv1.2" });
    const oldError = once(old, "error").catch(() => undefined);
    expect(rejection(await server.nextUpgrade()).code).toBe(TlsHandshakeErrorCode.Failed);
    await oldError;
    const modern = await connectClient(server.port);
    const upgraded = await server.nextUpgrade();
    expect(upgraded.status === "fulfilled" && describeTls(upgraded.value, true).protocol).toBe("TLSv1.3");
    modern.destroy();
  });
});

describe("client-initiated renegotiation is refused (CVE-2011-1473)", () => {
  it("a Node client's renegotiation (TLS 1.2) gets an error on the server socket and the connection dropped", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = await serve(store);
    const client = await connectClient(server.port, { maxVersion: "TLSv1.2" });
    const upgraded = await server.nextUpgrade();
    if (upgraded.status !== "fulfilled") throw new Error("upgrade failed");
    const serverSide = upgraded.value;
    const serverError = once(serverSide, "error");
    // (events.once would reject on the 'error' this test expects.)
    const serverClosed = new Promise((resolve) => serverSide.once("close", resolve));
    client.on("error", () => {});
    expect(await echo(client, "before")).toBe("before");
    const renegotiated = new Promise<Error | null>((resolve) => client.renegotiate({ rejectUnauthorized: false }, resolve));
    const [error] = (await serverError) as [NodeJS.ErrnoException];
    expect(error.code).toBe("ERR_TLS_RENEGOTIATION_DISABLED");
    await serverClosed;
    // The client never completes a second handshake.
    const outcome = await Promise.race([renegotiated, once(client, "close").then(() => "closed")]);
    expect(outcome).not.toBeNull();
    client.destroy();
  });

  it("openssl s_client's R command (TLS 1.2) is refused", async () => {
    const store = new TlsContextStore({ default: pem });
    const server = await serve(store);
    const child = spawn("openssl", ["s_client", "-connect", `127.0.0.1:${server.port}`, "-tls1_2", "-servername", "mx.test"], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, "exit");
    try {
      const upgraded = await server.nextUpgrade();
      if (upgraded.status !== "fulfilled") throw new Error("upgrade failed");
      const serverError = once(upgraded.value, "error");
      child.stdin.write("R\n");
      const [error] = (await serverError) as [NodeJS.ErrnoException];
      expect(error.code).toBe("ERR_TLS_RENEGOTIATION_DISABLED");
    } finally {
      child.stdin.end();
      child.kill();
      await exited;
    }
    expect(output).toContain("RENEGOTIATING");
  });
});
