import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSelfSigned, type SmtpServer } from "../src/index.js";
import { readAll, startServer } from "./helpers.js";

function run(command: string, args: readonly string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

let server: SmtpServer;
let port: number;
const messages: { from: string | undefined; to: string[]; body: string; tls: boolean }[] = [];

beforeAll(async () => {
  const pair = await generateSelfSigned();
  const started = await startServer({
    tls: { default: pair },
    received: false,
    data: async (m) => {
      messages.push({ from: m.envelope.from?.raw, to: m.envelope.recipients.map((r) => r.address.raw), body: await readAll(m.body), tls: m.session.tls !== undefined });
    },
  });
  server = started.server;
  port = started.port;
});
afterAll(() => server.close({ deadlineMs: 500 }));

const python = (starttls: boolean) => `
import smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", ${"PORT"}, timeout=10)
s.ehlo("py.example")
${starttls ? `ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s.starttls(context=ctx)
s.ehlo("py.example")` : ""}
refused = s.sendmail("from@py.example", ["a@x.org", "b@x.org"], "Subject: from python\\r\\n\\r\\nHello\\r\\n.leading dot\\r\\n")
s.quit()
print("ok", refused)
`;

describe("interop with real clients", () => {
  it("Python smtplib, plain", async () => {
    messages.length = 0;
    const r = await run("python3", ["-c", python(false).replace("PORT", String(port))]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ok {}");
    expect(messages).toEqual([{ from: "from@py.example", to: ["a@x.org", "b@x.org"], body: "Subject: from python\r\n\r\nHello\r\n.leading dot\r\n", tls: false }]);
  });

  it("Python smtplib with STARTTLS", async () => {
    messages.length = 0;
    const r = await run("python3", ["-c", python(true).replace("PORT", String(port))]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ok {}");
    expect(messages.map((m) => m.tls)).toEqual([true]);
  });

  it("openssl s_client -starttls smtp completes a handshake and a transaction", async () => {
    messages.length = 0;
    // Pipelined (RFC 2920): the body waits in the session until DATA's 354, then it is the message.
    const input = "EHLO openssl.example\r\nMAIL FROM:<o@x.org>\r\nRCPT TO:<p@x.org>\r\nDATA\r\nSubject: s\r\n\r\nvia openssl\r\n.\r\nQUIT\r\n";
    const r = await run("openssl", ["s_client", "-starttls", "smtp", "-connect", `127.0.0.1:${port}`, "-quiet", "-ign_eof"], input);
    expect(r.stdout).toMatch(/250 2\.6\.0/);
    expect(r.stdout).toMatch(/221 /);
    expect(messages).toEqual([{ from: "o@x.org", to: ["p@x.org"], body: "Subject: s\r\n\r\nvia openssl\r\n", tls: true }]);
  });

  it("swaks with STARTTLS", async () => {
    messages.length = 0;
    const r = await run("swaks", ["--server", `127.0.0.1:${port}`, "--from", "s@swaks.example", "--to", "t@x.org", "--tls", "--helo", "swaks.example", "--body", "hello from swaks"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ -> STARTTLS\n<- +220 /);
    expect(r.stdout).toMatch(/<~ +250 2\.6\.0 /); // "<~": read under TLS
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ from: "s@swaks.example", to: ["t@x.org"], tls: true });
    expect(messages[0]!.body).toContain("hello from swaks");
  });
});
