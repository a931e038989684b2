/**
 * Password hashes for the users file: scrypt (RFC 7914) from node:crypto, stored as a PHC-like
 * string that carries its parameters and salt, so that the cost can be raised later without
 * invalidating existing lines:
 *
 *     $scrypt$ln=15,r=8,p=1$<salt, base64 without padding>$<key, base64 without padding>
 *
 * `ln` is log2 of scrypt's cost N. Verification recomputes the key with the stored parameters and
 * compares in constant time.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";

export interface ScryptParams {
  /** log2(N), the CPU/memory cost. Default 15 (N = 32768, 32 MiB at r = 8): OWASP's scrypt minimum is N = 2^17 at r = 8 for interactive logins on dedicated hardware; 2^15 keeps an AUTH check near 50 ms on small machines. */
  readonly ln: number;
  /** Block size. Default 8, the value of RFC 7914's examples and every common library. */
  readonly r: number;
  /** Parallelism. Default 1: AUTH runs on a busy event loop's thread pool. */
  readonly p: number;
}

export const defaultScryptParams: ScryptParams = Object.freeze({ ln: 15, r: 8, p: 1 });

/** Salt length in bytes: 16, as RFC 7914 §11 and the PHC format recommend. */
const SALT_BYTES = 16;
/** Derived key length in bytes: 32 (256 bits). */
const KEY_BYTES = 32;
/** Bounds on stored parameters, so that a hostile users file cannot make one check cost minutes or gigabytes. */
const LIMITS = { ln: [10, 20], r: [1, 32], p: [1, 16] } as const;

const PREFIX = "$scrypt$";

function scrypt(password: string | Uint8Array, salt: Uint8Array, params: ScryptParams, keyBytes: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  // scrypt needs 128 * N * r bytes (plus a little); node's default cap is 32 MiB.
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keyBytes, options, (error, key) => {
      if (error === null) resolve(key);
      else reject(error);
    });
  });
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

/** Hash a password for a users-file line (`user:HASH`). */
export async function hashPassword(password: string, params: ScryptParams = defaultScryptParams): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, params, KEY_BYTES);
  return `${PREFIX}ln=${String(params.ln)},r=${String(params.r)},p=${String(params.p)}$${b64(salt)}$${b64(key)}`;
}

/** A parsed hash string. */
export interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Uint8Array;
  readonly key: Uint8Array;
}

/** Parse a hash string; returns a reason string when it is not a valid lmaild scrypt hash. */
export function parseHash(hash: string): ParsedHash | { readonly error: string } {
  if (!hash.startsWith(PREFIX)) return { error: 'not an scrypt hash (expected "$scrypt$ln=…,r=…,p=…$salt$key"; make one with `lmaild hash-password`)' };
  const parts = hash.slice(PREFIX.length).split("$");
  if (parts.length !== 3) return { error: "malformed scrypt hash: expected parameters, salt and key separated by $" };
  const [paramText = "", saltText = "", keyText = ""] = parts;
  const match = /^ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})$/.exec(paramText);
  if (match === null) return { error: `malformed scrypt parameters "${paramText}"` };
  const params: ScryptParams = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  for (const name of ["ln", "r", "p"] as const) {
    const [min, max] = LIMITS[name];
    if (params[name] < min || params[name] > max) return { error: `scrypt parameter ${name}=${String(params[name])} is outside ${String(min)}..${String(max)}` };
  }
  const base64 = /^[A-Za-z0-9+/]+$/;
  if (!base64.test(saltText) || !base64.test(keyText)) return { error: "malformed scrypt hash: salt and key must be base64" };
  const salt = Buffer.from(saltText, "base64");
  const key = Buffer.from(keyText, "base64");
  if (salt.length < 8) return { error: "scrypt salt is shorter than 8 bytes" };
  if (key.length < 16) return { error: "scrypt key is shorter than 16 bytes" };
  return { params, salt, key };
}

/**
 * Check a password against a parsed hash. The comparison runs in constant time (timingSafeEqual)
 * over keys of equal length.
 */
export async function verifyPassword(password: string, hash: ParsedHash): Promise<boolean> {
  const key = await scrypt(password, hash.salt, hash.params, hash.key.length);
  return timingSafeEqual(key, hash.key);
}
