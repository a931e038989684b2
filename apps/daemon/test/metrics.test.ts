import { afterEach, describe, expect, it } from "vitest";
import type { Server } from "node:http";
import { DaemonMetrics, serveMetrics } from "../src/metrics.js";

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

describe("metrics endpoint (Prometheus text format)", () => {
  it("serves the registry at /metrics on an ephemeral port, 404 elsewhere", async () => {
    const metrics = new DaemonMetrics();
    metrics.recipients.inc({ result: "accepted" }, 3);
    const served = await serveMetrics(metrics, { host: "127.0.0.1", port: 0 });
    server = served.server;
    const base = `http://127.0.0.1:${String(served.address.port)}`;
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await response.text();
    expect(body).toContain('lmaild_recipients_total{result="accepted"} 3');
    expect(body).toContain("# TYPE lmaild_connections_active gauge");
    expect(body).toContain("lmaild_process_cpu_user_seconds_total");
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("fails to start on a port already in use", async () => {
    const first = await serveMetrics(new DaemonMetrics(), { host: "127.0.0.1", port: 0 });
    server = first.server;
    await expect(serveMetrics(new DaemonMetrics(), { host: "127.0.0.1", port: first.address.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
