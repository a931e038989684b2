/**
 * Load interop with Postfix's smtp-source: many parallel sessions, every message to its own
 * recipient (-N numbers them), then every message must be in its mailbox exactly once, byte for
 * byte. Bounded: 400 messages over 25 parallel sessions.
 */
import { readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixture, type Fixture } from "./support/fixture.js";
import { runCommand } from "./support/lmaild.js";
import { delivered, splitTrace, stored } from "./support/maildir.js";

const SMTP_SOURCE = "/usr/sbin/smtp-source";
const MESSAGES = 400;
const SESSIONS = 25;

let fixture: Fixture;
beforeAll(async () => {
  fixture = await startFixture({ tls: false, extraArgs: ["--max-connections-per-address", String(SESSIONS * 2)] });
});
afterAll(async () => {
  expect(await fixture.stop()).toBe(0);
});

describe("Postfix smtp-source", () => {
  it(`${String(MESSAGES)} messages over ${String(SESSIONS)} parallel sessions: each delivered exactly once, byte for byte`, async () => {
    const file = path.join(fixture.dir, "message.txt");
    const content = "From: load@remote.test\nSubject: smtp-source load\n\nline one\n.line with a leading dot\nlast line\n";
    await writeFile(file, content);
    const started = performance.now();
    const r = await runCommand(SMTP_SOURCE, ["-s", String(SESSIONS), "-m", String(MESSAGES), "-N", "-f", "load@remote.test", "-t", "rcpt@localhost", "-M", "client.test", "-F", file, `127.0.0.1:${String(fixture.daemon.smtpPort)}`], { timeoutMs: 120_000 });
    const seconds = (performance.now() - started) / 1000;
    expect(r.code, r.stderr).toBe(0);
    // smtp-source sends each line of the file with CRLF, then one empty line.
    const expected = stored(`${content}\n`);
    const mailboxes = readdirSync(path.join(fixture.maildir, "localhost")).filter((m) => /^\d+rcpt$/.test(m));
    expect(mailboxes).toHaveLength(MESSAGES);
    for (let n = 1; n <= MESSAGES; n++) {
      const files = delivered(fixture.maildir, "localhost", `${String(n)}rcpt`);
      expect(files, `mailbox ${String(n)}rcpt`).toHaveLength(1);
      const split = splitTrace(files[0]!.bytes);
      expect(split.deliveredTo).toBe(`Delivered-To: ${String(n)}rcpt@localhost`);
      expect(split.message.equals(expected)).toBe(true);
    }
    // One transaction log line per message, each "delivered".
    await fixture.daemon.waitFor(() => fixture.daemon.records.filter((rec) => rec.msg === "transaction").length >= MESSAGES);
    const lines = fixture.daemon.records.filter((rec) => rec.msg === "transaction");
    expect(lines.filter((rec) => rec.result === "delivered")).toHaveLength(MESSAGES);
    console.log(`smtp-source: ${String(MESSAGES)} messages, ${String(SESSIONS)} sessions, ${seconds.toFixed(2)} s (${(MESSAGES / seconds).toFixed(0)} msg/s, fsync on)`);
    // Every message makes a new maildir (a dozen fsyncs): on a disk with slow fsync this takes far
    // longer than the 30 s default; the bound is smtp-source's own 120 s.
  }, 150_000);
});
