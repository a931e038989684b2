import { once } from "node:events";
import { connect as netConnect, type AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { describe, expect, it } from "vitest";
import { TlsContextStore, TlsHandshakeErrorCode, createImplicitTlsServer, describeTls, type TlsHandshakeError } from "../src/index.js";
import { certFor, connectClient, echo, presentedName } from "./helpers.js";

// RFC 8314 §3: implicit TLS, the handshake first on connect (submissions on port 465).
describe("createImplicitTlsServer (RFC 8314 §3)", () => {
  it("hands over secure sockets and reports failed handshakes", async () => {
    const [fallback, named] = await Promise.all([certFor("fallback.test"), certFor("mx.test")]);
    const store = new TlsContextStore({ default: fallback, sni: { "mx.test": named } });
    const secured: TLSSocket[] = [];
    const failures: TlsHandshakeError[] = [];
    let onSecure: (() => void) | undefined;
    let onFailure: (() => void) | undefined;
    const server = createImplicitTlsServer(
      store,
      (socket) => {
        secured.push(socket);
        socket.on("data", (chunk: Buffer) => socket.write(chunk));
        onSecure?.();
      },
      { handshakeTimeoutMs: 100, onHandshakeError: (error) => (failures.push(error), onFailure?.()) },
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    try {
      const gotSecure = new Promise<void>((resolve) => (onSecure = resolve));
      const client = await connectClient(port, { servername: "mx.test" });
      await gotSecure;
      expect(presentedName(client)).toBe("mx.test");
      expect(describeTls(secured[0]!, true)).toMatchObject({ implicit: true, servername: "mx.test", protocol: "TLSv1.3" });
      expect(await echo(client, "EHLO x\r\n")).toBe("EHLO x\r\n");
      client.destroy();

      const gotFailure = new Promise<void>((resolve) => (onFailure = resolve));
      const silent = netConnect(port, "127.0.0.1");
      await gotFailure;
      expect(failures.map((f) => f.code)).toEqual([TlsHandshakeErrorCode.Timeout]);
      silent.destroy();
    } finally {
      for (const socket of secured) socket.destroy();
      server.close();
      await once(server, "close");
    }
  });
});

describe("createImplicitTlsServer shutdown", () => {
  it("its signal aborts handshakes in progress", async () => {
    const store = new TlsContextStore({ default: await certFor("mx.test") });
    const controller = new AbortController();
    let reported: (error: TlsHandshakeError) => void = () => {};
    const failure = new Promise<TlsHandshakeError>((resolve) => (reported = resolve));
    const server = createImplicitTlsServer(store, () => {}, { signal: controller.signal, onHandshakeError: (error) => reported(error) });
    const accepted = once(server, "connection");
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const silent = netConnect((server.address() as AddressInfo).port, "127.0.0.1");
    const closed = once(silent, "close");
    await accepted;
    const serverClosed = once(server, "close");
    server.close(); // waits for the connection in its handshake...
    controller.abort(); // ...which the signal ends
    expect((await failure).code).toBe(TlsHandshakeErrorCode.Aborted);
    await closed;
    await serverClosed;
  });
});
