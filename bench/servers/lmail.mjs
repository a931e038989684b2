// lmail (@lmail/server) as a benchmark child: a handler that reads and discards each body, or
// @lmail/maildir's handler with fsync on (its default), every recipient into one maildir.
// Reports itself "not available yet" until the packages export what it uses (and are built).
import { announce, childArgs, counts, unavailable } from "./child.mjs";

const args = childArgs({
  store: { type: "string", default: "discard" }, // discard | maildir
  dir: { type: "string" },
});

const load = async (name) => {
  try {
    return await import(name);
  } catch (err) {
    return unavailable(`${name} does not load (not built yet?): ${err.message}`);
  }
};

const server = await load("@lmail/server");
if (typeof server.createServer !== "function") unavailable("@lmail/server exports no createServer() yet");

let handler;
if (args.store === "maildir") {
  const maildir = await load("@lmail/maildir");
  if (typeof maildir.maildirHandler !== "function") unavailable("@lmail/maildir exports no maildirHandler() yet");
  const inner = maildir.maildirHandler({ route: () => /** @type {string} */ (args.dir) });
  handler = {
    ...inner,
    async data(message, ctx) {
      const result = await inner.data(message, ctx);
      const replies = Array.isArray(result) ? result : [result];
      if (replies.every((r) => r === undefined || r.code < 400)) counts.messages += 1;
      return result;
    },
  };
} else {
  handler = {
    async data(message) {
      let bytes = 0;
      for await (const chunk of message.body) bytes += chunk.byteLength;
      counts.messages += 1;
      counts.bytes += bytes;
    },
  };
}

const smtp = server.createServer({
  handler,
  hostname: "bench.example",
  // The idle scenario holds 10,000 connections from 127.0.0.1 (defaults: 1000 in all, 20 per address).
  maxConnections: 20_000,
  maxConnectionsPerAddress: 20_000,
  // The 100 MiB scenario (default 25 MiB).
  session: { limits: { maxMessageBytes: 200 * 1024 * 1024 } },
});
const address = await smtp.listen({ host: "127.0.0.1", port: 0 });
announce(address.port, () => smtp.close({ deadlineMs: 1000 }));
