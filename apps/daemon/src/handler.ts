/**
 * lmaild's handler: a `@lmail/mux` that routes each local domain (and `<Postmaster>`) to a
 * `@lmail/maildir` handler guarded by the recipient policy, and every other domain to 550 5.7.1;
 * AUTH checked against the users file. Refused recipients and AUTH outcomes are logged and counted.
 */
import path from "node:path";
import type { Reply } from "@lmail/codes";
import { maildirHandler } from "@lmail/maildir";
import { Mux, rejectingHandler } from "@lmail/mux";
import { clientKey } from "@lmail/server";
import type { AuthCredentials, Envelope, Handler, HookContext, HookReply, Recipient } from "@lmail/session";
import type { AuthGuard } from "./auth-guard.js";
import type { DaemonConfig } from "./config.js";
import type { Logger } from "./logger.js";
import type { DaemonMetrics } from "./metrics.js";
import { decideRecipient, relayDenied, type RecipientDecision } from "./recipient-policy.js";

export interface HandlerOptions {
  readonly config: DaemonConfig;
  /** AUTH is offered when there is a guard (a users file). */
  readonly guard: AuthGuard | undefined;
  readonly metrics: DaemonMetrics;
  readonly logger: Logger;
  /** The client (`ip:port`) of a connection id, for log lines. */
  readonly clientOf: (id: string) => string | undefined;
}

/** The maildir of a recipient the policy accepted: `<root>/<domain>/<mailbox>`. */
export function mailboxPath(root: string, decision: Extract<RecipientDecision, { accept: true }>): string {
  return path.join(root, decision.domain, decision.mailbox);
}

const hookNames = ["connect", "helo", "auth", "mail", "rcpt", "data", "reset", "close"] as const;

/**
 * A handler whose hooks are bound to their object: `Mux` is a class whose hooks use `this`, and a
 * caller that takes a hook off the object (`const hook = handler.data; hook(...)`) would lose it.
 */
export function bindHooks(handler: Handler): Handler {
  const source = handler as Record<string, unknown>;
  const bound: Record<string, unknown> = {};
  for (const name of hookNames) {
    const hook = source[name];
    if (typeof hook === "function") bound[name] = (...args: unknown[]): unknown => Reflect.apply(hook, handler, args) as unknown;
  }
  return bound;
}

// The per-address AUTH limits count clients as the server's per-address connection limits do.
export { clientKey };

function policyInput(recipient: Recipient): Parameters<typeof decideRecipient>[0] {
  const a = recipient.address;
  return "postmaster" in a ? { postmaster: true } : a;
}

/** Build lmaild's handler. Its hooks are bound: hand it to `createServer` as it is. */
export function createHandler(options: HandlerOptions): Handler {
  const policy = { domains: options.config.domains, mailboxes: options.config.mailboxes };

  const maildir = maildirHandler({
    hostname: options.config.hostname,
    route: (recipient) => {
      const decision = decideRecipient(policyInput(recipient), policy);
      return decision.accept ? mailboxPath(options.config.maildir, decision) : undefined;
    },
  });
  const local: Handler = {
    ...maildir,
    async rcpt(recipient: Recipient, envelope: Envelope, ctx: HookContext): Promise<HookReply> {
      const decision = decideRecipient(policyInput(recipient), policy);
      if (!decision.accept) return refuse(recipient, decision.reply, ctx);
      options.metrics.recipients.inc({ result: "accepted" });
      return maildir.rcpt?.(recipient, envelope, ctx);
    },
  };
  const refuse = (recipient: Recipient, reply: Reply, ctx: HookContext): Reply => {
    const result = reply.enhanced === "5.7.1" ? "relay-denied" : reply.enhanced === "5.1.1" ? "unknown" : "unsafe";
    options.metrics.recipients.inc({ result });
    options.logger.info({ id: ctx.session.id, client: options.clientOf(ctx.session.id), recipient: recipient.address.raw, result, reply: `${String(reply.code)} ${reply.enhanced ?? ""}`.trim() }, "recipient refused");
    return reply;
  };
  const foreign: Handler = {
    ...rejectingHandler(relayDenied),
    rcpt: (recipient, _envelope, ctx) => refuse(recipient, relayDenied, ctx),
  };
  const guard = options.guard;
  const auth = guard === undefined
    ? undefined
    : async (credentials: AuthCredentials, ctx: HookContext): Promise<boolean | Reply> => {
        const result = await guard.check(credentials, clientKey(ctx.session.remoteAddress), ctx.signal);
        const client = options.clientOf(ctx.session.id);
        if (result.ok) {
          options.metrics.auth.inc({ result: "success" });
          options.logger.info({ id: ctx.session.id, client, user: result.user, mechanism: credentials.mechanism }, "authenticated");
          return true;
        }
        options.metrics.auth.inc({ result: result.reason });
        options.logger.warn({ id: ctx.session.id, client, user: credentials.username, mechanism: credentials.mechanism, reason: result.reason }, "authentication failed");
        return result.reply;
      };
  const mux = new Mux({ defaultHandler: foreign, ...(auth === undefined ? {} : { session: { auth } }) });
  for (const domain of options.config.domains) mux.domain(domain, local);
  // `<Postmaster>` has no domain (RFC 5321 §4.1.1.3); postmaster@elsewhere is still refused by the policy.
  mux.localPart("postmaster", local);
  return bindHooks(mux);
}
