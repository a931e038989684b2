// Issue 6 end to end: @lmail/mux routing and @lmail/maildir delivery behind the real server, over
// real sockets. Recipients are decided at RCPT; the body reaches every handler; the final reply
// reflects all of them (SMTP all-or-nothing, LMTP one per recipient).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createServer, maildirHandler, Mux, nullHandler, type Handler, type SmtpServer } from "../src/index.js";
import { Client, sendMail } from "./helpers.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "lmail-e2e-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(handler: Handler, protocol: "smtp" | "lmtp" = "smtp"): Promise<{ server: SmtpServer; client: Client }> {
  // The handler is passed as is: a Mux is a class instance whose hooks live on its prototype.
  const server = createServer({ hostname: "mx.test", handler, protocol });
  const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => server.close({ deadlineMs: 1000 }));
  const client = await Client.connect(port);
  cleanups.push(() => client.close());
  expect(await client.reply()).toMatch(/^220 /);
  expect(await client.command(`${protocol === "lmtp" ? "LHLO" : "EHLO"} client.test`)).toMatch(/^250 /m);
  return { server, client };
}

async function serveAddress(handler: Handler): Promise<{ port: number }> {
  const server = createServer({ hostname: "mx.test", handler });
  const address = await server.listen({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => server.close({ deadlineMs: 1000 }));
  return address;
}

/** The messages in a maildir's new/, as text. */
function newMessages(maildir: string): string[] {
  const dir = path.join(maildir, "new");
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.map((n) => readFileSync(path.join(dir, n), "latin1"));
}

const body = "Subject: e2e\r\nFrom: a@sender.example\r\n\r\nline one\r\n.leading dot\r\nlast\r\n";
/** Maildir stores LF line ends; the body as a maildir file ends with. */
const stored = body.replace(/\r\n/g, "\n");

describe("mux + maildir behind the server (issue 6)", () => {
  it("routes recipients to per-domain maildirs, refuses an unknown one at RCPT with 550 5.1.1, and delivers one copy each", async () => {
    const root = tempDir();
    const a = path.join(root, "a");
    const b = path.join(root, "b");
    const mux = new Mux()
      .domain("a.example", maildirHandler({ route: () => a }))
      .domain("b.example", maildirHandler({ route: () => b }));
    const { client } = await serve(mux);

    expect(await client.command("MAIL FROM:<s@sender.example>")).toMatch(/^250 /);
    expect(await client.command("RCPT TO:<one@a.example>")).toMatch(/^250 /);
    expect(await client.command("RCPT TO:<nobody@elsewhere.example>")).toMatch(/^550 5\.1\.1 /);
    expect(await client.command("RCPT TO:<two@b.example>")).toMatch(/^250 /);
    expect(await client.command("DATA")).toMatch(/^354 /);
    client.send(body.replace(/^\./gm, "..") + ".\r\n");
    expect(await client.reply()).toMatch(/^250 /);

    for (const [dir, rcpt] of [[a, "one@a.example"], [b, "two@b.example"]] as const) {
      const files = newMessages(dir);
      expect(files).toHaveLength(1);
      const file = files[0]!;
      // Return-Path and Delivered-To from maildir, Received from the server, then the body as sent.
      expect(file).toMatch(/^Return-Path: <s@sender\.example>\n/);
      expect(file).toContain(`Delivered-To: ${rcpt}\n`);
      expect(file).toMatch(/\nReceived: from client\.test /);
      expect(file.endsWith(stored)).toBe(true);
    }
  });

  it("SMTP is all-or-nothing: one mailbox failing makes the whole message 4xx and the handler leaves no copy anywhere", async () => {
    const root = tempDir();
    const good = path.join(root, "good");
    const blocked = path.join(root, "blocked");
    writeFileSync(blocked, "not a directory"); // delivery into it fails at run time
    const route = (r: { address: { raw: string } }): string => (r.address.raw.endsWith("@bad.example") ? blocked : good);
    const mux = new Mux().domain("good.example", maildirHandler({ route })).domain("bad.example", maildirHandler({ route }));
    // One maildir handler serving both domains rolls back its copies when one fails.
    const single = maildirHandler({ route });
    const { client } = await serve(new Mux({ defaultHandler: single }));

    const final = await sendMail(client, "s@sender.example", ["x@good.example", "y@bad.example"], body);
    expect(final).toMatch(/^451 4\.3\.0 /);
    expect(newMessages(good)).toEqual([]);

    // Two handlers in one transaction cannot undo each other's durable copy: the reply is still
    // 4xx (so the client retries and nothing is lost), and the good mailbox may see the message
    // again on that retry. This is SMTP's limit after DATA; LMTP (below) has no such problem.
    const other = await Client.connect((await serveAddress(mux)).port);
    cleanups.push(() => other.close());
    expect(await other.reply()).toMatch(/^220 /);
    expect(await other.command("EHLO client.test")).toMatch(/^250 /m);
    expect(await sendMail(other, "s@sender.example", ["x@good.example", "y@bad.example"], body)).toMatch(/^451 4\.3\.0 /);
  });

  it("LMTP gives one reply per recipient (RFC 2033 §4.2): the good mailbox gets its copy, the failing one a 4xx", async () => {
    const root = tempDir();
    const good = path.join(root, "good");
    const blocked = path.join(root, "blocked");
    writeFileSync(blocked, "not a directory");
    const mux = new Mux()
      .domain("good.example", maildirHandler({ route: () => good }))
      .domain("bad.example", maildirHandler({ route: () => blocked }));
    const { client } = await serve(mux, "lmtp");

    expect(await client.command("MAIL FROM:<s@sender.example>")).toMatch(/^250 /);
    expect(await client.command("RCPT TO:<x@good.example>")).toMatch(/^250 /);
    expect(await client.command("RCPT TO:<y@bad.example>")).toMatch(/^250 /);
    expect(await client.command("DATA")).toMatch(/^354 /);
    client.send(body.replace(/^\./gm, "..") + ".\r\n");
    expect(await client.reply()).toMatch(/^250 /); // x@good.example
    expect(await client.reply()).toMatch(/^4\d\d /); // y@bad.example
    const files = newMessages(good);
    expect(files).toHaveLength(1);
    expect(files[0]!.endsWith(stored)).toBe(true);
  });

  it("a mux fans one body out to a maildir and a discarding handler in the same transaction", async () => {
    const root = tempDir();
    const kept = path.join(root, "kept");
    const mux = new Mux({ defaultHandler: nullHandler }).domain("keep.example", maildirHandler({ route: () => kept }));
    const { client } = await serve(mux);
    const big = "Subject: big\r\n\r\n" + "0123456789abcdef".repeat(64).concat("\r\n").repeat(2000); // ~2 MB
    const final = await sendMail(client, "s@sender.example", ["k@keep.example", "d@discard.example"], big);
    expect(final).toMatch(/^250 /);
    const files = newMessages(kept);
    expect(files).toHaveLength(1);
    expect(files[0]!.endsWith(big.replace(/\r\n/g, "\n"))).toBe(true);
  });
});
