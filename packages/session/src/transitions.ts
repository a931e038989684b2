/**
 * Every state transition of the session, in one table (the h11 model). The session looks up
 * (state, input) here, runs the named action, and moves to the state the table names for the
 * action's outcome. Nothing else in the package assigns a state.
 */
import type { Verb } from "@lmail/parser";

/** Where a session is. */
export type State =
  /** The connect decision is pending: nothing was sent yet. */
  | "greeting"
  /** Greeted; no HELO/EHLO/LHLO accepted yet (also after RSET before HELO, and after STARTTLS). */
  | "initial"
  /** HELO/EHLO/LHLO accepted, no transaction. */
  | "ready"
  /** MAIL accepted, no recipient yet. */
  | "mail"
  /** At least one RCPT accepted. */
  | "rcpt"
  /** Reading a DATA body. */
  | "data"
  /** A BDAT transaction: chunks are being read or the next BDAT is awaited. */
  | "bdat"
  /** A BDAT chunk failed: further BDAT gets 503 (its octets read) until RSET or a new MAIL (RFC 3030 §2). */
  | "bdat-failed"
  /** An AUTH exchange: the next line is a SASL response (RFC 4954 §4). */
  | "sasl"
  /** STARTTLS accepted: input is discarded until the handshake completes (RFC 3207 §4.2). */
  | "tls"
  /** A close event was queued. */
  | "closed";

/** What drives a transition: a command verb or a non-command input. */
export type Input =
  | Verb
  /** The connect decision. */
  | "connect"
  /** A line of an AUTH exchange. */
  | "sasl-line"
  /** CRLF.CRLF ended a DATA body. */
  | "body-end"
  /** A BDAT chunk without LAST was read. */
  | "chunk-end"
  /** The LAST BDAT chunk was read. */
  | "chunk-last"
  | "tls-established"
  | "tls-failed"
  /** The session closes on its own (EOF, a limit, a timeout, shutdown, cross-protocol bytes). */
  | "abort";

/** What the session does for an input. Each action reports an outcome: ok, fail, or more (an exchange continues). */
export type Action =
  | "connect" | "helo" | "mail" | "rcpt" | "data" | "no-recipients" | "bdat" | "bdat-refused" | "rset" | "noop" | "quit"
  | "vrfy" | "expn" | "help" | "starttls" | "auth" | "sasl" | "body-end" | "chunk-end" | "tls-established"
  | "tls-failed" | "abort";

export type Outcome = "ok" | "fail" | "more";

/** One cell of the table: run an action and go where its outcome says, or refuse with 503. */
export type Step =
  | { readonly run: Action; readonly ok: State; readonly fail: State; readonly more?: State }
  /** Out of sequence: 503 5.5.1 with this text; the state does not change. */
  | { readonly refuse: string };

const stay = <S extends State>(s: S, run: Action): Step => ({ run, ok: s, fail: s });
const closing: Step = { run: "abort", ok: "closed", fail: "closed" };

/** Commands that work in every command state (RFC 5321 §4.1.4: NOOP, HELP, EXPN, VRFY, RSET at any time). */
function anytime(s: State, afterRset: State): Partial<Record<Input, Step>> {
  return {
    NOOP: stay(s, "noop"),
    HELP: stay(s, "help"),
    VRFY: stay(s, "vrfy"),
    EXPN: stay(s, "expn"),
    RSET: { run: "rset", ok: afterRset, fail: s },
    QUIT: { run: "quit", ok: "closed", fail: "closed" },
    // RFC 5321 §4.1.4: a refused EHLO leaves the state as it was
    HELO: { run: "helo", ok: "ready", fail: s },
    EHLO: { run: "helo", ok: "ready", fail: s },
    LHLO: { run: "helo", ok: "ready", fail: s },
    abort: closing,
  };
}

const inTransaction = "Error: MAIL transaction in progress";

/** The table: for each state, what each input does. A missing cell is a programming error. */
export const transitions: { readonly [S in State]: Partial<Record<Input, Step>> } = {
  greeting: {
    connect: { run: "connect", ok: "initial", fail: "closed" },
    abort: closing,
  },
  initial: {
    ...anytime("initial", "initial"),
    MAIL: { refuse: "Error: send HELO/EHLO first" },
    RCPT: { refuse: "Error: need MAIL command" },
    DATA: { refuse: "Error: need RCPT command" },
    BDAT: stay("initial", "bdat-refused"),
    STARTTLS: { run: "starttls", ok: "tls", fail: "initial" },
    AUTH: { refuse: "Error: send EHLO first" },
  },
  ready: {
    ...anytime("ready", "ready"),
    MAIL: { run: "mail", ok: "mail", fail: "ready" },
    RCPT: { refuse: "Error: need MAIL command" },
    DATA: { refuse: "Error: need RCPT command" },
    BDAT: stay("ready", "bdat-refused"),
    STARTTLS: { run: "starttls", ok: "tls", fail: "ready" },
    AUTH: { run: "auth", ok: "ready", fail: "ready", more: "sasl" },
  },
  mail: {
    ...anytime("mail", "ready"),
    MAIL: { refuse: "Error: nested MAIL command" },
    RCPT: { run: "rcpt", ok: "rcpt", fail: "mail" },
    // 554 when every RCPT was refused (RFC 2920 §3.1), 503 when none was sent
    DATA: stay("mail", "no-recipients"),
    BDAT: stay("mail", "bdat-refused"),
    STARTTLS: { refuse: inTransaction },
    AUTH: { refuse: inTransaction },
  },
  rcpt: {
    ...anytime("rcpt", "ready"),
    MAIL: { refuse: "Error: nested MAIL command" },
    RCPT: { run: "rcpt", ok: "rcpt", fail: "rcpt" },
    DATA: { run: "data", ok: "data", fail: "rcpt" },
    BDAT: { run: "bdat", ok: "bdat", fail: "rcpt" },
    STARTTLS: { refuse: inTransaction },
    AUTH: { refuse: inTransaction },
  },
  data: {
    "body-end": { run: "body-end", ok: "ready", fail: "ready" },
    abort: closing,
  },
  bdat: {
    ...anytime("bdat", "ready"),
    MAIL: { refuse: "Error: nested MAIL command" },
    RCPT: { refuse: "Error: RCPT after BDAT" },
    DATA: { refuse: "Error: DATA and BDAT cannot be mixed in one transaction" },
    BDAT: { run: "bdat", ok: "bdat", fail: "bdat" },
    "chunk-end": { run: "chunk-end", ok: "bdat", fail: "bdat-failed" },
    "chunk-last": { run: "chunk-end", ok: "ready", fail: "ready" },
    STARTTLS: { refuse: inTransaction },
    AUTH: { refuse: inTransaction },
  },
  "bdat-failed": {
    ...anytime("bdat-failed", "ready"),
    // the failed transaction is already gone (a reset event was emitted): a new one may begin
    MAIL: { run: "mail", ok: "mail", fail: "bdat-failed" },
    RCPT: { refuse: "Error: need MAIL command" },
    DATA: { refuse: "Error: need MAIL command" },
    BDAT: stay("bdat-failed", "bdat-refused"),
    STARTTLS: { refuse: "Error: send RSET after a failed BDAT" },
    AUTH: { refuse: "Error: send RSET after a failed BDAT" },
  },
  sasl: {
    "sasl-line": { run: "sasl", ok: "ready", fail: "ready", more: "sasl" },
    abort: closing,
  },
  tls: {
    "tls-established": { run: "tls-established", ok: "initial", fail: "initial" },
    "tls-failed": { run: "tls-failed", ok: "closed", fail: "closed" },
    abort: closing,
  },
  closed: {},
};

/** The step for `input` in `state`; a missing cell means the session misused its own table. */
export function stepFor(state: State, input: Input): Step | undefined {
  return transitions[state][input];
}

/** The state a step leads to for an outcome (a step without `more` treats more as ok). */
export function target(step: Extract<Step, { run: Action }>, outcome: Outcome): State {
  return outcome === "more" ? (step.more ?? step.ok) : step[outcome];
}

/** States in which a MAIL transaction is open (for graceful shutdown and the reset hook). */
export const transactionStates: ReadonlySet<State> = new Set<State>(["mail", "rcpt", "data", "bdat"]);
