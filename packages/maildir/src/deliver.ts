import type { DeliveryOutcome, DeliveryResult } from "./delivery-result.js";
import { deliverAll, deliverCopies, distinctTargets, type MessageBody, resolveSettings } from "./engine.js";
import type { MaildirTarget } from "./ensure.js";
import { Maildir } from "./maildir.js";
import type { DeliverOptions } from "./options.js";
import { traceHeaderBlock } from "./trace-headers.js";

/** Where to deliver: a maildir path or a {@link Maildir} (such as a folder), or several. */
export type MaildirDestination = string | Maildir | readonly (string | Maildir)[];

function targetsOf(dest: MaildirDestination, folder: string | undefined): MaildirTarget[] {
  const list = typeof dest === "string" || dest instanceof Maildir ? [dest] : dest;
  if (list.length === 0) throw new RangeError("deliver: no maildir given");
  return list.map((d) => {
    const m = typeof d === "string" ? new Maildir(d) : d;
    return folder === undefined || typeof d !== "string" ? m : m.folder(folder);
  });
}

/**
 * Deliver one message into one or more maildirs, crash-safely: written once into `tmp/`
 * (O_EXCL, mode 0600), fsynced, hard-linked into each `new/` (copied when a maildir is on another
 * file system), each `new/` fsynced, the tmp name unlinked; only then does it resolve. All or
 * nothing: if any maildir fails, the copies already made are removed and the error is thrown
 * (see `replyForError()`). The same maildir given twice gets one copy.
 *
 * `options.folder` applies to maildirs given as paths; a {@link Maildir} is used as it is.
 */
export async function deliver(dest: MaildirDestination, body: MessageBody, options: DeliverOptions = {}): Promise<DeliveryResult> {
  return deliverAll(targetsOf(dest, options.folder), body, options);
}

/**
 * Like {@link deliver}, but each maildir succeeds or fails on its own (LMTP semantics): resolves
 * to one outcome per maildir given, in order (a maildir given twice gets the same outcome), and
 * never rolls back. Rejects only on a programming error.
 */
export async function deliverSettled(
  dest: MaildirDestination,
  body: MessageBody,
  options: DeliverOptions = {},
): Promise<DeliveryOutcome[]> {
  const targets = targetsOf(dest, options.folder);
  const s = resolveSettings(options);
  const headers = traceHeaderBlock({ returnPath: options.returnPath, deliveredTo: options.deliveredTo }, s.lineEnding);
  const distinct = distinctTargets(targets);
  const [outcomes = []] = await deliverCopies(body, [{ headers, targets: distinct }], s, options.signal);
  const byPath = new Map(distinct.map((t, i) => [t.path, outcomes[i]!]));
  return targets.map((t) => byPath.get(t.path)!);
}
