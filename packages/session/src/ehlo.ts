import { reply, type Reply } from "@lmail/codes";
import type { ParameterOptions } from "@lmail/parser";
import type { ResolvedOptions } from "./options.js";

/** What the EHLO keyword list depends on besides the options. */
export interface EhloState {
  /** The connection is under TLS (implicit or after STARTTLS). */
  readonly tls: boolean;
  /** A client authenticated already. */
  readonly authenticated: boolean;
}

/** Whether AUTH may be used now: configured, and under TLS unless that is not required. */
export function authOffered(o: ResolvedOptions, s: EhloState): boolean {
  return o.auth !== false && (s.tls || !o.auth.requireTls);
}

/**
 * The EHLO/LHLO keyword list (RFC 5321 §4.1.1.1), reflecting the options and the state: STARTTLS
 * only before TLS, AUTH only where allowed, REQUIRETLS only under TLS. It carries no enhanced code.
 */
export function ehloKeywords(o: ResolvedOptions, s: EhloState): string[] {
  const e = o.extensions;
  const k: string[] = [];
  if (e.pipelining) k.push("PIPELINING");
  if (e.size) k.push(o.limits.maxMessageBytes > 0 ? `SIZE ${String(o.limits.maxMessageBytes)}` : "SIZE");
  if (e.eightBitMime) k.push("8BITMIME");
  if (e.smtputf8) k.push("SMTPUTF8");
  if (e.enhancedStatusCodes) k.push("ENHANCEDSTATUSCODES");
  if (e.chunking) k.push("CHUNKING");
  if (e.binaryMime) k.push("BINARYMIME");
  if (e.dsn) k.push("DSN");
  if (o.starttls && !s.tls) k.push("STARTTLS");
  if (o.auth !== false && authOffered(o, s) && !s.authenticated) k.push(`AUTH ${o.auth.mechanisms.join(" ")}`);
  if (e.requireTls && s.tls) k.push("REQUIRETLS");
  return k;
}

/** The full EHLO/LHLO reply: `250-<hostname> Hello <name>` then one keyword per line. */
export function ehloReply(o: ResolvedOptions, s: EhloState, clientName: string): Reply {
  return reply(250, undefined, [`${o.hostname} Hello ${clientName}`, ...ehloKeywords(o, s)]);
}

/** The ESMTP parameters MAIL and RCPT accept now (only what EHLO advertised; none after HELO). */
export function parameterOptions(o: ResolvedOptions, s: EhloState, extended: boolean): ParameterOptions {
  if (!extended) return {};
  const e = o.extensions;
  return {
    size: e.size,
    eightBitMime: e.eightBitMime,
    binaryMime: e.binaryMime,
    smtputf8: e.smtputf8,
    auth: o.auth !== false && authOffered(o, s),
    dsn: e.dsn,
    requireTls: e.requireTls && s.tls,
  };
}
