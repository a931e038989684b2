import type { Reply } from "@lmail/codes";
import { SmtpSession, type ConnectionInfo, type DecisionEvent, type SessionOptions } from "../src/index.js";
import { runTranscript, SessionDriver, type Decider, type Decision } from "../src/testing/index.js";

export const connection: ConnectionInfo = Object.freeze({
  id: "c1",
  remoteAddress: "192.0.2.1",
  remotePort: 40000,
  localAddress: "192.0.2.25",
  localPort: 25,
});

export type TestOptions = Partial<SessionOptions>;

export function options(o: TestOptions = {}): SessionOptions {
  return { hostname: "mx.example", connection, ...o };
}

export function session(o: TestOptions = {}): SmtpSession {
  return new SmtpSession(options(o));
}

export function driver(o: TestOptions = {}, decide?: Decider): SessionDriver {
  return new SessionDriver(options(o), decide === undefined ? {} : { decide });
}

/** Run a transcript against a fresh session; returns the driver for event checks. */
export async function transcript(text: string, o: TestOptions = {}, decide?: Decider): Promise<SessionDriver> {
  const d = driver(o, decide);
  await runTranscript(d, text);
  return d;
}

const encoder = new TextEncoder();
export const bytes = (s: string): Uint8Array => encoder.encode(s);
const decoder = new TextDecoder();
export const text = (b: Uint8Array | undefined): string => (b === undefined ? "" : decoder.decode(b));

/** Accept everything, but refuse recipients whose local part starts with "unknown" (550 5.1.1). */
export const rcptFilter =
  (refusal: Reply): ((event: DecisionEvent) => Decision) =>
  (event) => {
    if (event.type === "rcpt" && event.recipient.address.raw.startsWith("unknown")) return refusal;
    if (event.type === "auth") return event.credentials.password === "secret";
    return undefined;
  };

/** The EHLO reply of a default session without TLS. */
export const EHLO_DEFAULT = `S: 250-mx.example Hello client.example
S: 250-PIPELINING
S: 250-SIZE 26214400
S: 250-8BITMIME
S: 250-SMTPUTF8
S: 250-ENHANCEDSTATUSCODES
S: 250-CHUNKING
S: 250-BINARYMIME
S: 250 DSN`;
