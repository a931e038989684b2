import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TlsContextStore } from "../src/index.js";
import { certFor, connectClient, presentedName, startServer, type TestServer } from "./helpers.js";

// Many handshakes at once, with reloads in between: each client gets the certificate for its name
// and every upgrade completes. Bounded: 120 connections, 20 at a time.
describe("concurrent handshakes across reloads", () => {
  let server: TestServer;
  let store: TlsContextStore;
  const names = ["a.test", "b.test", "c.test"];

  beforeAll(async () => {
    const [fallback, ...named] = await Promise.all([certFor("fallback.test"), ...names.map((n) => certFor(n))]);
    store = new TlsContextStore({ default: fallback, sni: Object.fromEntries(names.map((n, i) => [n, named[i]!])) });
    server = await startServer(store);
  });
  afterAll(() => server.close());

  it("120 connections, 20 at a time, each get their SNI certificate", async () => {
    const total = 120;
    const parallel = 20;
    let next = 0;
    const seen: string[] = [];
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        const servername = names[i % names.length]!;
        if (i % 40 === 0) await store.reload();
        const client = await connectClient(server.port, { servername });
        const upgraded = await server.nextUpgrade();
        expect(upgraded.status).toBe("fulfilled");
        seen.push(`${servername}=${presentedName(client)}`);
        client.destroy();
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    const elapsedMs = performance.now() - started;
    expect(seen).toHaveLength(total);
    expect(seen.every((pair) => pair.split("=")[0] === pair.split("=")[1])).toBe(true);
    expect(elapsedMs).toBeLessThan(20_000);
  });
});
