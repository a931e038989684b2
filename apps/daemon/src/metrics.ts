/**
 * Prometheus metrics (prom-client) and the small HTTP endpoint that serves them on `--metrics
 * HOST:PORT` at `/metrics`. A registry of its own (not prom-client's global one), so that two
 * daemons in one process (tests) never share counters.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { HostPort } from "./host-port.js";

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly connections = new Counter({ name: "lmaild_connections_total", help: "Connections accepted, and refused before a session by reason", labelNames: ["result"] as const, registers: [this.registry] });
  readonly activeConnections = new Gauge({ name: "lmaild_connections_active", help: "Connections open now", registers: [this.registry] });
  readonly transactions = new Counter({ name: "lmaild_transactions_total", help: "Message transactions by result (delivered, rejected, failed, abandoned)", labelNames: ["result"] as const, registers: [this.registry] });
  readonly deliveredBytes = new Counter({ name: "lmaild_delivered_bytes_total", help: "Message bytes accepted for delivery", registers: [this.registry] });
  readonly messageBytes = new Histogram({
    name: "lmaild_message_bytes",
    help: "Size of accepted messages in bytes",
    buckets: [1024, 10_240, 102_400, 1_048_576, 10_485_760, 104_857_600],
    registers: [this.registry],
  });
  readonly transactionSeconds = new Histogram({
    name: "lmaild_transaction_duration_seconds",
    help: "From the start of DATA/BDAT to the final reply",
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly recipients = new Counter({ name: "lmaild_recipients_total", help: "RCPT decisions by result (accepted, unknown, relay-denied, unsafe)", labelNames: ["result"] as const, registers: [this.registry] });
  readonly auth = new Counter({ name: "lmaild_auth_attempts_total", help: "AUTH attempts by result (success, invalid, rate-limited)", labelNames: ["result"] as const, registers: [this.registry] });
  readonly tlsHandshakes = new Counter({ name: "lmaild_tls_handshakes_total", help: "TLS handshakes by kind (starttls, implicit) and result (established, failed)", labelNames: ["kind", "result"] as const, registers: [this.registry] });
  readonly errors = new Counter({ name: "lmaild_errors_total", help: "Errors never shown to clients, by where they happened", labelNames: ["where"] as const, registers: [this.registry] });
  readonly tlsReloads = new Counter({ name: "lmaild_tls_reloads_total", help: "Certificate reloads (SIGHUP) by result", labelNames: ["result"] as const, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "lmaild_" });
  }
}

/** Serve `registry` at `http://HOST:PORT/metrics`; resolves with the bound address. */
export async function serveMetrics(metrics: DaemonMetrics, endpoint: HostPort): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer((request, response) => {
    const url = request.url ?? "/";
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (url !== "/metrics" && !url.startsWith("/metrics?")) {
      response.writeHead(404, { "content-type": "text/plain" }).end("lmaild: metrics are at /metrics\n");
      return;
    }
    metrics.registry.metrics().then(
      (body) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(request.method === "HEAD" ? undefined : body),
      (error: unknown) => response.writeHead(500, { "content-type": "text/plain" }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(endpoint.port, endpoint.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { server, address: server.address() as AddressInfo };
}
