import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import { channelNames, type SmtpServer } from "../src/index.js";
import { Client, sendMail, startServer } from "./helpers.js";

let server: SmtpServer | undefined;
afterEach(async () => {
  await server?.close({ deadlineMs: 500 });
  server = undefined;
});

describe("diagnostics_channel events", () => {
  it("publishes connection, command, reply and transaction events with documented payloads", async () => {
    const seen: Record<string, unknown[]> = {};
    const subs = Object.values(channelNames).map((name) => {
      const fn = (m: unknown) => (seen[name] ??= []).push(m);
      subscribe(name, fn);
      return () => unsubscribe(name, fn);
    });
    try {
      const started = await startServer({});
      server = started.server;
      let closed!: () => void;
      const gone = new Promise<void>((r) => (closed = r));
      subscribe(channelNames.connection, function onClose(m) {
        if ((m as { type: string }).type === "close") {
          unsubscribe(channelNames.connection, onClose);
          closed();
        }
      });
      const c = await Client.connect(started.port);
      await c.reply();
      await c.command("EHLO x");
      await sendMail(c, "a@x.org", ["b@x.org"], "Subject: s\r\n\r\nhi");
      await c.command("QUIT");
      await gone;
      const conn = seen[channelNames.connection]!;
      expect(conn[0]).toMatchObject({ type: "open", remoteAddress: "127.0.0.1", proxied: false });
      expect(conn.at(-1)).toMatchObject({ type: "close", reason: "quit" });
      const types = (seen[channelNames.command] as { type: string }[]).map((m) => m.type);
      expect(types).toEqual(expect.arrayContaining(["connect", "helo", "mail", "rcpt", "data-start", "data-end", "close"]));
      expect(types).not.toContain("data-chunk");
      const replies = (seen[channelNames.reply] as { text: string }[]).map((m) => m.text).join("");
      expect(replies).toMatch(/^220 mx\.test/);
      expect(replies).toContain("221 ");
      const tx = seen[channelNames.transaction] as { type: string; bytes?: number }[];
      expect(tx.map((m) => m.type)).toEqual(["start", "end"]);
      expect(tx[1]!.bytes).toBeGreaterThan(0);
    } finally {
      for (const off of subs) off();
    }
  });
});
