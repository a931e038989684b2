// nodemailer's smtp-server 3.21 as a benchmark child: as shipped, or with its 100 ms greeting delay
// removed; discarding messages, or writing one file per message with fsync.
//
// The greeting delay: SMTPConnection#init() (dist/esm/smtp-connection.js) waits
// `setTimeout(() => this.connectionReady(), 100)` before the greeting, to catch early talkers; no
// option turns it off. SMTPConnection is exported through the package's `./lib/*` subpath, the same
// module instance SMTPServer uses, so replacing `SMTPConnection.prototype.init` at run time with a
// copy that calls `connectionReady()` at once removes the delay without touching node_modules.
import { open } from "node:fs/promises";
import path from "node:path";
import { SMTPServer } from "smtp-server";
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js";
import { announce, childArgs, counts } from "./child.mjs";

const args = childArgs({
  greeting: { type: "string", default: "shipped" }, // shipped | immediate
  store: { type: "string", default: "discard" }, // discard | fsync
  dir: { type: "string" },
});

if (args.greeting === "immediate") {
  SMTPConnection.prototype.init = function initWithoutGreetingDelay() {
    // The shipped init() minus its 100 ms timer: same listeners, same maxClients check.
    this._setListeners(() => {
      if (this._server.options.maxClients && this._server.connections.size > this._server.options.maxClients) {
        return this.send(421, this.name + " Too many connected clients, try again in a moment", false);
      }
      this.connectionReady();
    });
  };
}

let sequence = 0;

/** Discards the body, counting it. */
function discard(stream, _session, callback) {
  let bytes = 0;
  stream.on("data", (chunk) => (bytes += chunk.length));
  stream.on("end", () => {
    counts.messages += 1;
    counts.bytes += bytes;
    callback(null, "Queued");
  });
}

/** Writes the body to one new file, fsyncs it, then accepts. */
function toFile(stream, _session, callback) {
  const file = path.join(/** @type {string} */ (args.dir), `${process.pid}.${++sequence}.eml`);
  (async () => {
    const handle = await open(file, "wx");
    let bytes = 0;
    try {
      for await (const chunk of stream) {
        bytes += chunk.length;
        await handle.write(chunk);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    counts.messages += 1;
    counts.bytes += bytes;
  })().then(
    () => callback(null, "Queued"),
    (err) => callback(err),
  );
}

const server = new SMTPServer({
  name: "bench.example",
  authOptional: true,
  disabledCommands: ["AUTH"],
  // A reverse DNS lookup of 127.0.0.1 measures the resolver, not the server; lmail does none either.
  disableReverseLookup: true,
  logger: false,
  // 10,000 idle connections and a 100 MiB message: no artificial caps in the way.
  maxClients: 0,
  size: 0,
  onData: args.store === "fsync" ? toFile : discard,
});

server.on("error", (err) => console.error("smtp-server:", err.message));
server.listen(0, "127.0.0.1", () => {
  const { port } = server.server.address();
  announce(port, () => new Promise((resolve) => server.close(resolve)));
});
