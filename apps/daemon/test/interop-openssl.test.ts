/**
 * Interop with `openssl s_client -starttls smtp`: OpenSSL does EHLO and STARTTLS itself, then the
 * rest of the dialogue goes through the TLS tunnel as raw lines.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixture, type Fixture } from "./support/fixture.js";
import { runCommand } from "./support/lmaild.js";
import { delivered, splitTrace, stored } from "./support/maildir.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture({ tls: true });
});
afterAll(async () => {
  expect(await fixture.stop()).toBe(0);
});

describe("openssl s_client", () => {
  it("-starttls smtp: TLS 1.3 handshake, then a whole transaction through the tunnel", async () => {
    const message = "From: ossl@remote.test\r\nTo: ossl@localhost\r\nSubject: openssl\r\n\r\nthrough s_client\r\n";
    // -crlf turns the LF of each input line into CRLF; -quiet keeps the tunnel open until the server closes after QUIT.
    const input = `EHLO client.test\nMAIL FROM:<ossl@remote.test>\nRCPT TO:<ossl@localhost>\nDATA\n${message.replace(/\r\n/g, "\n")}.\nQUIT\n`;
    const r = await runCommand("openssl", ["s_client", "-starttls", "smtp", "-connect", `127.0.0.1:${String(fixture.daemon.smtpPort)}`, "-crlf", "-quiet", "-servername", "localhost"], { input });
    expect(r.stdout).toMatch(/^250 2\.6\.0 /m);
    expect(r.stdout).toMatch(/^221 /m);
    const [file] = delivered(fixture.maildir, "localhost", "ossl");
    const split = splitTrace(file!.bytes);
    expect(split.received).toMatch(/with ESMTPS [\s\S]*TLSv1\.3/);
    expect(split.message.equals(stored(message))).toBe(true);
  });

  it("the certificate presented is the self-signed one for the configured hostname", async () => {
    const r = await runCommand("openssl", ["s_client", "-connect", `127.0.0.1:${String(fixture.daemon.smtpsPort)}`, "-servername", "localhost"], { input: "QUIT\n" });
    expect(r.stdout).toMatch(/subject=CN\s*=\s*mx\.test/);
    expect(r.stdout).toMatch(/New, TLSv1\.3, Cipher is /);
  });
});
