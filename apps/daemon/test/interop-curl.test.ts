/**
 * Interop with curl's SMTP client: smtp:// in plain text, smtp:// with --ssl-reqd (STARTTLS) and
 * smtps:// (implicit TLS). Files compared byte for byte with what curl uploaded.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixture, type Fixture } from "./support/fixture.js";
import { runCommand } from "./support/lmaild.js";
import { delivered, splitTrace, stored } from "./support/maildir.js";
import { tempDir } from "./support/temp-dir.js";

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture({ tls: true });
});
afterAll(async () => {
  expect(await fixture.stop()).toBe(0);
});

async function curl(url: string, mailbox: string, extra: readonly string[]): Promise<{ code: number | null; out: string; body: string }> {
  const body = `From: curl@remote.test\r\nTo: ${mailbox}@localhost\r\nSubject: curl ${mailbox}\r\n\r\nLine one\r\n.dot line\r\n..two dots\r\n`;
  const dir = await tempDir("lmaild-curl-");
  const file = path.join(dir, "message.eml");
  await writeFile(file, body);
  const r = await runCommand("curl", ["--silent", "--show-error", "--max-time", "20", url, "--mail-from", "curl@remote.test", "--mail-rcpt", `${mailbox}@localhost`, "--upload-file", file, ...extra]);
  return { code: r.code, out: r.stdout + r.stderr, body };
}

function expectDelivered(mailbox: string, body: string): string {
  const files = delivered(fixture.maildir, "localhost", mailbox);
  expect(files).toHaveLength(1);
  const split = splitTrace(files[0]!.bytes);
  expect(split.returnPath).toBe("Return-Path: <curl@remote.test>");
  expect(split.message.equals(stored(body))).toBe(true);
  return split.received;
}

describe("curl", () => {
  it("smtp:// plain", async () => {
    const r = await curl(`smtp://127.0.0.1:${String(fixture.daemon.smtpPort)}/client.test`, "curlplain", []);
    expect(r.code, r.out).toBe(0);
    expect(expectDelivered("curlplain", r.body)).toMatch(/with ESMTP /);
  });

  it("smtp:// with --ssl-reqd (STARTTLS required)", async () => {
    const r = await curl(`smtp://127.0.0.1:${String(fixture.daemon.smtpPort)}/client.test`, "curlstarttls", ["--ssl-reqd", "--insecure"]);
    expect(r.code, r.out).toBe(0);
    expect(expectDelivered("curlstarttls", r.body)).toMatch(/with ESMTPS [\s\S]*using TLSv1\.3/);
  });

  it("smtps:// (implicit TLS)", async () => {
    const r = await curl(`smtps://127.0.0.1:${String(fixture.daemon.smtpsPort)}/client.test`, "curlsmtps", ["--insecure"]);
    expect(r.code, r.out).toBe(0);
    expect(expectDelivered("curlsmtps", r.body)).toMatch(/with ESMTPS /);
  });

  it("the certificate is refused without --insecure: it is self-signed (a throwaway for development)", async () => {
    const r = await curl(`smtps://127.0.0.1:${String(fixture.daemon.smtpsPort)}/client.test`, "curlverify", []);
    expect(r.code).not.toBe(0);
    expect(delivered(fixture.maildir, "localhost", "curlverify")).toHaveLength(0);
  });
});
