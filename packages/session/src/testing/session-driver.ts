import type { Reply } from "@lmail/codes";
import type { SessionOptions } from "../options.js";
import { SmtpSession } from "../session.js";
import { NEED_DATA, PAUSED, type DecisionEvent, type SessionEvent, type TlsInfo } from "../types.js";
import { ReplyReader, type TranscriptDriver } from "./driver.js";

/** What a decider answers: a reply, `undefined` for the default positive one, a list for data-end, a boolean for auth. */
export type Decision = Reply | readonly (Reply | undefined)[] | boolean | undefined;

/** Makes the decisions a transport would take from the application's hooks. May be async. */
export type Decider = (event: DecisionEvent, session: SmtpSession) => Decision | Promise<Decision>;

export interface SessionDriverOptions {
  /** Default: accept everything but AUTH (refused with 535), i.e. hooks that return nothing. */
  readonly decide?: Decider;
  /** The TLS state handed to `tlsEstablished()` after STARTTLS (the driver "upgrades" at once). */
  readonly tls?: TlsInfo;
  /** Called with every event, in order. */
  readonly onEvent?: (event: SessionEvent) => void;
}

/** The TLS state the session driver reports after STARTTLS unless told otherwise. */
export const TEST_TLS: TlsInfo = Object.freeze({ protocol: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256", implicit: false });

const defaultDecider: Decider = (event) => (event.type === "auth" ? false : undefined);

/**
 * A {@link TranscriptDriver} over a bare {@link SmtpSession}: no socket, no clock. It pulls every
 * event, answers decisions with the decider, completes STARTTLS at once, and records the events.
 */
export class SessionDriver implements TranscriptDriver {
  readonly session: SmtpSession;
  /** Every event the session emitted, in order. */
  readonly events: SessionEvent[] = [];
  readonly #decide: Decider;
  readonly #tls: TlsInfo;
  readonly #onEvent: ((event: SessionEvent) => void) | undefined;
  readonly #reader = new ReplyReader();
  #closed = false;
  #pump: Promise<void>;

  constructor(session: SmtpSession | SessionOptions, options: SessionDriverOptions = {}) {
    this.session = session instanceof SmtpSession ? session : new SmtpSession(session);
    this.#decide = options.decide ?? defaultDecider;
    this.#tls = options.tls ?? TEST_TLS;
    this.#onEvent = options.onEvent;
    this.#pump = this.#run();
  }

  /** True once the session emitted its close event. */
  get closed(): boolean {
    return this.#closed;
  }

  send(bytes: Uint8Array): Promise<void> {
    this.session.receiveData(bytes);
    return this.#schedule();
  }

  end(): Promise<void> {
    this.session.receiveEof();
    return this.#schedule();
  }

  async readReply(): Promise<string | undefined> {
    await this.#pump;
    const r = this.#reader.take();
    if (r !== undefined || this.#closed) return r;
    throw new Error("no reply: the session waits for more input");
  }

  /** Every reply written so far and not read yet, as one string (for property tests). */
  async readAll(): Promise<string> {
    await this.#pump;
    let all = "";
    for (let r = this.#reader.take(); r !== undefined; r = this.#reader.take()) all += r;
    return all + this.#reader.rest;
  }

  async close(): Promise<void> {
    await this.#pump;
  }

  #schedule(): Promise<void> {
    this.#pump = this.#pump.then(() => this.#run());
    return this.#pump;
  }

  #flush(): void {
    const out = this.session.dataToSend();
    if (out !== undefined) this.#reader.push(out);
  }

  async #run(): Promise<void> {
    for (;;) {
      const event = this.session.nextEvent();
      if (event === NEED_DATA || event === PAUSED) break;
      this.events.push(event);
      this.#onEvent?.(event);
      switch (event.type) {
        case "connect":
        case "helo":
        case "mail":
        case "rcpt":
        case "data-end": {
          const d = await this.#decide(event, this.session);
          this.session.respond(typeof d === "boolean" ? undefined : d);
          break;
        }
        case "auth": {
          const d = await this.#decide(event, this.session);
          this.session.respondAuth(d === undefined ? false : Array.isArray(d) ? false : (d as boolean | Reply));
          break;
        }
        case "starttls":
          this.#flush();
          this.session.tlsEstablished(this.#tls);
          break;
        case "close":
          this.#closed = true;
          break;
        case "data-start":
        case "data-chunk":
        case "data-rejected":
        case "reset":
          break;
      }
      this.#flush();
    }
    this.#flush();
  }
}
