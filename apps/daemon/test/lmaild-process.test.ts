/**
 * The real lmaild executable: command line, exit codes, the "ready" line with the bound
 * addresses, signals, metrics, and the recipient policy as a client sees it over SMTP.
 */
import { writeFile } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFixture, type Fixture } from "./support/fixture.js";
import { runLmaild, startLmaild } from "./support/lmaild.js";
import { delivered } from "./support/maildir.js";
import { SmtpDialog } from "./support/smtp-dialog.js";
import { tempDir } from "./support/temp-dir.js";

describe("lmaild executable: command line and exit codes", () => {
  it("--help lists every flag and exits 0; --version prints the version", async () => {
    const help = await runLmaild(["--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--listen", "--listen-tls", "--tls-cert", "--tls-key", "--maildir", "--domain", "--mailbox", "--users", "--metrics", "hash-password"]) expect(help.stdout).toContain(flag);
    const version = await runLmaild(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^lmaild \d+\.\d+\.\d+\n$/) as unknown });
  });

  it("hash-password reads stdin and prints an scrypt hash for a users-file line", async () => {
    const result = await runLmaild(["hash-password"], { input: "s3cret\n" });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+\n$/);
  });

  it("exits 64 on a bad flag and 78 on a bad config, naming the key, before listening", async () => {
    const bad = await runLmaild(["--bogus"]);
    expect(bad.code).toBe(64);
    const dir = await tempDir("lmaild-cfg-");
    const file = path.join(dir, "lmaild.json");
    await writeFile(file, JSON.stringify({ listen: ["127.0.0.1:0"], maxRecipients: 0 }));
    const config = await runLmaild(["--config", file]);
    expect(config.code).toBe(78);
    expect(config.stderr).toContain('config key "maxRecipients": must be greater than 0');
  });

  it("exits 69 when the address is in use", async () => {
    const fixture = await startFixture({ tls: false });
    try {
      const result = await runLmaild(["--listen", `127.0.0.1:${String(fixture.daemon.smtpPort)}`, "--maildir", path.join(fixture.dir, "other")]);
      expect(result.code).toBe(69);
      expect(result.stdout + result.stderr).toMatch(/address already in use/);
    } finally {
      await fixture.stop();
    }
  });

  it("reads a config file: every key works there (listen, maildir, domain, mailbox, metrics)", async () => {
    const dir = await tempDir("lmaild-cfg-");
    await writeFile(path.join(dir, "lmaild.json"), JSON.stringify({ listen: "127.0.0.1:0", maildir: "mail", domain: ["example.test"], mailbox: ["info@example.test"], metrics: "127.0.0.1:0", logLevel: "debug" }));
    const daemon = await startLmaild(["--config", path.join(dir, "lmaild.json")], { cwd: "/" });
    try {
      const ready = await daemon.waitFor((r) => r.msg === "ready");
      expect(ready.config).toMatchObject({ maildir: path.join(dir, "mail"), domains: ["example.test"], mailboxes: { "example.test": ["info"] } });
      expect(daemon.metrics).not.toBeNull();
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
  });
});

describe("lmaild running: ready line, policy over SMTP, metrics, signals", () => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await startFixture({ tls: false, extraArgs: ["--metrics", "127.0.0.1:0", "--mailbox", "info@example.test", "--max-recipients", "3"] });
  });
  afterAll(async () => {
    await fixture.stop();
  });

  it("reports the bound address of --listen 127.0.0.1:0 in a 'listening' and a 'ready' JSON line", async () => {
    const listening = await fixture.daemon.waitFor((r) => r.msg === "listening");
    expect(listening).toMatchObject({ kind: "smtp", address: "127.0.0.1" });
    expect(listening.port).toBe(fixture.daemon.smtpPort);
    expect(fixture.daemon.smtpPort).toBeGreaterThan(0);
    const dialog = await SmtpDialog.open(fixture.daemon.smtpPort);
    expect((await dialog.reply()).text).toMatch(/^220 mx\.test /);
    dialog.close();
  });

  it("refuses other domains with 550 5.7.1 at RCPT: no relay, even for an address literal", async () => {
    const d = await SmtpDialog.open(fixture.daemon.smtpPort);
    await d.reply();
    await d.send("EHLO client.test");
    expect((await d.send("MAIL FROM:<a@remote.test>")).code).toBe(250);
    expect((await d.send("RCPT TO:<victim@gmail.com>")).text).toMatch(/^550 5\.7\.1 /);
    expect((await d.send("RCPT TO:<root@[127.0.0.1]>")).text).toMatch(/^550 5\.7\.1 /);
    expect((await d.send("RCPT TO:<postmaster@remote.test>")).text).toMatch(/^550 5\.7\.1 /);
    await d.send("QUIT");
    d.close();
  });

  it("accepts only declared mailboxes in a domain that has them (550 5.1.1 otherwise), any safe name elsewhere", async () => {
    const d = await SmtpDialog.open(fixture.daemon.smtpPort);
    await d.reply();
    await d.send("EHLO client.test");
    await d.send("MAIL FROM:<>");
    expect((await d.send("RCPT TO:<Info+news@example.test>")).code).toBe(250);
    expect((await d.send("RCPT TO:<nobody@example.test>")).text).toMatch(/^550 5\.1\.1 /);
    expect((await d.send("RCPT TO:<anyone@localhost>")).code).toBe(250);
    await d.send("QUIT");
    d.close();
  });

  it("refuses local parts that could escape the maildir or hide a file, at RCPT", async () => {
    const d = await SmtpDialog.open(fixture.daemon.smtpPort);
    await d.reply();
    await d.send("EHLO client.test");
    await d.send("MAIL FROM:<a@remote.test>");
    for (const local of ['"../../etc"', '"a/b"', '".hidden"', '"a\\\\b"', ".dot"]) {
      const reply = await d.send(`RCPT TO:<${local}@localhost>`);
      expect(reply.code, local).toBeGreaterThanOrEqual(500);
    }
    await d.send("QUIT");
    d.close();
    expect(delivered(fixture.maildir, "localhost", "..")).toEqual([]);
  });

  it("applies --max-recipients (452 4.5.3 beyond)", async () => {
    const d = await SmtpDialog.open(fixture.daemon.smtpPort);
    await d.reply();
    await d.send("EHLO client.test");
    await d.send("MAIL FROM:<a@remote.test>");
    for (const n of [1, 2, 3]) expect((await d.send(`RCPT TO:<u${String(n)}@localhost>`)).code).toBe(250);
    expect((await d.send("RCPT TO:<u4@localhost>")).text).toMatch(/^452 4\.5\.3 /);
    await d.send("QUIT");
    d.close();
  });

  it("delivers to <maildir>/<domain>/<local part, lowercased, +tag stripped>/new/ and logs one transaction line", async () => {
    const d = await SmtpDialog.open(fixture.daemon.smtpPort);
    await d.reply();
    await d.send("EHLO client.test");
    await d.send("MAIL FROM:<sender@remote.test>");
    await d.send("RCPT TO:<Bob+Lists@localhost>");
    expect((await d.send("DATA")).code).toBe(354);
    expect((await d.send("Subject: policy\r\n\r\nhello\r\n.")).code).toBe(250);
    await d.send("QUIT");
    d.close();
    const files = delivered(fixture.maildir, "localhost", "bob");
    expect(files).toHaveLength(1);
    const line = await fixture.daemon.waitFor((r) => r.msg === "transaction" && Array.isArray(r.recipients) && (r.recipients as string[]).includes("Bob+Lists@localhost"));
    expect(line).toMatchObject({ sender: "sender@remote.test", result: "delivered", size: expect.any(Number) as unknown, durationMs: expect.any(Number) as unknown, client: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown, id: expect.any(String) as unknown });
  });

  it("serves Prometheus metrics on --metrics that count what happened", async () => {
    const m = fixture.daemon.metrics!;
    const text = await (await fetch(`http://${m.address}:${String(m.port)}/metrics`)).text();
    expect(text).toMatch(/lmaild_recipients_total\{result="relay-denied"\} [1-9]/);
    expect(text).toMatch(/lmaild_transactions_total\{result="delivered"\} [1-9]/);
    expect(text).toMatch(/lmaild_connections_total\{result="accepted"\} [1-9]/);
  });

  it("SIGHUP reloads (here: nothing to reload) without stopping; the daemon keeps serving", async () => {
    fixture.daemon.child.kill("SIGHUP");
    const reloaded = await fixture.daemon.waitFor((r) => r.msg === "reloaded");
    expect(reloaded).toMatchObject({ tls: "off", users: "off" });
    const d = await SmtpDialog.open(fixture.daemon.smtpPort);
    expect((await d.reply()).code).toBe(220);
    d.close();
  });
});

describe("lmaild graceful shutdown", () => {
  it("SIGTERM: an idle session gets 421, the daemon logs 'stopped' and exits 0", async () => {
    const fixture = await startFixture({ tls: false });
    const d = await SmtpDialog.open(fixture.daemon.smtpPort);
    await d.reply();
    await d.send("EHLO client.test");
    const code = fixture.daemon.stop("SIGTERM");
    expect((await d.reply()).code).toBe(421);
    expect(await code).toBe(0);
    expect(fixture.daemon.records.some((r) => r.msg === "stopped")).toBe(true);
    d.close();
    await fixture.stop();
  });

  it("SIGINT: a transaction in flight finishes and is delivered before the exit (code 0)", async () => {
    const fixture = await startFixture({ tls: false });
    const d = await SmtpDialog.open(fixture.daemon.smtpPort);
    await d.reply();
    await d.send("EHLO client.test");
    await d.send("MAIL FROM:<a@remote.test>");
    await d.send("RCPT TO:<late@localhost>");
    expect((await d.send("DATA")).code).toBe(354);
    d.write("Subject: in flight\r\n\r\nfirst half\r\n");
    fixture.daemon.child.kill("SIGINT");
    await fixture.daemon.waitFor((r) => r.msg === "shutting down");
    expect((await d.send("second half\r\n.")).code).toBe(250);
    expect((await fixture.daemon.exited).code).toBe(0);
    expect(delivered(fixture.maildir, "localhost", "late")).toHaveLength(1);
    d.close();
    await fixture.stop();
  });

  it("refuses new connections once stopped", async () => {
    const fixture = await startFixture({ tls: false });
    const port = fixture.daemon.smtpPort;
    await fixture.stop();
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host: "127.0.0.1" });
      s.once("error", () => resolve(true));
      s.once("connect", () => {
        s.destroy();
        resolve(false);
      });
    });
    expect(refused).toBe(true);
  });
});
