import { writeFile } from "node:fs/promises";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseCommandLine } from "../src/cli.js";
import { DaemonExit } from "../src/exit-codes.js";
import { hashPasswordCommand } from "../src/hash-password-command.js";
import { main } from "../src/main.js";
import { parseHash, verifyPassword } from "../src/password-hash.js";
import { tempDir } from "./support/temp-dir.js";

function io(input = "") {
  const stdin = new PassThrough();
  stdin.end(input);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  return { io: { stdin, stdout, stderr, cwd: "/tmp" }, out: () => out, err: () => err };
}

describe("command line (node:util parseArgs)", () => {
  it("maps every flag to its config key; repeatable flags collect", () => {
    const c = parseCommandLine([
      "--config", "/etc/lmaild.json", "--listen", "127.0.0.1:25", "--listen", "[::1]:25", "--listen-tls", "127.0.0.1:465",
      "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-self-signed", "--maildir", "/m", "--domain", "a.example", "--domain", "b.example",
      "--mailbox", "x@a.example", "--hostname", "mx", "--max-message-bytes", "1000", "--max-recipients", "5", "--max-connections", "50", "--max-connections-per-address", "7", "--users", "u",
      "--log-format", "pretty", "--log-level", "debug", "--metrics", "127.0.0.1:9100",
    ]);
    expect(c).toEqual({
      kind: "run",
      configFile: "/etc/lmaild.json",
      flags: {
        listen: ["127.0.0.1:25", "[::1]:25"], listenTls: ["127.0.0.1:465"], tlsCert: "c.pem", tlsKey: "k.pem", tlsSelfSigned: true,
        maildir: "/m", domain: ["a.example", "b.example"], mailbox: ["x@a.example"], hostname: "mx", maxMessageBytes: 1000,
        maxRecipients: 5, maxConnections: 50, maxConnectionsPerAddress: 7, users: "u", logFormat: "pretty", logLevel: "debug", metrics: "127.0.0.1:9100",
      },
    });
  });

  it("--help, -h, --version, -V and hash-password", () => {
    expect(parseCommandLine(["--help"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["-h", "--listen", "x"])).toEqual({ kind: "help" });
    expect(parseCommandLine(["-V"])).toEqual({ kind: "version" });
    expect(parseCommandLine(["hash-password"])).toEqual({ kind: "hash-password" });
  });

  it.each([
    [["--lissten", "x"]],
    [["--listen"]],
    [["--max-recipients", "ten"]],
    [["--max-message-bytes", "-5"]],
    [["serve"]],
    [["hash-password", "extra"]],
  ])("%j is a usage error (exit code 64)", (argv) => {
    expect(() => parseCommandLine(argv)).toThrow(DaemonExit);
    try {
      parseCommandLine(argv);
    } catch (error) {
      expect((error as DaemonExit).exitCode).toBe(64);
    }
  });
});

describe("main: exit codes and output", () => {
  it("--help prints every flag and exits 0", async () => {
    const t = io();
    expect(await main(["--help"], t.io)).toBe(0);
    for (const flag of ["--config", "--listen", "--listen-tls", "--tls-cert", "--tls-key", "--maildir", "--domain", "--mailbox", "--hostname", "--max-message-bytes", "--max-recipients", "--users", "--log-format", "--metrics", "hash-password"]) {
      expect(t.out()).toContain(flag);
    }
  });

  it("--version prints lmaild and a version", async () => {
    const t = io();
    expect(await main(["--version"], t.io)).toBe(0);
    expect(t.out()).toMatch(/^lmaild \d+\.\d+\.\d+\n$/);
  });

  it("hash-password reads the first line of stdin and prints a hash that verifies it", async () => {
    const t = io("hunter2 with spaces\nignored second line\n");
    expect(await main(["hash-password"], t.io)).toBe(0);
    const line = t.out().trim();
    const parsed = parseHash(line);
    if ("error" in parsed) throw new Error(parsed.error);
    expect(await verifyPassword("hunter2 with spaces", parsed)).toBe(true);
  });

  it("hash-password with an empty stdin is a usage error", async () => {
    const t = io("");
    expect(await main(["hash-password"], t.io)).toBe(64);
    expect(t.err()).toMatch(/no password on stdin/);
  });

  it("a bad flag exits 64, a bad config value 78, a missing config file 66, bad JSON 78", async () => {
    const a = io();
    expect(await main(["--nope"], a.io)).toBe(64);
    expect(a.err()).toMatch(/^lmaild: /);
    const b = io();
    expect(await main(["--listen", "nowhere"], b.io)).toBe(78);
    expect(b.err()).toMatch(/--listen \(config key "listen\[0\]"\)/);
    const c = io();
    expect(await main(["--config", "/nonexistent/lmaild.json"], c.io)).toBe(66);
    expect(c.err()).toMatch(/cannot read config file/);
    const dir = await tempDir("lmaild-cli-");
    await writeFile(path.join(dir, "bad.json"), "{ listen: nope }");
    await writeFile(path.join(dir, "typo.json"), JSON.stringify({ lissten: "127.0.0.1:25" }));
    const d = io();
    expect(await main(["--config", path.join(dir, "bad.json")], d.io)).toBe(78);
    expect(d.err()).toMatch(/bad\.json: not valid JSON/);
    const e = io();
    expect(await main(["--config", path.join(dir, "typo.json")], e.io)).toBe(78);
    expect(e.err()).toMatch(/unknown config key "lissten"/);
  });
});

describe("hash-password on a terminal", () => {
  function tty(keys: string[]) {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, rawModes: [] as boolean[], setRawMode(mode: boolean) {
      this.rawModes.push(mode);
      return this;
    } });
    const prompt = new PassThrough();
    let shown = "";
    prompt.on("data", (c: Buffer) => {
      shown += c.toString();
      // answer each prompt with the next line of keys, as a person types them
      if (/: $/.test(shown)) {
        const next = keys.shift();
        if (next !== undefined) stdin.write(next);
      }
    });
    return { stdin, prompt, shown: () => shown };
  }

  it("asks twice without echo (raw mode), handles Backspace, and prints a hash that verifies", async () => {
    const t = tty(["pw\u007fass\r", "pass\r"]);
    const out = new PassThrough();
    let printed = "";
    out.on("data", (c: Buffer) => (printed += c.toString()));
    await hashPasswordCommand(t.stdin, out, t.prompt);
    expect(t.stdin.rawModes).toEqual([true, false, true, false]);
    expect(t.shown()).toBe("Password: \nAgain: \n");
    const parsed = parseHash(printed.trim());
    if ("error" in parsed) throw new Error(parsed.error);
    expect(await verifyPassword("pass", parsed)).toBe(true);
  });

  it("refuses two different entries (exit code 64)", async () => {
    const t = tty(["one\r", "two\r"]);
    await expect(hashPasswordCommand(t.stdin, new PassThrough(), t.prompt)).rejects.toMatchObject({ exitCode: 64, message: "the passwords differ" });
  });

  it("Ctrl-C cancels", async () => {
    const t = tty(["\u0003"]);
    await expect(hashPasswordCommand(t.stdin, new PassThrough(), t.prompt)).rejects.toMatchObject({ exitCode: 64, message: "cancelled" });
  });
});
