import { withText, type Reply } from "@lmail/codes";
import { decodeUtf8, utf8Length } from "./bytes.js";
import { ParserReplies } from "./replies.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** RFC 4616 §2: authzid, authcid and passwd are each at most 255 octets. */
export const MAX_SASL_PLAIN_FIELD_BYTES = 255;

function sextet(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c < 128 ? (VALUE[c] ?? -1) : -1;
}

/**
 * Strict base64 (RFC 4648 §4): the standard alphabet, length a multiple of 4, padding only at the
 * end, no whitespace, and the unused bits of the last group zero (canonical encoding). Undefined
 * when `text` is anything else. The empty string is zero octets.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0) return undefined;
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    const c = last && pad === 2 ? 0 : sextet(text, i + 2);
    const d = last && pad >= 1 ? 0 : sextet(text, i + 3);
    if (a < 0 || b < 0 || c < 0 || d < 0) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    if (!(last && pad === 2)) out[o++] = (n >> 8) & 0xff;
    else if ((b & 0x0f) !== 0) return undefined;
    if (!(last && pad >= 1)) out[o++] = n & 0xff;
    else if (pad === 1 && (c & 0x03) !== 0) return undefined;
  }
  return out;
}

/** Standard base64 with padding (RFC 4648 §4), e.g. for 334 challenges. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}${ALPHABET[(n >> 6) & 63]}${ALPHABET[n & 63]}`;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] ?? 0) << 16;
    out += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += `${ALPHABET[n >> 18]}${ALPHABET[(n >> 12) & 63]}${ALPHABET[(n >> 6) & 63]}=`;
  }
  return out;
}

type Failure = { ok: false; reply: Reply };

/** Decode one client response line: `*` cancels (501), `=` is empty (RFC 4954 §4), else strict base64 (501 5.5.2). */
function responseBytes(response: string): { ok: true; bytes: Uint8Array } | Failure {
  if (response === "*") return { ok: false, reply: ParserReplies.authCancelled };
  const bytes = response === "=" ? new Uint8Array(0) : decodeBase64(response);
  return bytes === undefined ? { ok: false, reply: ParserReplies.badBase64 } : { ok: true, bytes };
}

/**
 * Decode a SASL PLAIN response (RFC 4616 §2): base64 of `[authzid] NUL authcid NUL passwd`, UTF-8,
 * authcid and passwd non-empty, each field at most 255 octets. `*` gives 501 (cancelled), bad
 * base64 501 5.5.2, a malformed message 501 5.5.2. Checking the credentials is the caller's job.
 */
export function decodeSaslPlain(
  response: string,
): { ok: true; authorizationId: string; username: string; password: string } | { ok: false; reply: Reply } {
  const r = responseBytes(response);
  if (!r.ok) return r;
  const text = decodeUtf8(r.bytes);
  const parts = text?.split("\u0000");
  const malformed = { ok: false as const, reply: withText(ParserReplies.badBase64, "Malformed PLAIN response") };
  if (parts?.length !== 3) return malformed;
  const [authorizationId = "", username = "", password = ""] = parts;
  if (username === "" || password === "") return malformed;
  if ([authorizationId, username, password].some((p) => utf8Length(p) > MAX_SASL_PLAIN_FIELD_BYTES)) return malformed;
  return { ok: true, authorizationId, username, password };
}

/**
 * Decode one response of the (non-standard, widely used) LOGIN mechanism: base64 of a UTF-8
 * username or password. `*` gives 501 (cancelled), bad base64 or UTF-8, or a NUL, 501 5.5.2.
 */
export function decodeSaslLogin(response: string): { ok: true; value: string } | { ok: false; reply: Reply } {
  const r = responseBytes(response);
  if (!r.ok) return r;
  const value = decodeUtf8(r.bytes);
  if (value?.includes("\u0000") !== false) return { ok: false, reply: withText(ParserReplies.badBase64, "Malformed LOGIN response") };
  return { ok: true, value };
}
