import { execFile, spawnSync } from "node:child_process";
import { chown, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { deliver, type DeliverOptions } from "../src/index.js";
import { encoder, tempDir } from "./helpers.js";

const run = promisify(execFile);

/** Messages that stress a reader: 8-bit bytes, NUL, a lone CR, no final newline, a long line, a big body. */
function samples(): { id: string; body: Uint8Array; options: DeliverOptions }[] {
  const crlf = (s: string): Uint8Array => encoder.encode(s.replace(/\n/g, "\r\n"));
  const big = `X-Id: big\nSubject: big\n\n${"0123456789abcdef".repeat(64 * 1024).replace(/(.{76})/g, "$1\n")}\n`;
  return [
    { id: "plain", body: crlf("X-Id: plain\nFrom: a@example.org\nSubject: hello\n\nHello.\n"), options: { returnPath: "a@example.org", deliveredTo: "u@example.net" } },
    { id: "null-sender", body: crlf("X-Id: null-sender\nSubject: bounce\n\nbounce\n"), options: { returnPath: null } },
    {
      id: "eight-bit",
      body: Uint8Array.from([...crlf("X-Id: eight-bit\nSubject: =?utf-8?q?caf=C3=A9?=\n\n"), 0xc3, 0xa9, 0xff, 0x00, 0x0d, 0x41, 0x0d, 0x0a]),
      options: {},
    },
    { id: "no-final-newline", body: crlf("X-Id: no-final-newline\n\nlast line without end"), options: {} },
    { id: "long-line", body: crlf(`X-Id: long-line\n\n${"x".repeat(20_000)}\n`), options: {} },
    { id: "big", body: crlf(big), options: { deliveredTo: "big@example.net" } },
    { id: "kept-crlf", body: crlf("X-Id: kept-crlf\nSubject: crlf\n\nbody\n"), options: { lineEnding: "crlf", returnPath: "c@example.org" } },
    { id: "in-folder", body: crlf("X-Id: in-folder\nSubject: folder\n\nfolder\n"), options: { folder: "Lists.lmail" } },
  ];
}

/** What the file must hold, computed without the package: the trace fields, then the body (CRLF → LF unless kept). */
function expected(body: Uint8Array, options: DeliverOptions): Buffer {
  const eol = options.lineEnding === "crlf" ? "\r\n" : "\n";
  let head = "";
  if (options.returnPath !== undefined) head += `Return-Path: <${options.returnPath ?? ""}>${eol}`;
  if (options.deliveredTo !== undefined) head += `Delivered-To: ${options.deliveredTo}${eol}`;
  const raw = Buffer.from(body);
  const converted = options.lineEnding === "crlf" ? raw : Buffer.from(raw.toString("latin1").replace(/\r\n/g, "\n"), "latin1");
  return Buffer.concat([Buffer.from(head), converted]);
}

async function deliverSamples(dir: string): Promise<Map<string, { want: Buffer; folder: string | undefined; name: string }>> {
  const out = new Map<string, { want: Buffer; folder: string | undefined; name: string }>();
  for (const s of samples()) {
    const { files } = await deliver(dir, s.body, s.options);
    const want = expected(s.body, s.options);
    expect((await readFile(files[0]!.path)).equals(want), s.id).toBe(true);
    out.set(s.id, { want, folder: s.options.folder, name: files[0]!.name });
  }
  return out;
}

const pythonReader = `
import base64, json, mailbox, sys
md = mailbox.Maildir(sys.argv[1], factory=None, create=False)
out = []
def read(box, folder):
    for key in box.keys():
        out.append({"folder": folder, "key": key, "data": base64.b64encode(box.get_bytes(key)).decode()})
read(md, None)
for name in md.list_folders():
    read(md.get_folder(name), name)
print(json.dumps(out))
`;

describe("compatibility with real Maildir readers: bytes read back identical", () => {
  it("Python's mailbox.Maildir reads every message, inbox and Maildir++ folder", async () => {
    const dir = await tempDir();
    const sent = await deliverSamples(dir);
    const { stdout } = await run("python3", ["-c", pythonReader, dir], { maxBuffer: 64 * 1024 * 1024, timeout: 20_000 });
    const read = JSON.parse(stdout) as { folder: string | null; key: string; data: string }[];
    expect(read).toHaveLength(sent.size);
    for (const [id, s] of sent) {
      const got = read.find((r) => r.key === s.name);
      expect(got, id).toBeDefined();
      expect(got!.folder, id).toBe(s.folder ?? null);
      expect(Buffer.from(got!.data, "base64").equals(s.want), id).toBe(true);
    }
  });

  it("Dovecot (doveadm fetch, no service needed) reads every message byte for byte", async () => {
    // Runtime check, reported clearly: doveadm must be installed, and we must be root to hand the
    // maildir to an unprivileged mail user (Dovecot refuses to access mail as root).
    const probe = spawnSync("doveadm", ["help"], { encoding: "utf8" });
    const reason =
      probe.error !== undefined ? `doveadm not runnable (${probe.error.message})` : process.getuid?.() !== 0 ? "not running as root" : undefined;
    if (reason !== undefined) {
      console.warn(`Dovecot compatibility NOT checked: ${reason}`);
      return;
    }
    const home = await tempDir();
    const dir = path.join(home, "Maildir");
    const sent = await deliverSamples(dir);
    const nobody = 65534;
    const chownAll = async (p: string): Promise<void> => {
      await chown(p, nobody, nobody);
      for (const e of await readdir(p, { withFileTypes: true })) {
        if (e.isDirectory()) await chownAll(path.join(p, e.name));
        else await chown(path.join(p, e.name), nobody, nobody);
      }
    };
    await chown(home, nobody, nobody);
    await chownAll(dir);
    const conf = path.join(home, "dovecot.conf");
    await writeFile(conf, [`mail_location = maildir:${dir}`, `mail_uid = ${String(nobody)}`, `mail_gid = ${String(nobody)}`, "ssl = no", "log_path = /dev/stderr", ""].join("\n"));
    for (const [id, s] of sent) {
      const mailbox = s.folder ?? "INBOX";
      const { stdout } = await run("doveadm", ["-c", conf, "fetch", "text", "mailbox", mailbox, "header", "X-Id", id], {
        encoding: "buffer",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", USER: "nobody", HOME: home },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 20_000,
      });
      const prefix = Buffer.from("text:\n");
      expect(stdout.subarray(0, prefix.length).equals(prefix), id).toBe(true);
      expect(stdout.subarray(prefix.length).equals(s.want), id).toBe(true);
    }
  });
});
