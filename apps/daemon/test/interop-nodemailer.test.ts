/**
 * Interop with nodemailer's SMTP transport: STARTTLS (opportunistic and required), implicit TLS,
 * AUTH over TLS, and raw messages so that the bytes are known exactly.
 */
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixture, TEST_PASSWORD, TEST_USER, type Fixture } from "./support/fixture.js";
import { delivered, splitTrace, stored } from "./support/maildir.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture({ tls: true, users: true });
});
afterAll(async () => {
  expect(await fixture.stop()).toBe(0);
});

const raw = (to: string) => `From: nm@remote.test\r\nTo: ${to}\r\nSubject: nodemailer\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSent by nodemailer, ünïcödé.\r\n.dot\r\n`;

describe("nodemailer", () => {
  it("STARTTLS (required), raw message: delivered byte for byte", async () => {
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: fixture.daemon.smtpPort, secure: false, requireTLS: true, name: "client.test", tls: { rejectUnauthorized: false } });
    const info = await transport.sendMail({ envelope: { from: "nm@remote.test", to: ["nm1@localhost"] }, raw: raw("nm1@localhost") });
    expect(info.accepted).toEqual(["nm1@localhost"]);
    expect(info.response).toMatch(/^250 2\.6\.0 /);
    const [file] = delivered(fixture.maildir, "localhost", "nm1");
    expect(splitTrace(file!.bytes).message.equals(stored(raw("nm1@localhost")))).toBe(true);
    transport.close();
  });

  it("implicit TLS with AUTH: two recipients, each gets the message once", async () => {
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: fixture.daemon.smtpsPort, secure: true, name: "client.test", auth: { user: TEST_USER, pass: TEST_PASSWORD }, tls: { rejectUnauthorized: false } });
    await transport.verify();
    const info = await transport.sendMail({ envelope: { from: "nm@remote.test", to: ["nm2@localhost", "NM3+tag@localhost"] }, raw: raw("nm2@localhost") });
    expect(info.accepted).toEqual(["nm2@localhost", "NM3+tag@localhost"]);
    for (const mailbox of ["nm2", "nm3"]) {
      const files = delivered(fixture.maildir, "localhost", mailbox);
      expect(files).toHaveLength(1);
      const split = splitTrace(files[0]!.bytes);
      expect(split.received).toMatch(/with ESMTPSA /);
      expect(split.message.equals(stored(raw("nm2@localhost")))).toBe(true);
    }
    transport.close();
  });

  it("a refused recipient is reported by nodemailer, the accepted one delivered", async () => {
    const transport = nodemailer.createTransport({ host: "127.0.0.1", port: fixture.daemon.smtpPort, secure: false, ignoreTLS: true, name: "client.test" });
    const info = await transport.sendMail({ envelope: { from: "nm@remote.test", to: ["nm4@localhost", "someone@elsewhere.test"] }, raw: raw("nm4@localhost") });
    expect(info.accepted).toEqual(["nm4@localhost"]);
    expect(info.rejected).toEqual(["someone@elsewhere.test"]);
    expect(delivered(fixture.maildir, "localhost", "nm4")).toHaveLength(1);
    transport.close();
  });
});
