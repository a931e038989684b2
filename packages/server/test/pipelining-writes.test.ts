// RFC 2920: how replies to a pipelined batch leave the server. The connection pulls every event the
// batch yields and writes the replies gathered so far once per pass (one write for a batch whose
// hooks answer at once); a hook that answers later stops the pass, and the replies before it are
// written first, before the hook is waited for. Counted by the reply channel, which is published
// once per socket write.
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import { channelNames, type SmtpServer } from "../src/index.js";
import { Client, startServer } from "./helpers.js";

let server: SmtpServer | undefined;
const writes: string[] = [];
const onReply = (message: unknown): void => {
  writes.push((message as { text: string }).text);
};
afterEach(async () => {
  unsubscribe(channelNames.reply, onReply);
  writes.length = 0;
  await server?.close({ deadlineMs: 1000 });
  server = undefined;
});

describe("pipelined replies (RFC 2920)", () => {
  it("a batch whose hooks answer at once gets its replies in order in one write", async () => {
    const started = await startServer({ handler: { data: async (m) => void (await m.body[Symbol.asyncIterator]().next()) } });
    server = started.server;
    const c = await Client.connect(started.port);
    await c.reply();
    subscribe(channelNames.reply, onReply);
    c.send("EHLO x\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nRCPT TO:<c@x.org>\r\nRCPT TO:<d@x.org>\r\nDATA\r\n");
    const replies: string[] = [];
    for (let i = 0; i < 6; i++) replies.push(await c.reply());
    expect(replies.map((r) => r.slice(0, 3))).toEqual(["250", "250", "250", "250", "250", "354"]);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toBe(replies.join(""));
    c.close();
  });

  it("a slow hook in the middle: the replies before it are written first, the rest after it answers, in order", async () => {
    let answer: (() => void) | undefined;
    const started = await startServer({
      handler: {
        rcpt: (r) => (r.address.raw === "slow@x.org" ? new Promise<undefined>((resolve) => (answer = () => resolve(undefined))) : undefined),
      },
    });
    server = started.server;
    const c = await Client.connect(started.port);
    await c.reply();
    await c.command("EHLO x");
    subscribe(channelNames.reply, onReply);
    c.send("MAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nRCPT TO:<slow@x.org>\r\nRCPT TO:<c@x.org>\r\nDATA\r\n");
    // These two arrive while the hook has not answered: they were flushed before the wait.
    expect(await c.reply()).toMatch(/^250 2\.1\.0/);
    expect(await c.reply()).toMatch(/^250 2\.1\.5/);
    expect(answer).toBeDefined();
    expect(writes).toHaveLength(1);
    expect(c.pending).toBe("");
    answer!();
    expect(await c.reply()).toMatch(/^250 2\.1\.5/);
    expect(await c.reply()).toMatch(/^250 2\.1\.5/);
    expect(await c.reply()).toMatch(/^354/);
    expect(writes).toHaveLength(2);
    c.close();
  });
});
