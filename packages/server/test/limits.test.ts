import { afterEach, describe, expect, it } from "vitest";
import type { SmtpServer } from "../src/index.js";
import { Client, startServer, until } from "./helpers.js";

let server: SmtpServer | undefined;
afterEach(async () => {
  await server?.close({ deadlineMs: 500 });
  server = undefined;
});

describe("connection limits", () => {
  it("refuses a client over maxConnectionsPerAddress with 421 4.7.0, and accepts it again once one left", async () => {
    const started = await startServer({ maxConnectionsPerAddress: 2 });
    server = started.server;
    const a = await Client.connect(started.port);
    const b = await Client.connect(started.port);
    expect(await a.reply()).toMatch(/^220/);
    expect(await b.reply()).toMatch(/^220/);
    const c = await Client.connect(started.port);
    expect(await c.reply()).toMatch(/^421 4\.7\.0/);
    await c.closed;
    expect(await a.command("QUIT")).toMatch(/^221/);
    await a.closed;
    await until(() => server!.connections === 1); // the server notices a (and c) leaving a little after the client
    const d = await Client.connect(started.port);
    expect(await d.reply()).toMatch(/^220/);
    b.close();
    d.close();
  });

  it("a refused client frees its slot as soon as it closes", async () => {
    const started = await startServer({ maxConnections: 1 });
    server = started.server;
    const a = await Client.connect(started.port);
    expect(await a.reply()).toMatch(/^220/);
    const b = await Client.connect(started.port);
    expect(await b.reply()).toMatch(/^421 4\.7\.0/);
    await b.closed;
    const c = await Client.connect(started.port);
    expect(await c.reply()).toMatch(/^421 4\.7\.0/);
    c.socket.resetAndDestroy();
    await c.closed;
    await until(() => server!.connections === 1, 1000);
    a.close();
  });

  it("refuses connections over maxConnections with 421 4.7.0", async () => {
    const started = await startServer({ maxConnections: 1 });
    server = started.server;
    const a = await Client.connect(started.port);
    expect(await a.reply()).toMatch(/^220/);
    const b = await Client.connect(started.port);
    expect(await b.reply()).toMatch(/^421 4\.7\.0/);
    await b.closed;
    a.close();
  });

  it("listens on IPv4 and IPv6 at once and reports every bound address", async () => {
    const started = await startServer({});
    server = started.server;
    const six = await server.listen({ host: "::1", port: 0 });
    expect(server.addresses().map((a) => a.family).sort()).toEqual(["IPv4", "IPv6"]);
    const c = await Client.connect(six.port, "::1");
    expect(await c.reply()).toMatch(/^220/);
    c.close();
  });
});
