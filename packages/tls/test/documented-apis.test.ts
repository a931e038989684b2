import { once } from "node:events";
import { readFile, readdir } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { TlsContextStore, TlsHandshakeErrorCode } from "../src/index.js";
import { certFor, commonName, connectClient, echo, presentedName, rejection, startServer, type Pem, type TestServer } from "./helpers.js";

// upgradeSocket injects each socket into a tls.Server (its documented 'connection' event) and
// reuses idle servers per store: a server that saw a failure must serve the next socket cleanly.
describe("documented Node APIs only", () => {
  let pem: Pem;
  let next: Pem;
  let server: TestServer | undefined;
  beforeAll(async () => {
    [pem, next] = await Promise.all([certFor("mx.test"), certFor("next.test")]);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("src/ uses no undocumented TLS internals", async () => {
    const dir = new URL("../src/", import.meta.url);
    for (const file of await readdir(dir)) {
      const text = await readFile(new URL(file, dir), "utf8");
      expect(text, file).not.toMatch(/_handle|_tlsError|verifyError|_parent\b|_sharedCreds|_releaseControl/);
    }
  });

  it("after a timeout, a failure and a reset on one store, the next handshakes still work", async () => {
    const store = new TlsContextStore({ default: pem, handshakeTimeoutMs: 100 });
    server = await startServer(store);

    const silent = netConnect(server.port, "127.0.0.1");
    silent.on("error", () => {});
    expect(rejection(await server.nextUpgrade()).code).toBe(TlsHandshakeErrorCode.Timeout);

    const plain = netConnect(server.port, "127.0.0.1");
    plain.on("error", () => {});
    plain.write("EHLO client.test\r\n");
    expect(rejection(await server.nextUpgrade()).code).toBe(TlsHandshakeErrorCode.Failed);

    const reset = netConnect(server.port, "127.0.0.1");
    await once(reset, "connect");
    reset.resetAndDestroy();
    expect(rejection(await server.nextUpgrade()).code).toBe(TlsHandshakeErrorCode.Closed);

    for (let i = 0; i < 3; i++) {
      const client = await connectClient(server.port);
      expect((await server.nextUpgrade()).status).toBe("fulfilled");
      expect(await echo(client, `hello ${i}`)).toBe(`hello ${i}`);
      client.destroy();
    }
  });

  it("a client without SNI gets the reloaded default certificate, while a live session keeps working", async () => {
    const store = new TlsContextStore({ default: pem });
    server = await startServer(store);
    const live = await connectClient(server.port);
    expect((await server.nextUpgrade()).status).toBe("fulfilled");
    expect(presentedName(live)).toBe(commonName(pem.cert));

    const result = await store.reload({ default: next });
    expect(result.ok).toBe(true);
    const fresh = await connectClient(server.port);
    expect((await server.nextUpgrade()).status).toBe("fulfilled");
    expect(presentedName(fresh)).toBe(commonName(next.cert));
    expect(await echo(live, "still here")).toBe("still here");
    live.destroy();
    fresh.destroy();
  });
});
