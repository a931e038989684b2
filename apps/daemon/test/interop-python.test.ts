/**
 * Interop with Python's smtplib (plain, STARTTLS, an 8-bit UTF-8 body with BODY=8BITMIME, an
 * SMTPUTF8 mailbox), and the maildir read back with Python's `mailbox.Maildir`, a real reader.
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

// Sends the message on stdin; argv: port, mode (plain|starttls), from, to, mail options (comma-separated).
const SEND = `
import smtplib, ssl, sys
port, mode, sender, rcpt, opts = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], [o for o in sys.argv[5].split(",") if o]
msg = sys.stdin.buffer.read()
with smtplib.SMTP("127.0.0.1", port, local_hostname="client.test", timeout=20) as s:
    s.ehlo()
    if mode == "starttls":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo()
    refused = s.sendmail(sender, [rcpt], msg, mail_options=opts)
    print("refused" if refused else "ok")
`;

// Reads a maildir with mailbox.Maildir; prints one JSON object per message.
const READ = `
import json, mailbox, sys
mb = mailbox.Maildir(sys.argv[1], factory=None, create=False)
out = []
for key in sorted(mb.keys()):
    raw = mb.get_bytes(key)
    msg = mb.get_message(key)
    out.append({"key": key, "subdir": msg.get_subdir(), "subject": str(msg["Subject"]), "returnPath": msg["Return-Path"], "deliveredTo": msg["Delivered-To"], "rawHex": raw.hex(), "body": msg.get_payload(decode=True).decode("utf-8")})
print(json.dumps(out))
`;

async function send(mode: "plain" | "starttls", to: string, message: string, options: readonly string[] = []): Promise<void> {
  const r = await runCommand("python3", ["-c", SEND, String(fixture.daemon.smtpPort), mode, "py@remote.test", to, options.join(",")], { input: Buffer.from(message, "utf8") });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim()).toBe("ok");
}

async function readWithPython(mailbox: string): Promise<{ subdir: string; subject: string; returnPath: string; deliveredTo: string; rawHex: string; body: string }[]> {
  const r = await runCommand("python3", ["-c", READ, `${fixture.maildir}/localhost/${mailbox}`]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as never;
}

describe("Python smtplib, read back with mailbox.Maildir", () => {
  it("plain: delivered byte for byte; mailbox.Maildir reads the same bytes and headers", async () => {
    const message = "From: py@remote.test\r\nTo: pyplain@localhost\r\nSubject: python plain\r\n\r\nHello from smtplib.\r\n.starts with a dot\r\n";
    await send("plain", "pyplain@localhost", message);
    const [file] = delivered(fixture.maildir, "localhost", "pyplain");
    expect(splitTrace(file!.bytes).message.equals(stored(message))).toBe(true);
    const read = await readWithPython("pyplain");
    expect(read).toHaveLength(1);
    expect(read[0]).toMatchObject({ subdir: "new", subject: "python plain", returnPath: "<py@remote.test>", deliveredTo: "pyplain@localhost", body: "Hello from smtplib.\n.starts with a dot\n" });
    expect(Buffer.from(read[0]!.rawHex, "hex").equals(file!.bytes)).toBe(true);
  });

  it("STARTTLS", async () => {
    const message = "From: py@remote.test\r\nTo: pytls@localhost\r\nSubject: python starttls\r\n\r\nOver TLS.\r\n";
    await send("starttls", "pytls@localhost", message);
    const [file] = delivered(fixture.maildir, "localhost", "pytls");
    const split = splitTrace(file!.bytes);
    expect(split.received).toMatch(/with ESMTPS /);
    expect(split.message.equals(stored(message))).toBe(true);
  });

  it("an 8-bit UTF-8 body with BODY=8BITMIME (RFC 6152) arrives byte for byte", async () => {
    const message = "From: py@remote.test\r\nTo: py8bit@localhost\r\nSubject: utf-8\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße, naïve café, 日本語, emoji 📬\r\n";
    await send("starttls", "py8bit@localhost", message, ["BODY=8BITMIME"]);
    const [file] = delivered(fixture.maildir, "localhost", "py8bit");
    expect(splitTrace(file!.bytes).message.equals(stored(message))).toBe(true);
    const [read] = await readWithPython("py8bit");
    expect(read!.body).toBe("Grüße, naïve café, 日本語, emoji 📬\n");
  });

  it("an SMTPUTF8 (RFC 6531) recipient gets its own lowercased UTF-8 mailbox", async () => {
    const message = "From: py@remote.test\r\nTo: Jörg@localhost\r\nSubject: smtputf8\r\n\r\nHallo Jörg\r\n";
    await send("plain", "Jörg@localhost", message, ["SMTPUTF8", "BODY=8BITMIME"]);
    const [file] = delivered(fixture.maildir, "localhost", "jörg");
    expect(splitTrace(file!.bytes).message.equals(stored(message))).toBe(true);
  });
});
