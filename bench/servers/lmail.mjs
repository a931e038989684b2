// lmail (@lmail/server) as a benchmark child: a discard handler, or @lmail/maildir with fsync.
// Reports itself "not available yet" until the packages it needs export what it uses.
import { announce, childArgs, counts, unavailable } from "./child.mjs";

const args = childArgs({
  store: { type: "string", default: "discard" }, // discard | maildir
  dir: { type: "string" },
});

let lmail;
try {
  lmail = await import("@lmail/server");
} catch (err) {
  unavailable(`@lmail/server does not load: ${err.message}`);
}
if (typeof lmail?.createServer !== "function") unavailable("@lmail/server exports no createServer() yet");

unavailable("the lmail rows are wired once @lmail/server lands");
void announce;
void counts;
void args;
