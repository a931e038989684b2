import { channel } from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { DaemonMetrics } from "../src/metrics.js";
import { Observer, resultOf, serverChannels } from "../src/observer.js";

const reply = (code: number, enhanced?: string, text = "ok") => ({ code, ...(enhanced === undefined ? {} : { enhanced }), lines: [text] });
const envelope = { from: { raw: "a@example.org" }, recipients: [{ address: { raw: "you@localhost" } }, { address: { raw: "me@localhost" } }] };

let observer: Observer | undefined;
afterEach(() => observer?.close());

function setup() {
  const records: Record<string, unknown>[] = [];
  const logger = createLogger({ format: "json", level: "debug", destination: { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) } });
  const metrics = new DaemonMetrics();
  observer = new Observer(logger, metrics);
  return { records, metrics, transactions: () => records.filter((r) => r.msg === "transaction") };
}

describe("observer: server diagnostics channels to logs and metrics", () => {
  it("logs one line per transaction with id, client, sender, recipients, size, result and duration", async () => {
    const { transactions, metrics } = setup();
    channel(serverChannels.connection).publish({ type: "open", id: "c1", remoteAddress: "192.0.2.7", remotePort: 40000, localAddress: "127.0.0.1", localPort: 2525, proxied: false });
    channel(serverChannels.transaction).publish({ type: "start", id: "c1", envelope, transfer: "DATA" });
    channel(serverChannels.transaction).publish({ type: "end", id: "c1", envelope, bytes: 1234, replies: [undefined] });
    const [line] = transactions();
    expect(line).toMatchObject({ id: "c1", client: "192.0.2.7:40000", sender: "a@example.org", recipients: ["you@localhost", "me@localhost"], size: 1234, result: "delivered", transfer: "DATA" });
    expect(typeof line!.durationMs).toBe("number");
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/lmaild_transactions_total\{result="delivered"\} 1/);
    expect(text).toMatch(/lmaild_delivered_bytes_total 1234/);
    expect(text).toMatch(/lmaild_connections_active 1/);
  });

  it("logs a refused body, and a transaction cut by a disconnect as abandoned", async () => {
    const { transactions, metrics } = setup();
    const open = { type: "open", remoteAddress: "::1", remotePort: 1, localAddress: "::1", localPort: 25, proxied: false };
    channel(serverChannels.connection).publish({ ...open, id: "c2" });
    channel(serverChannels.transaction).publish({ type: "start", id: "c2", envelope, transfer: "BDAT" });
    channel(serverChannels.transaction).publish({ type: "rejected", id: "c2", envelope, reply: reply(552, "5.3.4", "too big") });
    channel(serverChannels.connection).publish({ ...open, id: "c3" });
    channel(serverChannels.transaction).publish({ type: "start", id: "c3", envelope, transfer: "DATA" });
    channel(serverChannels.connection).publish({ type: "close", id: "c3", reason: "reset", durationMs: 5, bytesRead: 10, bytesWritten: 10 });
    expect(transactions()).toMatchObject([
      { id: "c2", client: "[::1]:1", result: "rejected", reply: "552 5.3.4 too big" },
      { id: "c3", result: "abandoned" },
    ]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/lmaild_transactions_total\{result="abandoned"\} 1/);
    expect(text).toMatch(/lmaild_connections_active 1/);
  });

  it("counts TLS failures and internal errors, and logs them", async () => {
    const { records, metrics } = setup();
    channel(serverChannels.tls).publish({ type: "failed", id: "c9", implicit: true, error: new Error("bad record") });
    channel(serverChannels.error).publish({ where: "data", error: new Error("disk on fire") });
    expect(records.map((r) => r.msg)).toEqual(["tls handshake failed", "error"]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/lmaild_tls_handshakes_total\{kind="implicit",result="failed"\} 1/);
    expect(text).toMatch(/lmaild_errors_total\{where="data"\} 1/);
  });

  it("classifies results: all positive delivered; LMTP mixes partial; all 5xx rejected; else failed", () => {
    expect(resultOf([undefined, reply(250)])).toBe("delivered");
    expect(resultOf([reply(250), reply(452, "4.3.1")])).toBe("partial");
    expect(resultOf([reply(554, "5.0.0")])).toBe("rejected");
    expect(resultOf([reply(451, "4.3.0"), reply(554, "5.0.0")])).toBe("failed");
  });
});
