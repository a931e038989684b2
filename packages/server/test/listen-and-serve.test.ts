import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createServer, generateSelfSigned, listenAndServe, listenAndServeTls, parseListenAddress, SERVER_DEFAULTS } from "../src/index.js";
import { Client } from "./helpers.js";

describe("the seeds' ListenAndServe and ListenAndServeTLS", () => {
  it("parses listen addresses: host:port, :port, [v6]:port, a port", () => {
    expect(parseListenAddress(":2525")).toEqual({ host: undefined, port: 2525 });
    expect(parseListenAddress("127.0.0.1:25")).toEqual({ host: "127.0.0.1", port: 25 });
    expect(parseListenAddress("[::1]:587")).toEqual({ host: "::1", port: 587 });
    expect(parseListenAddress("2525")).toEqual({ host: undefined, port: 2525 });
    expect(parseListenAddress(0)).toEqual({ host: undefined, port: 0 });
    expect(() => parseListenAddress("localhost")).toThrow(TypeError);
    expect(() => parseListenAddress(":70000")).toThrow(RangeError);
  });

  it("listenAndServe serves the handler", async () => {
    const server = await listenAndServe("127.0.0.1:0", { helo: () => undefined }, { hostname: "seed.test" });
    const c = await Client.connect(server.addresses()[0]!.port);
    expect(await c.reply()).toMatch(/^220 seed\.test/);
    c.close();
    await server.close({ deadlineMs: 200 });
  });

  it("listenAndServeTls offers STARTTLS with the PEM files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lmail-server-"));
    try {
      const pair = await generateSelfSigned();
      await writeFile(join(dir, "cert.pem"), pair.cert);
      await writeFile(join(dir, "key.pem"), pair.key);
      const server = await listenAndServeTls("127.0.0.1:0", join(dir, "cert.pem"), join(dir, "key.pem"), {}, { hostname: "seed.test" });
      const c = await Client.connect(server.addresses()[0]!.port);
      await c.reply();
      expect(await c.command("EHLO x")).toContain("STARTTLS");
      expect(await c.command("STARTTLS")).toMatch(/^220/);
      const secure = await c.startTls();
      expect(secure.encrypted).toBe(true);
      c.close();
      await server.close({ deadlineMs: 200 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("options", () => {
  it("refuses limits that are not positive numbers", () => {
    expect(() => createServer({ maxConnections: 0 })).toThrow(RangeError);
    expect(() => createServer({ commandTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => createServer({ writeTimeoutMs: Number.NaN })).toThrow(RangeError);
    expect(createServer({ minDataRateBytesPerSecond: 0 }).options.minDataRateBytesPerSecond).toBe(0);
  });

  it("fills in the documented defaults", () => {
    const o = createServer({ hostname: "x" }).options;
    expect(o).toMatchObject({
      protocol: "smtp",
      maxConnections: SERVER_DEFAULTS.maxConnections,
      maxConnectionsPerAddress: 20,
      commandTimeoutMs: 300_000,
      dataBlockTimeoutMs: 180_000,
      minDataRateBytesPerSecond: 500,
      hookTimeoutMs: 600_000,
      received: true,
      reverseDns: undefined,
    });
  });

  it("implicitTls without tls is refused at listen", async () => {
    await expect(createServer({}).listen({ host: "127.0.0.1", port: 0, implicitTls: true })).rejects.toThrow(TypeError);
  });
});
