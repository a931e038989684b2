/**
 * Interop with swaks (the Swiss Army Knife for SMTP): plain, STARTTLS, pipelining, implicit TLS,
 * and AUTH PLAIN / LOGIN under TLS only. Every delivered file is compared byte for byte with what
 * swaks sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixture, TEST_PASSWORD, TEST_USER, type Fixture } from "./support/fixture.js";
import { runCommand } from "./support/lmaild.js";
import { delivered, splitTrace, stored } from "./support/maildir.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture({ tls: true, users: true });
});
afterAll(async () => {
  expect(await fixture.stop()).toBe(0);
});

function message(subject: string): string {
  return `From: sender@remote.test\r\nTo: you@localhost\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, "")}@remote.test>\r\n\r\nHello from swaks.\r\n.leading dot line\r\nend\r\n`;
}

async function swaks(to: string, subject: string, extra: readonly string[]): Promise<{ code: number | null; stdout: string; body: string }> {
  const body = message(subject);
  const result = await runCommand("swaks", ["--to", to, "--from", "sender@remote.test", "--server", "127.0.0.1", "--port", String(fixture.daemon.smtpPort), "--helo", "client.test", "--data", "-", "--timeout", "20", ...extra], {
    // swaks ends the data with CRLF.CRLF after its input (adding a CRLF when the input ends with
    // one), so the input goes without its last line break: then the wire bytes are exactly `body`.
    input: body.replace(/\r\n/g, "\n").replace(/\n$/, ""),
  });
  return { code: result.code, stdout: result.stdout + result.stderr, body };
}

function expectDeliveredOnce(mailbox: string, body: string): void {
  const files = delivered(fixture.maildir, "localhost", mailbox);
  expect(files).toHaveLength(1);
  const split = splitTrace(files[0]!.bytes);
  expect(split.returnPath).toBe("Return-Path: <sender@remote.test>");
  expect(split.deliveredTo).toBe(`Delivered-To: ${mailbox}@localhost`);
  expect(split.message.equals(stored(body))).toBe(true);
}

describe("swaks", () => {
  it("plain SMTP: delivered byte for byte (dot-stuffing undone)", async () => {
    const r = await swaks("plain@localhost", "plain", []);
    expect(r.code, r.stdout).toBe(0);
    expectDeliveredOnce("plain", r.body);
    expect(r.stdout).toMatch(/<-\s+250 2\.6\.0/);
  });

  it("STARTTLS (RFC 3207): the Received: field records TLS", async () => {
    const r = await swaks("starttls@localhost", "starttls", ["--tls"]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/TLS started with cipher/);
    expectDeliveredOnce("starttls", r.body);
    const split = splitTrace(delivered(fixture.maildir, "localhost", "starttls")[0]!.bytes);
    expect(split.received).toMatch(/with ESMTPS /);
  });

  it("PIPELINING (RFC 2920): MAIL, RCPT and DATA in one write", async () => {
    const r = await swaks("pipelined@localhost", "pipelining", ["--pipeline"]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/PIPELINING/);
    expectDeliveredOnce("pipelined", r.body);
  });

  it("implicit TLS (RFC 8314) on --listen-tls", async () => {
    const r = await swaks("implicit@localhost", "implicit", ["--tls-on-connect", "--port", String(fixture.daemon.smtpsPort)]);
    expect(r.code, r.stdout).toBe(0);
    expectDeliveredOnce("implicit", r.body);
  });

  it("AUTH is not offered before TLS, and refused there (538 5.7.11 / 503)", async () => {
    const r = await swaks("noauth@localhost", "noauth", ["--auth", "PLAIN", "--auth-user", TEST_USER, "--auth-password", TEST_PASSWORD]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toMatch(/250[ -]AUTH/);
    expect(delivered(fixture.maildir, "localhost", "noauth")).toHaveLength(0);
  });

  it.each(["PLAIN", "LOGIN"])("AUTH %s under STARTTLS with the users-file password (235), and the Received: field says ESMTPSA", async (mechanism) => {
    const mailbox = `auth${mechanism.toLowerCase()}`;
    const r = await swaks(`${mailbox}@localhost`, `auth ${mechanism}`, ["--tls", "--auth", mechanism, "--auth-user", TEST_USER, "--auth-password", TEST_PASSWORD]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/250[ -]AUTH PLAIN LOGIN/);
    expect(r.stdout).toMatch(/<~\s+235 /);
    expectDeliveredOnce(mailbox, r.body);
    expect(splitTrace(delivered(fixture.maildir, "localhost", mailbox)[0]!.bytes).received).toMatch(/with ESMTPSA /);
    await fixture.daemon.waitFor((rec) => rec.msg === "authenticated" && rec.user === TEST_USER && rec.mechanism === mechanism);
  });

  it("a wrong password gets 535 5.7.8 after the failure delay, and is logged", async () => {
    const r = await swaks("wrongpw@localhost", "wrong", ["--tls", "--auth", "PLAIN", "--auth-user", TEST_USER, "--auth-password", "not the password"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/<~\*\s+535 5\.7\.8/);
    await fixture.daemon.waitFor((rec) => rec.msg === "authentication failed" && rec.reason === "invalid");
  });
});
