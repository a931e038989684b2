import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSelfSigned, TlsContextStore, type IncomingMessage, type SmtpServer } from "../src/index.js";
import { Client, readAll, sendMail, startServer } from "./helpers.js";

let main: { cert: string; key: string };
let other: { cert: string; key: string };
beforeAll(async () => {
  [main, other] = await Promise.all([generateSelfSigned({ hostnames: ["mx.test"] }), generateSelfSigned({ hostnames: ["other.test"] })]);
});

const servers: SmtpServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close({ deadlineMs: 500 })));
});

async function serve(options: Parameters<typeof startServer>[0]) {
  const started = await startServer(options);
  servers.push(started.server);
  return started;
}

const subjectOf = (s: TLSSocket) => new X509Certificate(s.getPeerX509Certificate()!.raw).subject;

describe("STARTTLS (RFC 3207)", () => {
  it("upgrades, forgets the EHLO, and hands TLS details to the data hook", async () => {
    let message: IncomingMessage | undefined;
    let body = "";
    const { port } = await serve({ tls: { default: main }, data: async (m) => {
      message = m;
      body = await readAll(m.body);
    } });
    const c = await Client.connect(port);
    await c.reply();
    expect(await c.command("EHLO x")).toContain("STARTTLS");
    expect(await c.command("STARTTLS")).toMatch(/^220/);
    const secure = await c.startTls({ servername: "mx.test" });
    expect(secure.getProtocol()).toMatch(/^TLSv1\.[23]$/);
    expect(await c.command("MAIL FROM:<a@x.org>")).toMatch(/^503/);
    const ehlo = await c.command("EHLO x");
    expect(ehlo).not.toContain("STARTTLS");
    expect(await sendMail(c, "a@x.org", ["b@x.org"], "Subject: s\r\n\r\nhi")).toMatch(/^250/);
    expect(message!.session.tls).toMatchObject({ implicit: false, servername: "mx.test" });
    expect(body).toContain("with ESMTPS id");
    c.close();
  });

  it("discards plaintext pipelined behind STARTTLS, never replaying it (CVE-2011-0411)", async () => {
    const mails: string[] = [];
    const { port } = await serve({ tls: { default: main }, mail: (from) => void mails.push(from?.raw ?? "") });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    c.send("STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n");
    expect(await c.reply()).toMatch(/^220/);
    await c.startTls();
    await c.command("EHLO x");
    expect(await c.command("MAIL FROM:<real@x.org>")).toMatch(/^250/);
    expect(mails).toEqual(["real@x.org"]);
    c.close();
  });

  it("a failed handshake closes the connection without an unhandled error", async () => {
    const { port } = await serve({ tls: { default: main } });
    const c = await Client.connect(port);
    await c.reply();
    await c.command("EHLO x");
    expect(await c.command("STARTTLS")).toMatch(/^220/);
    c.send("this is not a TLS ClientHello\r\n");
    await c.closed;
  });
});

describe("implicit TLS (RFC 8314 §3)", () => {
  it("greets over TLS from the first byte and reports implicit TLS", async () => {
    let implicit: boolean | undefined;
    const { port } = await serve({ tls: { default: main }, implicitTls: true, helo: (_n, ctx) => void (implicit = ctx.session.tls?.implicit) });
    const c = await Client.connectTls(port, { servername: "mx.test" });
    expect(await c.reply()).toMatch(/^220 mx\.test/);
    const ehlo = await c.command("EHLO x");
    expect(ehlo).not.toContain("STARTTLS");
    expect(implicit).toBe(true);
    c.close();
  });
});

describe("SNI and certificate reload", () => {
  it("serves the certificate named by SNI (RFC 6066 §3), and the default otherwise", async () => {
    const { port } = await serve({ tls: { default: main, sni: { "other.test": other } }, implicitTls: true });
    const a = await Client.connectTls(port, { servername: "other.test" });
    expect(subjectOf(a.socket as TLSSocket)).toContain("CN=other.test");
    a.close();
    const b = await Client.connectTls(port, { servername: "unknown.test" });
    expect(subjectOf(b.socket as TLSSocket)).toContain("CN=mx.test");
    b.close();
  });

  it("reload swaps the certificate for new connections without dropping live sessions", async () => {
    const store = new TlsContextStore({ default: main });
    const { port } = await serve({ tls: store, implicitTls: true });
    const live = await Client.connectTls(port);
    await live.reply();
    expect(subjectOf(live.socket as TLSSocket)).toContain("CN=mx.test");
    const result = await store.reload({ default: other });
    expect(result.ok).toBe(true);
    const fresh = await Client.connectTls(port);
    expect(subjectOf(fresh.socket as TLSSocket)).toContain("CN=other.test");
    expect(await live.command("NOOP")).toMatch(/^250/);
    live.close();
    fresh.close();
  });
});
