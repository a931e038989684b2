/**
 * AUTH PLAIN / LOGIN checks for lmaild: credentials against the users file, with every failure
 * delayed (a password guesser gets one try per delay per connection) and failures counted per
 * client address (past the limit, further attempts from that address get 454 4.7.0 without a
 * check until the window has passed).
 */
import { setTimeout as delay } from "node:timers/promises";
import { Enhanced, ReplyCode, reply, type Reply } from "@lmail/codes";
import { hashPassword, parseHash, verifyPassword, type ParsedHash } from "./password-hash.js";
import type { Users } from "./users-file.js";

export interface AuthGuardOptions {
  /** Wait before answering a failed attempt, in ms. Default 1000: slows guessing without hurting a user who mistyped. */
  readonly failureDelayMs?: number;
  /** Failures from one client address within the window before it is refused. Default 10: enough for a few typos by several users behind one NAT. */
  readonly maxFailuresPerAddress?: number;
  /** The window failures are counted in, in ms. Default 900000 (15 minutes), as fail2ban's default findtime-like windows. */
  readonly failureWindowMs?: number;
  /** Client addresses tracked at most. Default 10000: bounds memory under a distributed attack (the oldest is forgotten first). */
  readonly maxTrackedAddresses?: number;
  /** Password checks running at once, in all. Default 4 (libuv's thread pool): each scrypt check holds 32 MiB; further attempts wait their turn. */
  readonly maxConcurrentChecks?: number;
  /** Attempts waiting for a check, in all. Default 64: past it, AUTH gets 454 4.7.0 rather than an ever longer queue. */
  readonly maxQueuedChecks?: number;
  /** Clock, for tests. Default Date.now. */
  readonly now?: () => number;
  /** Sleep, for tests. Default node:timers/promises setTimeout (aborted by the signal). */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

export type AuthResult = { readonly ok: true; readonly user: string } | { readonly ok: false; readonly reply: Reply; readonly reason: "invalid" | "rate-limited" };

export interface AuthAttempt {
  readonly username: string;
  readonly password: string;
  readonly authorizationId?: string;
}

/** 535 5.7.8 (RFC 4954 §6): the same answer for an unknown user and a wrong password. */
export const authInvalid: Reply = reply(ReplyCode.AuthCredentialsInvalid, Enhanced.AuthInvalid, "Authentication credentials invalid");
/** 454 4.7.0 (RFC 4954 §6): a temporary failure; try again later. */
export const authRateLimited: Reply = reply(ReplyCode.TemporaryFailure, Enhanced.SecurityTransient, "Too many failed authentication attempts; try again later");

export class AuthGuard {
  #users: Users;
  readonly #failureDelayMs: number;
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxTracked: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** Failure times per client address, oldest address first (Map keeps insertion order). */
  readonly #failures = new Map<string, number[]>();
  /** Checks running now, per client address: counted against the limit before they finish. */
  readonly #running = new Map<string, number>();
  #checking = 0;
  readonly #queue: (() => void)[] = [];
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  /** Checked for unknown users, so that they cost as much time as known ones. */
  #decoy: Promise<ParsedHash> | undefined;

  constructor(users: Users, options: AuthGuardOptions = {}) {
    this.#users = users;
    this.#failureDelayMs = options.failureDelayMs ?? 1000;
    this.#maxFailures = options.maxFailuresPerAddress ?? 10;
    this.#windowMs = options.failureWindowMs ?? 15 * 60 * 1000;
    this.#maxTracked = options.maxTrackedAddresses ?? 10_000;
    this.#maxConcurrent = options.maxConcurrentChecks ?? 4;
    this.#maxQueued = options.maxQueuedChecks ?? 64;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, signal === undefined ? {} : { signal }));
  }

  /** Replace the users (SIGHUP reload). Failure counts are kept. */
  setUsers(users: Users): void {
    this.#users = users;
  }

  /** Failures counted for an address within the window. */
  failuresOf(address: string): number {
    return this.#recent(address).length;
  }

  /** Check one AUTH attempt from `address`. Resolves after the failure delay when it fails. */
  async check(attempt: AuthAttempt, address: string, signal?: AbortSignal): Promise<AuthResult> {
    // Attempts still running count against the limit, so concurrent guesses cannot pass it.
    const running = this.#running.get(address) ?? 0;
    if (this.#recent(address).length + running >= this.#maxFailures || this.#queue.length >= this.#maxQueued) {
      return { ok: false, reply: authRateLimited, reason: "rate-limited" };
    }
    this.#running.set(address, running + 1);
    let ok: boolean;
    let stored: ParsedHash | undefined;
    try {
      await this.#slot();
      try {
        stored = this.#users.get(attempt.username);
        ok = await verifyPassword(attempt.password, stored ?? (await this.#decoyHash()));
      } finally {
        this.#release();
      }
    } finally {
      const left = (this.#running.get(address) ?? 1) - 1;
      if (left === 0) this.#running.delete(address);
      else this.#running.set(address, left);
    }
    // An authorization identity other than the user itself would be a proxy login: not supported.
    const authzOk = attempt.authorizationId === undefined || attempt.authorizationId === "" || attempt.authorizationId === attempt.username;
    if (ok && stored !== undefined && authzOk) return { ok: true, user: attempt.username };
    this.#recordFailure(address);
    // A client that disconnects during the delay aborts it: the failure is counted all the same.
    await this.#sleep(this.#failureDelayMs, signal).catch(() => undefined);
    return { ok: false, reply: authInvalid, reason: "invalid" };
  }

  /** Wait for one of the `maxConcurrentChecks` places. */
  #slot(): Promise<void> {
    if (this.#checking < this.#maxConcurrent) {
      this.#checking += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#queue.push(resolve)); // the place passes on in #release
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next !== undefined) next();
    else this.#checking -= 1;
  }

  #recent(address: string): number[] {
    const times = this.#failures.get(address);
    if (times === undefined) return [];
    const since = this.#now() - this.#windowMs;
    const recent = times.filter((t) => t > since);
    if (recent.length === 0) this.#failures.delete(address);
    else if (recent.length !== times.length) this.#failures.set(address, recent);
    return recent;
  }

  #recordFailure(address: string): void {
    const times = this.#recent(address);
    times.push(this.#now());
    this.#failures.delete(address);
    this.#failures.set(address, times.slice(-this.#maxFailures));
    while (this.#failures.size > this.#maxTracked) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }

  #decoyHash(): Promise<ParsedHash> {
    this.#decoy ??= hashPassword("lmaild decoy password").then((text) => {
      const parsed = parseHash(text);
      if ("error" in parsed) throw new Error(parsed.error);
      return parsed;
    });
    return this.#decoy;
  }
}
