/**
 * AUTH failures over the wire (RFC 4954 §6): each failure is answered after a delay, and after 10
 * failures from one client address even the right password gets 454 4.7.0 (a temporary failure)
 * until the 15-minute window has passed.
 */
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixture, TEST_PASSWORD, TEST_USER, type Fixture } from "./support/fixture.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture({ tls: true, users: true });
});
afterAll(async () => {
  expect(await fixture.stop()).toBe(0);
});

async function login(pass: string): Promise<{ ok: true } | { ok: false; responseCode: number | undefined; ms: number }> {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port: fixture.daemon.smtpsPort, secure: true, auth: { user: TEST_USER, pass }, tls: { rejectUnauthorized: false } });
  const started = performance.now();
  try {
    await transport.verify();
    return { ok: true };
  } catch (error) {
    return { ok: false, responseCode: (error as { responseCode?: number }).responseCode, ms: performance.now() - started };
  } finally {
    transport.close();
  }
}

describe("AUTH failures from one client address", () => {
  it("are delayed (535 5.7.8 after about 1 s), and after 10 of them the address gets 454 4.7.0 even with the right password", async () => {
    const failures = await Promise.all(Array.from({ length: 10 }, (_, i) => login(`wrong ${String(i)}`)));
    for (const f of failures) {
      expect(f).toMatchObject({ ok: false, responseCode: 535 });
      if (!f.ok) expect(f.ms).toBeGreaterThanOrEqual(900);
    }
    expect(await login(TEST_PASSWORD)).toMatchObject({ ok: false, responseCode: 454 });
    // The log line may reach us after the reply did: wait for it (bounded).
    expect(await fixture.daemon.waitFor((r) => r.msg === "authentication failed" && r.reason === "rate-limited")).toMatchObject({ user: TEST_USER, mechanism: "PLAIN" });
  });
});
