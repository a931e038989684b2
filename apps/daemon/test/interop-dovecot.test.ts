/**
 * The maildir read back by Dovecot, a real IMAP server's Maildir reader. `doveadm` needs Dovecot's
 * auth service for its user lookup, so the test runs a private Dovecot master in a temporary
 * directory: no protocols, no network listener, only its unix sockets there. Dovecot refuses to
 * access mail as root, so under root the maildir is read from a copy owned by `nobody`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, watch } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixture, type Fixture } from "./support/fixture.js";
import { runCommand } from "./support/lmaild.js";
import { delivered, splitTrace, stored } from "./support/maildir.js";
import { SmtpDialog } from "./support/smtp-dialog.js";

const NOBODY = 65534;

let fixture: Fixture;
let dir: string;
let dovecot: ChildProcess | undefined;
let config: string;

const messages = [
  "From: a@remote.test\r\nTo: dove@localhost\r\nSubject: first\r\n\r\nOne.\r\n",
  "From: b@remote.test\r\nTo: dove@localhost\r\nSubject: second\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZwei: Grüße ✓\r\n..dots\r\n",
  "From: c@remote.test\r\nTo: dove@localhost\r\nSubject: third\r\n\r\n\r\n",
];

function chownTree(p: string, uid: number): void {
  chownSync(p, uid, uid);
  if (statSync(p).isDirectory()) for (const name of readdirSync(p)) chownTree(path.join(p, name), uid);
}

/** Resolve once `file` exists (fs.watch on its directory), reject after `timeoutMs`. */
function appears(file: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = watch(path.dirname(file), () => {
      if (existsSync(file)) done();
    });
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`${file} did not appear within ${String(timeoutMs)} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      watcher.close();
      resolve();
    };
    if (existsSync(file)) done();
  });
}

beforeAll(async () => {
  fixture = await startFixture({ tls: false });
  for (const message of messages) {
    const d = await SmtpDialog.open(fixture.daemon.smtpPort);
    await d.reply();
    await d.send("EHLO client.test");
    await d.send("MAIL FROM:<sender@remote.test> BODY=8BITMIME");
    await d.send("RCPT TO:<dove@localhost>");
    await d.send("DATA");
    expect((await d.send(`${message.replace(/^\./gm, "..")}.`)).code).toBe(250);
    await d.send("QUIT");
    d.close();
  }

  dir = await mkdtemp(path.join(tmpdir(), "lmaild-dovecot-"));
  const mail = path.join(dir, "mail");
  cpSync(path.join(fixture.maildir, "localhost"), mail, { recursive: true });
  const root = process.getuid?.() === 0;
  const uid = root ? NOBODY : (process.getuid?.() ?? NOBODY);
  const gid = root ? NOBODY : (process.getgid?.() ?? NOBODY);
  if (root) {
    chownTree(mail, NOBODY);
    // mkdtemp made the directory 0700; nobody must be able to pass through it.
    chmodSync(dir, 0o711);
  }
  config = path.join(dir, "dovecot.conf");
  const internal = root ? "" : `default_internal_user = ${userInfo().username}\ndefault_login_user = ${userInfo().username}\n`;
  await writeFile(
    config,
    `base_dir = ${dir}/run\nstate_dir = ${dir}/state\nlog_path = ${dir}/dovecot.log\nprotocols =\nssl = no\n${internal}` +
      `mail_location = maildir:${mail}/%n\nuserdb {\n  driver = static\n  args = uid=${String(uid)} gid=${String(gid)} home=${mail}/%n\n}\n` +
      `passdb {\n  driver = static\n  args = nopassword=y\n}\n`,
  );
  mkdirSync(path.join(dir, "run"));
  // /usr/sbin is not on every user's PATH.
  dovecot = spawn(existsSync("/usr/sbin/dovecot") ? "/usr/sbin/dovecot" : "dovecot", ["-F", "-c", config], { stdio: "ignore" });
  await appears(path.join(dir, "run", "auth-userdb"), 15_000);
});

afterAll(async () => {
  if (dovecot !== undefined && dovecot.exitCode === null) {
    const gone = new Promise((resolve) => dovecot?.once("exit", resolve));
    dovecot.kill("SIGTERM");
    await gone;
  }
  await rm(dir, { recursive: true, force: true });
  expect(await fixture.stop()).toBe(0);
});

describe("Dovecot reads lmaild's maildir", () => {
  it("doveadm fetch lists every message with the bytes lmaild wrote (text, size, subject)", async () => {
    const r = await runCommand("doveadm", ["-c", config, "-f", "json", "fetch", "-u", "dove", "hdr.subject size.physical text", "all"]);
    expect(r.code, r.stderr + (existsSync(path.join(dir, "dovecot.log")) ? readFileSync(path.join(dir, "dovecot.log"), "utf8") : "")).toBe(0);
    expect(r.stderr).toBe("");
    const fetched = JSON.parse(r.stdout) as { "hdr.subject": string; "size.physical": string; text: string }[];
    const files = delivered(fixture.maildir, "localhost", "dove");
    expect(files).toHaveLength(messages.length);
    expect(fetched.map((m) => m["hdr.subject"]).sort()).toEqual(["first", "second", "third"]);
    for (const file of files) {
      const match = fetched.find((m) => Buffer.from(m.text, "utf8").equals(file.bytes));
      expect(match, `Dovecot's copy of ${file.file}`).toBeDefined();
      expect(Number(match!["size.physical"])).toBe(file.bytes.length);
      expect(messages.some((sent) => splitTrace(file.bytes).message.equals(stored(sent)))).toBe(true);
    }
  });
});
