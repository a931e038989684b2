import { afterEach, describe, expect, it } from "vitest";
import { generateSelfSigned, PROXY_V2_SIGNATURE, type SessionInfo, type SmtpServer } from "../src/index.js";
import { Client, startServer } from "./helpers.js";

let server: SmtpServer | undefined;
afterEach(async () => {
  await server?.close({ deadlineMs: 500 });
  server = undefined;
});

function v2Header(src: number[], dst: number[], sport: number, dport: number, tlvs: number[] = []): Buffer {
  const body = [...src, ...dst, sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, ...tlvs];
  return Buffer.from([...PROXY_V2_SIGNATURE, 0x21, 0x11, body.length >> 8, body.length & 0xff, ...body]);
}

async function serve(options: Parameters<typeof startServer>[0]) {
  const sessions: SessionInfo[] = [];
  const started = await startServer({ connect: (ctx) => void sessions.push(ctx.session), ...options });
  server = started.server;
  return { port: started.port, sessions };
}

describe("PROXY protocol from trusted addresses", () => {
  it("v1: the session sees the client address from the header", async () => {
    const { port, sessions } = await serve({ proxyProtocol: { trusted: ["127.0.0.0/8"] } });
    const c = await Client.connect(port);
    c.send("PROXY TCP4 203.0.113.9 198.51.100.1 40001 25\r\nEHLO x\r\n");
    expect(await c.reply()).toMatch(/^220/);
    expect(await c.reply()).toMatch(/^250/);
    expect(sessions[0]).toMatchObject({ remoteAddress: "203.0.113.9", remotePort: 40001, localAddress: "198.51.100.1", localPort: 25 });
    c.close();
  });

  it("v2 with TLVs: the session sees the client address", async () => {
    const { port, sessions } = await serve({ proxyProtocol: { trusted: ["127.0.0.1"] } });
    const c = await Client.connect(port);
    c.write(v2Header([192, 0, 2, 33], [198, 51, 100, 1], 1234, 587, [0x02, 0, 4, 0x61, 0x2e, 0x62, 0x63]));
    expect(await c.reply()).toMatch(/^220/);
    expect(sessions[0]).toMatchObject({ remoteAddress: "192.0.2.33", remotePort: 1234, localPort: 587 });
    c.close();
  });

  it("v2 before implicit TLS: header first, then the handshake", async () => {
    const pair = await generateSelfSigned();
    const { port, sessions } = await serve({ proxyProtocol: { trusted: ["127.0.0.1"] }, tls: { default: pair }, implicitTls: true });
    const raw = await Client.connect(port);
    raw.write(v2Header([192, 0, 2, 44], [198, 51, 100, 1], 1, 465));
    await raw.startTls();
    expect(await raw.reply()).toMatch(/^220/);
    expect(sessions[0]).toMatchObject({ remoteAddress: "192.0.2.44", tls: { implicit: true } });
    raw.close();
  });

  it("per-address limits count the proxied client, not the proxy", async () => {
    const { port } = await serve({ proxyProtocol: { trusted: ["127.0.0.1"] }, maxConnectionsPerAddress: 1 });
    const a = await Client.connect(port);
    a.send("PROXY TCP4 203.0.113.1 198.51.100.1 1 25\r\n");
    expect(await a.reply()).toMatch(/^220/);
    const b = await Client.connect(port);
    b.send("PROXY TCP4 203.0.113.2 198.51.100.1 1 25\r\n");
    expect(await b.reply()).toMatch(/^220/);
    const c = await Client.connect(port);
    c.send("PROXY TCP4 203.0.113.1 198.51.100.1 2 25\r\n");
    expect(await c.reply()).toMatch(/^421 4\.7\.0/);
    a.close();
    b.close();
  });

  it("a trusted peer without a header, or with a bad one, is closed without a greeting", async () => {
    const { port, sessions } = await serve({ proxyProtocol: { trusted: ["127.0.0.1"] } });
    const a = await Client.connect(port);
    a.send("EHLO x\r\n");
    await a.closed;
    const b = await Client.connect(port);
    b.send("PROXY TCP4 999.1.1.1 1.1.1.1 1 2\r\n");
    await b.closed;
    expect(a.pending + b.pending).toBe("");
    expect(sessions).toEqual([]);
  });

  it("a trusted peer that sends nothing is closed after the PROXY timeout", async () => {
    const { port } = await serve({ proxyProtocol: { trusted: ["127.0.0.1"], timeoutMs: 100 } });
    const a = await Client.connect(port);
    await a.closed;
    expect(a.pending).toBe("");
  });

  it("an untrusted client is served directly; a PROXY line from it is just a bad command", async () => {
    const { port, sessions } = await serve({ proxyProtocol: { trusted: ["10.0.0.0/8"] } });
    const c = await Client.connect(port);
    expect(await c.reply()).toMatch(/^220/);
    expect(await c.command("PROXY TCP4 203.0.113.9 198.51.100.1 1 25")).toMatch(/^5/);
    expect(sessions[0]!.remoteAddress).toBe("127.0.0.1");
    c.close();
  });
});
