import { describe, expect, it } from "vitest";
import { AuthGuard } from "../src/auth-guard.js";
import { hashPassword, parseHash, type ParsedHash } from "../src/password-hash.js";

async function users(): Promise<Map<string, ParsedHash>> {
  const p = parseHash(await hashPassword("right", { ln: 10, r: 8, p: 1 }));
  if ("error" in p) throw new Error(p.error);
  return new Map([["alice", p]]);
}

function harness(options: { maxFailuresPerAddress?: number; failureWindowMs?: number } = {}) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    clock: { advance: (ms: number) => (now += ms) },
    sleeps,
    options: { ...options, failureDelayMs: 1500, now: () => now, sleep: (ms: number) => (sleeps.push(ms), Promise.resolve()) },
  };
}

describe("AUTH checks (RFC 4954 §6): delayed failures, rate limit per client address", () => {
  it("accepts the right password at once, without a delay", async () => {
    const h = harness();
    const guard = new AuthGuard(await users(), h.options);
    expect(await guard.check({ username: "alice", password: "right" }, "192.0.2.1")).toEqual({ ok: true, user: "alice" });
    expect(h.sleeps).toEqual([]);
  });

  it("answers a wrong password and an unknown user alike with 535 5.7.8, after the failure delay", async () => {
    const h = harness();
    const guard = new AuthGuard(await users(), h.options);
    const wrong = await guard.check({ username: "alice", password: "wrong" }, "192.0.2.1");
    const unknown = await guard.check({ username: "mallory", password: "right" }, "192.0.2.1");
    for (const r of [wrong, unknown]) expect(r).toMatchObject({ ok: false, reason: "invalid", reply: { code: 535, enhanced: "5.7.8" } });
    expect(h.sleeps).toEqual([1500, 1500]);
  });

  it("refuses an authorization identity other than the user (no proxy logins)", async () => {
    const guard = new AuthGuard(await users(), harness().options);
    expect((await guard.check({ username: "alice", password: "right", authorizationId: "bob" }, "192.0.2.1")).ok).toBe(false);
    expect((await guard.check({ username: "alice", password: "right", authorizationId: "alice" }, "192.0.2.1")).ok).toBe(true);
  });

  it("after N failures from one address refuses it with 454 4.7.0 until the window passes; other addresses unaffected", async () => {
    const h = harness({ maxFailuresPerAddress: 3, failureWindowMs: 60_000 });
    const guard = new AuthGuard(await users(), h.options);
    for (let i = 0; i < 3; i++) await guard.check({ username: "alice", password: `guess${String(i)}` }, "192.0.2.1");
    expect(guard.failuresOf("192.0.2.1")).toBe(3);
    // even the right password is not checked now
    expect(await guard.check({ username: "alice", password: "right" }, "192.0.2.1")).toMatchObject({ ok: false, reason: "rate-limited", reply: { code: 454, enhanced: "4.7.0" } });
    expect(await guard.check({ username: "alice", password: "right" }, "198.51.100.7")).toEqual({ ok: true, user: "alice" });
    h.clock.advance(60_001);
    expect(guard.failuresOf("192.0.2.1")).toBe(0);
    expect(await guard.check({ username: "alice", password: "right" }, "192.0.2.1")).toEqual({ ok: true, user: "alice" });
  });

  it("counts attempts still running: concurrent guesses from one address cannot pass the limit", async () => {
    const h = harness({ maxFailuresPerAddress: 3 });
    const guard = new AuthGuard(await users(), { ...h.options, maxConcurrentChecks: 100 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => guard.check({ username: "alice", password: `guess${String(i)}` }, "192.0.2.1")));
    expect(results.filter((r) => !r.ok && r.reason === "invalid")).toHaveLength(3);
    expect(results.filter((r) => !r.ok && r.reason === "rate-limited")).toHaveLength(17);
  });

  it("runs at most maxConcurrentChecks password checks at once; others wait their turn, and past maxQueuedChecks get 454 4.7.0", async () => {
    const guard = new AuthGuard(await users(), { ...harness().options, maxConcurrentChecks: 1, maxQueuedChecks: 2 });
    const addresses = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"];
    const results = await Promise.all(addresses.map((a) => guard.check({ username: "alice", password: "right" }, a)));
    // one runs, two wait and then run, the fourth finds the queue full
    expect(results.slice(0, 3)).toEqual([0, 1, 2].map(() => ({ ok: true, user: "alice" })));
    expect(results[3]).toMatchObject({ ok: false, reason: "rate-limited", reply: { code: 454, enhanced: "4.7.0" } });
    expect(await guard.check({ username: "alice", password: "right" }, "192.0.2.5")).toEqual({ ok: true, user: "alice" });
  });

  it("bounds the number of addresses it remembers", async () => {
    const h = harness();
    const guard = new AuthGuard(await users(), { ...h.options, maxTrackedAddresses: 2 });
    for (const address of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) await guard.check({ username: "x", password: "y" }, address);
    expect(guard.failuresOf("10.0.0.1")).toBe(0);
    expect(guard.failuresOf("10.0.0.3")).toBe(1);
  });

  it("takes new users on reload (SIGHUP)", async () => {
    const guard = new AuthGuard(new Map(), harness().options);
    expect((await guard.check({ username: "alice", password: "right" }, "192.0.2.1")).ok).toBe(false);
    guard.setUsers(await users());
    expect((await guard.check({ username: "alice", password: "right" }, "192.0.2.1")).ok).toBe(true);
  });
});

describe("AUTH delay and disconnects", () => {
  it("a client that disconnects during the failure delay still has the failure counted, and nothing throws", async () => {
    const controller = new AbortController();
    const guard = new AuthGuard(await users(), { failureDelayMs: 60_000 });
    const pending = guard.check({ username: "alice", password: "wrong" }, "192.0.2.9", controller.signal);
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, reason: "invalid" });
    expect(guard.failuresOf("192.0.2.9")).toBe(1);
  });
});
