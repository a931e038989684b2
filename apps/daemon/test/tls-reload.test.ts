/**
 * TLS from certificate files (made at test time with the openssl CLI): STARTTLS and implicit TLS
 * present them, SIGHUP reloads them without dropping a live session, a bad new pair keeps the old
 * one, and unusable files stop the daemon at start with exit code 66 or 78.
 */
import { appendFile, copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword } from "../src/password-hash.js";
import { runCommand, runLmaild, startLmaild, type Lmaild } from "./support/lmaild.js";
import { delivered } from "./support/maildir.js";

let dir: string;
let daemon: Lmaild;

async function makeCert(name: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  const r = await runCommand("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", key, "-out", cert]);
  expect(r.code, r.stderr).toBe(0);
  return { cert, key };
}

/** Connect with implicit TLS and read the greeting; resolves with the socket and the certificate's CN. */
async function smtps(port: number): Promise<{ socket: TLSSocket; cn: string; lines: () => Promise<string> }> {
  const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false, servername: "localhost" });
  await new Promise<void>((resolve, reject) => {
    socket.once("secureConnect", resolve);
    socket.once("error", reject);
  });
  let buffer = "";
  let wake: (() => void) | undefined;
  socket.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    wake?.();
  });
  /** The next complete reply. */
  const lines = async (): Promise<string> => {
    for (;;) {
      const m = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(buffer);
      if (m !== null) {
        buffer = buffer.slice(m[0].length);
        return m[0];
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no reply; have ${JSON.stringify(buffer)}`)), 10_000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  const cn = socket.getPeerCertificate().subject.CN ?? "";
  return { socket, cn: Array.isArray(cn) ? cn.join(",") : cn, lines };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "lmaild-tls-"));
  const a = await makeCert("a.test");
  await copyFile(a.cert, path.join(dir, "live.crt"));
  await copyFile(a.key, path.join(dir, "live.key"));
  await writeFile(path.join(dir, "users"), `alice:${await hashPassword("alice's password")}\n`);
  daemon = await startLmaild(["--listen", "127.0.0.1:0", "--listen-tls", "127.0.0.1:0", "--tls-cert", "live.crt", "--tls-key", "live.key", "--maildir", "mail", "--users", "users"], { cwd: dir });
});

afterAll(async () => {
  expect(await daemon.stop()).toBe(0);
  await rm(dir, { recursive: true, force: true });
});

async function canLogIn(user: string, pass: string): Promise<boolean> {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port: daemon.smtpsPort!, secure: true, auth: { user, pass }, tls: { rejectUnauthorized: false } });
  try {
    return await transport.verify();
  } catch {
    return false;
  } finally {
    transport.close();
  }
}

describe("TLS certificate files and SIGHUP reload", () => {
  it("SIGHUP swaps the certificate for new connections while a live session keeps going, and reloads the users file", async () => {
    const before = await smtps(daemon.smtpsPort!);
    expect(before.cn).toBe("a.test");
    expect(await before.lines()).toMatch(/^220 /);
    before.socket.write("EHLO client.test\r\n");
    expect(await before.lines()).toMatch(/^250-/);

    expect(await canLogIn("bob", "bob's password")).toBe(false);
    const b = await makeCert("b.test");
    await copyFile(b.cert, path.join(dir, "live.crt"));
    await copyFile(b.key, path.join(dir, "live.key"));
    await appendFile(path.join(dir, "users"), `bob:${await hashPassword("bob's password")}\n`);
    daemon.child.kill("SIGHUP");
    expect(await daemon.waitFor((r) => r.msg === "reloaded")).toMatchObject({ tls: "reloaded", users: "reloaded", errors: [] });
    expect(await canLogIn("bob", "bob's password")).toBe(true);
    expect(await canLogIn("alice", "alice's password")).toBe(true);

    const after = await smtps(daemon.smtpsPort!);
    expect(after.cn).toBe("b.test");
    after.socket.destroy();

    // The session opened before the reload still delivers.
    before.socket.write("MAIL FROM:<a@remote.test>\r\nRCPT TO:<reload@localhost>\r\nDATA\r\n");
    expect(await before.lines()).toMatch(/^250 /);
    expect(await before.lines()).toMatch(/^250 /);
    expect(await before.lines()).toMatch(/^354 /);
    before.socket.write("Subject: across a reload\r\n\r\nstill here\r\n.\r\nQUIT\r\n");
    expect(await before.lines()).toMatch(/^250 /);
    before.socket.destroy();
    expect(delivered(path.join(dir, "mail"), "localhost", "reload")).toHaveLength(1);
  });

  it("a bad new certificate is reported and the previous one stays in use", async () => {
    await writeFile(path.join(dir, "live.crt"), "not a certificate\n");
    daemon.child.kill("SIGHUP");
    const failed = await daemon.waitFor((r) => r.msg?.startsWith("reload failed") === true);
    expect(failed).toMatchObject({ tls: "failed" });
    const still = await smtps(daemon.smtpsPort!);
    expect(still.cn).toBe("b.test");
    still.socket.destroy();
  });

  it("a missing certificate file stops lmaild at start with exit code 66; a bad one with 78", async () => {
    const missing = await runLmaild(["--listen", "127.0.0.1:0", "--tls-cert", path.join(dir, "nope.crt"), "--tls-key", path.join(dir, "nope.key")], { cwd: dir });
    expect(missing.code, missing.stderr).toBe(66);
    expect(missing.stderr).toMatch(/tlsCert/);
    const bad = await runLmaild(["--listen", "127.0.0.1:0", "--tls-cert", path.join(dir, "live.crt"), "--tls-key", path.join(dir, "live.key")], { cwd: dir });
    expect(bad.code, bad.stderr).toBe(78);
  });
});
