import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { Handler, HookContext } from "@lmail/session";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../src/config.js";
import { bindHooks, clientKey, createHandler, mailboxPath } from "../src/handler.js";
import { createLogger } from "../src/logger.js";
import { DaemonMetrics } from "../src/metrics.js";
import { tempDir } from "./support/temp-dir.js";

describe("assembly helpers", () => {
  it("clientKey counts an IPv4-mapped IPv6 address as its IPv4 address (per-address AUTH limits)", () => {
    expect(clientKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(clientKey("192.0.2.1")).toBe("192.0.2.1");
    expect(clientKey("2001:db8::1")).toBe("2001:db8::1");
  });

  it("bindHooks keeps `this` for hooks taken off a class instance (as @lmail/server calls them)", async () => {
    class Counting implements Handler {
      calls = 0;
      close(_ctx: HookContext): void {
        this.calls += 1;
      }
    }
    const handler = new Counting();
    const bound = bindHooks(handler);
    const hook = bound.close!;
    await hook({} as HookContext);
    expect(handler.calls).toBe(1);
    expect(Object.keys(bound)).toEqual(["close"]);
  });

  it("mailboxPath is <root>/<domain>/<mailbox>", () => {
    expect(mailboxPath("/var/mail", { accept: true, domain: "example.org", mailbox: "you" })).toBe("/var/mail/example.org/you");
  });
});

describe("createHandler: policy, routing and delivery without sockets", () => {
  const address = (local: string, domain: string) => ({
    raw: `${local}@${domain}`, localPart: local, localPartUnquoted: local, domain, asciiDomain: domain.toLowerCase(),
    isAddressLiteral: domain.startsWith("["), isUtf8: false, email: `${local}@${domain}`, hostname: domain.toLowerCase(),
  });
  const session = { id: "t1", remoteAddress: "127.0.0.1", remotePort: 1, localAddress: "127.0.0.1", localPort: 25, protocol: "smtp" as const };
  const ctx = { session, signal: new AbortController().signal } as HookContext;

  async function setup(mailboxes: Map<string, Set<string>> = new Map()) {
    const root = await tempDir("lmaild-handler-");
    const config = resolveConfig({ flags: { maildir: root, domain: ["localhost", "example.test"] } });
    const records: Record<string, unknown>[] = [];
    const logger = createLogger({ format: "json", level: "info", destination: { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) } });
    const handler = createHandler({ config: { ...config, mailboxes }, guard: undefined, metrics: new DaemonMetrics(), logger, clientOf: () => "127.0.0.1:1" });
    return { root, handler, records };
  }

  it("refuses foreign domains (5.7.1), unsafe names (5.1.3) and undeclared mailboxes (5.1.1) at RCPT, and logs each", async () => {
    const { handler, records } = await setup(new Map([["example.test", new Set(["info"])]]));
    const envelope = { from: null, mailParams: { raw: [] }, recipients: [], bodyType: "7BIT" as const, smtputf8: false };
    const rcpt = (local: string, domain: string) => handler.rcpt!({ address: address(local, domain), params: { raw: [] } }, envelope, ctx);
    expect(await rcpt("x", "elsewhere.test")).toMatchObject({ code: 550, enhanced: "5.7.1" });
    expect(await rcpt(".hidden", "localhost")).toMatchObject({ code: 553, enhanced: "5.1.3" });
    expect(await rcpt("bob", "example.test")).toMatchObject({ code: 550, enhanced: "5.1.1" });
    expect(await rcpt("Info+x", "example.test")).toBeUndefined();
    expect(await rcpt("anyone", "LOCALHOST")).toBeUndefined();
    expect(records.map((r) => r.result)).toEqual(["relay-denied", "unsafe", "unknown"]);
    expect(handler.auth).toBeUndefined();
  });

  it("delivers an accepted recipient's message into <root>/<domain>/<mailbox>/new", async () => {
    const { root, handler } = await setup();
    const recipient = { address: address("You+tag", "localhost"), params: { raw: [] } };
    const envelope = { from: address("a", "remote.test"), mailParams: { raw: [] }, recipients: [recipient], bodyType: "7BIT" as const, smtputf8: false };
    expect(await handler.rcpt!(recipient, { ...envelope, recipients: [] }, ctx)).toBeUndefined();
    const body = Readable.from([new TextEncoder().encode("Subject: unit\r\n\r\nhello\r\n")]);
    // Nothing (the default positive reply) or a 2xx: both mean delivered (DESIGN.md, "Handlers").
    const reply = (await handler.data!({ session, envelope, headers: [], body }, ctx)) as { code: number } | undefined;
    expect(reply?.code ?? 250).toBe(250);
    const dir = path.join(root, "localhost", "you", "new");
    const [file] = await readdir(dir);
    expect(await readFile(path.join(dir, file!), "utf8")).toBe("Return-Path: <a@remote.test>\nDelivered-To: You+tag@localhost\nSubject: unit\n\nhello\n");
  });
});
