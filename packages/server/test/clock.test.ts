import { afterEach, describe, expect, it } from "vitest";
import { Clock, type Alarm } from "../src/clock.js";
import type { SmtpServer } from "../src/index.js";
import { clockOf } from "../src/server.js";
import { Client, startServer } from "./helpers.js";

function alarm(name: string, log: string[]): Alarm {
  return { alarmAt: Infinity, alarmSlot: -1, ring: () => void log.push(name) };
}

/** A clock on a hand-moved time; its Node timer is real, so rings are awaited with `settle`. */
function manual(): { clock: Clock; set: (t: number) => void } {
  let now = 1000;
  return { clock: new Clock(() => now), set: (t) => (now = t) };
}
/** The server sees a close after its client does: wait for it to let every connection go. */
async function released(server: SmtpServer): Promise<void> {
  while (server.connections > 0) await new Promise((resolve) => setImmediate(resolve));
}
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe("Clock (one timer for every connection's deadline)", () => {
  it("rings what is due, in the order of the times, and not what is not", async () => {
    const { clock, set } = manual();
    const log: string[] = [];
    const [a, b, c] = [alarm("a", log), alarm("b", log), alarm("c", log)];
    clock.set(c, 1003);
    clock.set(a, 1001);
    clock.set(b, 1002);
    expect(clock.size).toBe(3);
    set(1002);
    await settle();
    expect(log).toEqual(["a", "b"]);
    expect(clock.size).toBe(1);
    expect(c.alarmSlot).toBe(0);
    set(1010);
    await settle();
    expect(log).toEqual(["a", "b", "c"]);
    expect(clock.size).toBe(0);
    expect([a.alarmAt, a.alarmSlot]).toEqual([Infinity, -1]);
  });

  it("moves an alarm later or earlier, cancels it, and keeps the heap ordered", () => {
    const { clock } = manual();
    const log: string[] = [];
    const alarms = Array.from({ length: 200 }, (_, i) => alarm(String(i), log));
    // a fixed pseudo-random order of sets, moves and cancels
    let x = 7;
    const next = (): number => (x = (x * 1103515245 + 12345) % 2147483648);
    for (let round = 0; round < 2000; round++) {
      const a = alarms[next() % alarms.length]!;
      if (next() % 4 === 0) clock.cancel(a);
      else clock.set(a, 2000 + (next() % 5000));
    }
    const set = alarms.filter((a) => a.alarmSlot >= 0);
    expect(clock.size).toBe(set.length);
    // every slot is where the clock says, and every parent is due no later than its children
    const bySlot = [...set].sort((p, q) => p.alarmSlot - q.alarmSlot);
    bySlot.forEach((a, i) => {
      expect(a.alarmSlot).toBe(i);
      if (i > 0) expect(bySlot[(i - 1) >> 1]!.alarmAt).toBeLessThanOrEqual(a.alarmAt);
    });
    for (const a of alarms) clock.cancel(a);
    expect(clock.size).toBe(0);
    expect(log).toEqual([]);
  });

  it("lets a ring set its own alarm again (a deadline that moved later)", async () => {
    const { clock, set } = manual();
    let rings = 0;
    const a: Alarm = {
      alarmAt: Infinity,
      alarmSlot: -1,
      ring: (now) => {
        rings++;
        if (rings === 1) clock.set(a, now + 5);
      },
    };
    clock.set(a, 1001);
    set(1001);
    await settle();
    expect(rings).toBe(1);
    expect(a.alarmAt).toBe(1006);
    set(1006);
    await settle();
    expect(rings).toBe(2);
    expect(clock.size).toBe(0);
  });

  it("Infinity cancels", () => {
    const { clock } = manual();
    const a = alarm("a", []);
    clock.set(a, 5000);
    clock.set(a, Infinity);
    expect(clock.size).toBe(0);
    expect(a.alarmSlot).toBe(-1);
  });
});

describe("the server's connections on its clock", () => {
  let server: SmtpServer | undefined;
  afterEach(async () => {
    await server?.close({ deadlineMs: 500 });
    server = undefined;
  });

  it("a client that only got its greeting gets 421 after commandTimeoutMs, and leaves no alarm", async () => {
    const started = await startServer({ commandTimeoutMs: 150 });
    server = started.server;
    const clock = clockOf.get(server)!;
    const c = await Client.connect(started.port);
    const at = Date.now();
    expect(await c.reply()).toMatch(/^220 /);
    expect(clock.size).toBe(1);
    // before EHLO, no enhanced code (RFC 2034 §3)
    expect(await c.reply()).toMatch(/^421 .*timeout/);
    await c.closed;
    expect(Date.now() - at).toBeGreaterThanOrEqual(140);
    await released(server);
    expect(clock.size).toBe(0);
  });

  it("a connection's alarm is cleared when it closes: nothing left after 1,000 connections come and go", async () => {
    const started = await startServer({ maxConnections: 200, maxConnectionsPerAddress: 200 });
    server = started.server;
    const clock = clockOf.get(server)!;
    for (let round = 0; round < 10; round++) {
      const clients = await Promise.all(Array.from({ length: 100 }, () => Client.connect(started.port)));
      for (const c of clients) expect(await c.reply()).toMatch(/^220 /);
      // half of them speak (their session is made), half stay idle after the greeting
      for (const c of clients.slice(0, 50)) expect(await c.command("EHLO x")).toMatch(/^250/);
      expect(clock.size).toBe(100);
      for (const [i, c] of clients.entries()) {
        if (i % 2 === 0) c.send("QUIT\r\n");
        else c.socket.destroy();
      }
      await Promise.all(clients.map((c) => c.closed));
    }
    await released(server);
    expect(clock.size).toBe(0);
  });
});
