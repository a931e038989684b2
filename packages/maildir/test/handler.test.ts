import { readFile, stat, symlink, mkdir } from "node:fs/promises";
import path from "node:path";
import type { Envelope, HookContext, HookReply, IncomingMessage, Recipient, SessionInfo } from "@lmail/session";
import { describe, expect, it } from "vitest";
import { Maildir, maildirHandler, type MaildirHandlerOptions } from "../src/index.js";
import { bytes, errno, faultyFs, names, tempDir } from "./helpers.js";

type Address = Exclude<Envelope["from"], null>;

function address(raw: string): Address {
  const [localPart, domain] = raw.split("@") as [string, string];
  return Object.freeze({
    raw,
    localPart,
    localPartUnquoted: localPart,
    domain,
    asciiDomain: domain.toLowerCase(),
    isAddressLiteral: false,
    isUtf8: false,
    email: raw,
    hostname: domain.toLowerCase(),
  });
}

const recipient = (raw: string): Recipient => ({ address: address(raw), params: { raw: [] } });

function envelope(from: string | null, to: readonly string[]): Envelope {
  return {
    from: from === null ? null : address(from),
    mailParams: { raw: [] },
    recipients: to.map(recipient),
    bodyType: "7BIT",
    smtputf8: false,
  };
}

let sessions = 0;
function context(protocol: "smtp" | "lmtp"): HookContext {
  const session: SessionInfo = {
    id: `s${String(++sessions)}`,
    protocol,
    remoteAddress: "127.0.0.1",
    remotePort: 40000,
    localAddress: "127.0.0.1",
    localPort: 25,
    heloName: "client.example",
    heloVerb: protocol === "lmtp" ? "LHLO" : "EHLO",
  };
  return { session, signal: new AbortController().signal };
}

async function* chunked(text: string): AsyncIterable<Uint8Array> {
  const data = bytes(text);
  for (let i = 0; i < data.length; i += 7) yield await Promise.resolve(data.subarray(i, i + 7));
}

const body = "Received: from client.example\r\nSubject: test\r\n\r\nHello.\r\n";
const bodyLf = "Received: from client.example\nSubject: test\n\nHello.\n";

/** Run a transaction through the hooks as the server would: rcpt for each, then data. */
async function transaction(
  options: MaildirHandlerOptions,
  protocol: "smtp" | "lmtp",
  from: string | null,
  to: readonly string[],
): Promise<{ rcpt: HookReply[]; data: unknown }> {
  const handler = maildirHandler(options);
  const ctx = context(protocol);
  const rcpt: HookReply[] = [];
  const accepted: string[] = [];
  for (const addr of to) {
    const reply = await handler.rcpt!(recipient(addr), envelope(from, accepted), ctx);
    rcpt.push(reply);
    if (reply === undefined) accepted.push(addr);
  }
  const env = envelope(from, accepted);
  const message: IncomingMessage = { session: ctx.session, envelope: env, headers: [], body: chunked(body) };
  const data = await handler.data!(message, ctx);
  return { rcpt, data };
}

describe("maildirHandler: decided at RCPT", () => {
  it("rejects a recipient route() does not know with 550 5.1.1 at RCPT", async () => {
    const root = await tempDir();
    const route = (r: Recipient) => (r.address.raw.startsWith("known@") ? path.join(root, "known") : undefined);
    const { rcpt } = await transaction({ route }, "smtp", "s@example.org", ["known@example.net", "nobody@example.net"]);
    expect(rcpt[0]).toBeUndefined();
    expect(rcpt[1]).toMatchObject({ code: 550, enhanced: "5.1.1" });
  });
});

describe("maildirHandler: routes decided once", () => {
  it("remembers nothing when the client left while an async route() ran (no per-session leak)", async () => {
    const root = await tempDir();
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handler = maildirHandler({
      route: async () => {
        calls += 1;
        if (calls === 1) await gate;
        return root;
      },
    });
    const controller = new AbortController();
    const ctx: HookContext = { session: context("smtp").session, signal: controller.signal };
    const pending = handler.rcpt!(recipient("a@x.example"), envelope("s@example.org", []), ctx);
    // The server on a reset: the signal fires, then reset and close run while route() still waits.
    controller.abort();
    await handler.reset!(ctx);
    await handler.close!(ctx);
    release();
    await pending;
    // Nothing was stored for the closed session: the data hook (same id) has to route again.
    const message: IncomingMessage = { session: ctx.session, envelope: envelope("s@example.org", ["a@x.example"]), headers: [], body: chunked(body) };
    expect(await handler.data!(message, context("smtp"))).toBeUndefined();
    expect(calls).toBe(2);
  });

  it("calls route() once per recipient: at RCPT, not again at DATA", async () => {
    const root = await tempDir();
    const seen: string[] = [];
    const route = (r: Recipient) => {
      seen.push(r.address.raw);
      return path.join(root, r.address.raw.split("@")[0]!);
    };
    await transaction({ route }, "smtp", "s@example.org", ["a@x.example", "b@x.example"]);
    expect(seen).toEqual(["a@x.example", "b@x.example"]);
  });

  it("forgets a session's routes on reset, and routes again at DATA", async () => {
    const root = await tempDir();
    let calls = 0;
    const handler = maildirHandler({
      route: () => {
        calls += 1;
        return root;
      },
    });
    const ctx = context("smtp");
    await handler.rcpt!(recipient("a@x.example"), envelope("s@example.org", []), ctx);
    await handler.reset!(ctx);
    const message: IncomingMessage = { session: ctx.session, envelope: envelope("s@example.org", ["a@x.example"]), headers: [], body: chunked(body) };
    expect(await handler.data!(message, ctx)).toBeUndefined();
    expect(calls).toBe(2);
    expect(await names(path.join(root, "new"))).toHaveLength(1);
  });
});

describe("maildirHandler: SMTP, one reply for all recipients", () => {
  it("delivers each recipient a copy with Return-Path and its own Delivered-To, and replies positively", async () => {
    const root = await tempDir();
    const route = (r: Recipient) => path.join(root, r.address.raw.split("@")[0]!);
    const { data } = await transaction({ route }, "smtp", "s@example.org", ["a@example.net", "b@example.net"]);
    expect(data).toBeUndefined();
    for (const user of ["a", "b"]) {
      const [file] = await names(path.join(root, user, "new"));
      const text = await readFile(path.join(root, user, "new", file!), "utf8");
      expect(text).toBe(`Return-Path: <s@example.org>\nDelivered-To: ${user}@example.net\n${bodyLf}`);
    }
  });

  it("writes Return-Path: <> for a null reverse-path", async () => {
    const root = await tempDir();
    await transaction({ route: () => root }, "smtp", null, ["a@example.net"]);
    const [file] = await names(path.join(root, "new"));
    expect((await readFile(path.join(root, "new", file!), "utf8")).split("\n")[0]).toBe("Return-Path: <>");
  });

  it("hard-links one file for recipients whose header block is identical (deliveredTo: false)", async () => {
    const root = await tempDir();
    const route = (r: Recipient) => path.join(root, r.address.raw.split("@")[0]!);
    await transaction({ route, deliveredTo: false }, "smtp", "s@example.org", ["a@x.example", "b@x.example", "c@x.example"]);
    const inodes = new Set<number>();
    for (const user of ["a", "b", "c"]) {
      const [file] = await names(path.join(root, user, "new"));
      inodes.add((await stat(path.join(root, user, "new", file!))).ino);
      expect(await readFile(path.join(root, user, "new", file!), "utf8")).toBe(`Return-Path: <s@example.org>\n${bodyLf}`);
    }
    expect(inodes.size).toBe(1);
  });

  it("gives two recipients of one maildir without Delivered-To one copy", async () => {
    const root = await tempDir();
    await transaction({ route: () => root, deliveredTo: false, returnPath: false }, "smtp", "s@example.org", ["a@x.example", "b@x.example"]);
    expect(await names(path.join(root, "new"))).toHaveLength(1);
  });

  it("replies 451 4.3.0 and leaves no copy anywhere when one recipient's maildir fails (no 250 unless all are durable)", async () => {
    const root = await tempDir();
    const fs = faultyFs({ syncDir: (p) => (p.includes(`${path.sep}b${path.sep}`) ? errno("EIO") : undefined) });
    const route = (r: Recipient) => path.join(root, r.address.raw.split("@")[0]!);
    const { data } = await transaction({ route, fs }, "smtp", "s@example.org", ["a@x.example", "b@x.example"]);
    expect(data).toMatchObject({ code: 451, enhanced: "4.3.0" });
    expect(await names(path.join(root, "a", "new"))).toEqual([]);
    expect(await names(path.join(root, "b", "new"))).toEqual([]);
    expect(await names(path.join(root, "a", "tmp"))).toEqual([]);
  });

  it("prefers a transient failure's reply over a permanent one, so the client retries", async () => {
    const root = await tempDir();
    const fs = faultyFs({
      syncDir: (p) => (p.includes(`${path.sep}a${path.sep}`) ? errno("EDQUOT") : p.includes(`${path.sep}b${path.sep}`) ? errno("EIO") : undefined),
    });
    const route = (r: Recipient) => path.join(root, r.address.raw.split("@")[0]!);
    const { data } = await transaction({ route, fs }, "smtp", "s@example.org", ["a@x.example", "b@x.example", "c@x.example"]);
    expect(data).toMatchObject({ code: 451, enhanced: "4.3.0" });
    expect(await names(path.join(root, "c", "new"))).toEqual([]);
  });

  it("replies 452 4.3.1 when the disk is full (ENOSPC)", async () => {
    const root = await tempDir();
    const fs = faultyFs({ write: () => errno("ENOSPC") });
    const { data } = await transaction({ route: () => root, fs }, "smtp", "s@example.org", ["a@x.example"]);
    expect(data).toMatchObject({ code: 452, enhanced: "4.3.1" });
    expect(await names(path.join(root, "tmp"))).toEqual([]);
  });

  it("delivers into a Maildir++ folder that route() returns", async () => {
    const root = await tempDir();
    const { data } = await transaction({ route: () => new Maildir(root).folder("Lists") }, "smtp", "s@example.org", ["a@x.example"]);
    expect(data).toBeUndefined();
    expect(await names(path.join(root, ".Lists", "new"))).toHaveLength(1);
  });
});

describe("maildirHandler: LMTP, one reply per recipient (RFC 2033 §4.2)", () => {
  it("returns one reply per accepted recipient in envelope order, failures independent", async () => {
    const root = await tempDir();
    // b's maildir has a planted symlink for tmp/: its delivery fails, a and c are delivered.
    await mkdir(path.join(root, "b"), { recursive: true });
    await symlink("/tmp", path.join(root, "b", "tmp"));
    const route = (r: Recipient) => path.join(root, r.address.raw.split("@")[0]!);
    const { data } = await transaction({ route }, "lmtp", "s@example.org", ["a@x.example", "b@x.example", "c@x.example"]);
    expect(Array.isArray(data)).toBe(true);
    const replies = data as HookReply[];
    expect(replies).toHaveLength(3);
    expect(replies[0]).toBeUndefined();
    expect(replies[1]).toMatchObject({ code: 451, enhanced: "4.3.0" });
    expect(replies[2]).toBeUndefined();
    expect(await names(path.join(root, "a", "new"))).toHaveLength(1);
    expect(await names(path.join(root, "c", "new"))).toHaveLength(1);
  });

  it("maps over-quota (EDQUOT) to 552 5.2.2 for that recipient only", async () => {
    const root = await tempDir();
    const fs = faultyFs({
      syncDir: (p) => (p.includes(`${path.sep}b${path.sep}`) ? errno("EDQUOT") : undefined),
    });
    const route = (r: Recipient) => path.join(root, r.address.raw.split("@")[0]!);
    const { data } = await transaction({ route, fs }, "lmtp", "s@example.org", ["a@x.example", "b@x.example"]);
    const replies = data as HookReply[];
    expect(replies[0]).toBeUndefined();
    expect(replies[1]).toMatchObject({ code: 552, enhanced: "5.2.2" });
    expect(await names(path.join(root, "a", "new"))).toHaveLength(1);
    expect(await names(path.join(root, "b", "new"))).toEqual([]);
  });
});

describe("maildirHandler: the hook's signal", () => {
  it("commits nothing once the signal fired (client gone: no reply can be sent, a retry must not duplicate)", async () => {
    const root = await tempDir();
    const handler = maildirHandler({ route: () => root });
    const controller = new AbortController();
    const ctx: HookContext = { session: context("smtp").session, signal: controller.signal };
    await handler.rcpt!(recipient("a@x.example"), envelope("s@example.org", []), ctx);
    async function* body(): AsyncIterable<Uint8Array> {
      yield await Promise.resolve(bytes("Subject: x\r\n\r\n"));
      controller.abort();
      yield bytes("rest\r\n");
    }
    const message: IncomingMessage = { session: ctx.session, envelope: envelope("s@example.org", ["a@x.example"]), headers: [], body: body() };
    expect(await handler.data!(message, ctx)).toMatchObject({ code: 451 });
    expect(await names(path.join(root, "new"))).toEqual([]);
    expect(await names(path.join(root, "tmp"))).toEqual([]);
  });
});
