/**
 * The `Received:` trace header field a receiving server prepends to every message
 * (RFC 5321 §4.4, RFC 5322 §3.6.7), with the "with" protocol names of RFC 3848 and RFC 6531 §3.7.3.
 */
import type { Envelope, SessionInfo } from "@lmail/session";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** An RFC 5322 §3.3 date-time in UTC: `Mon, 23 Nov 2026 07:08:05 +0000`. */
export function formatRfc5322Date(date: Date): string {
  return (
    `${DAYS[date.getUTCDay()]!}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]!} ${date.getUTCFullYear()} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

// The date of the current second, formatted once per second rather than once per message.
let nowSecond = NaN;
let nowText = "";
function formatNow(): string {
  const ms = Date.now();
  const second = Math.floor(ms / 1000);
  if (second !== nowSecond) {
    nowText = formatRfc5322Date(new Date(ms));
    nowSecond = second;
  }
  return nowText;
}

/** The RFC 3848 / RFC 6531 "with" keyword for a session: SMTP, ESMTP, ESMTPS, ESMTPSA, LMTP, UTF8SMTPS … */
export function withProtocol(session: SessionInfo, envelope: Envelope): string {
  const suffix = (session.tls !== undefined ? "S" : "") + (session.user !== undefined ? "A" : "");
  if (session.protocol === "lmtp") return `${envelope.smtputf8 ? "UTF8" : ""}LMTP${suffix}`;
  if (envelope.smtputf8) return `UTF8SMTP${suffix}`;
  // RFC 3848 has no SMTPS or SMTPA: TLS and AUTH imply the extended protocol.
  return session.heloVerb === "HELO" && suffix === "" ? "SMTP" : `ESMTP${suffix}`;
}

// Anything that could end a comment or break the header: keep it out of client-supplied text.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f()\\]/g;
const HAS_UNSAFE = new RegExp(UNSAFE.source);
// Most text has nothing to replace: a test costs less than a replace that finds nothing.
const clean = (text: string): string => (HAS_UNSAFE.test(text) ? text.replace(UNSAFE, "?") : text);

function addressLiteral(address: string): string {
  if (!address.includes(":")) return `[${address}]`;
  // An IPv4-mapped IPv6 address is shown as IPv4 (what a reader expects).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return `[${mapped[1]!}]`;
  return address.includes(":") ? `[IPv6:${address}]` : `[${address}]`;
}

export interface ReceivedOptions {
  readonly session: SessionInfo;
  readonly envelope: Envelope;
  /** The server's own name (the `by` clause). */
  readonly hostname: string;
  readonly date?: Date;
}

/**
 * The `Received:` field, folded, ending with CRLF. The `for` clause names the recipient only when
 * there is exactly one (naming several would disclose Bcc recipients to each other).
 */
export function formatReceived(options: ReceivedOptions): string {
  const { session, envelope, hostname } = options;
  const helo = session.heloName !== undefined ? clean(session.heloName) : "unknown";
  const remote = session.remoteHostname !== undefined ? `${clean(session.remoteHostname)} ` : "";
  let out = `Received: from ${helo} (${remote}${addressLiteral(session.remoteAddress)})\r\n`;
  out += `\tby ${clean(hostname)} (lmail) with ${withProtocol(session, envelope)} id ${clean(session.id)}\r\n`;
  if (session.tls !== undefined) {
    out += `\t(using ${clean(session.tls.protocol)} with cipher ${clean(session.tls.cipher)})\r\n`;
  }
  const only = envelope.recipients.length === 1 ? envelope.recipients[0] : undefined;
  if (only !== undefined) out += `\tfor <${clean(only.address.raw)}>;\r\n`;
  else out = out.slice(0, -2) + ";\r\n";
  out += `\t${options.date === undefined ? formatNow() : formatRfc5322Date(options.date)}\r\n`;
  return out;
}
