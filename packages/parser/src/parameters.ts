import { withText, type Reply } from "@lmail/codes";
import { hasNonAscii } from "./bytes.js";
import { badArguments, ParserReplies } from "./replies.js";
import type { BodyType, MailParameters, NotifyCondition, ParameterOptions, RcptParameters } from "./types.js";
import { decodeXtext } from "./xtext.js";

/** RFC 1870 §3: size-value ::= 1*20DIGIT. */
export const MAX_SIZE_DIGITS = 20;
/** RFC 3461 §4.4: ENVID is at most 100 characters. */
export const MAX_ENVID_CHARS = 100;
/** RFC 3461 §4.2: ORCPT's value is at most 500 characters. */
export const MAX_ORCPT_CHARS = 500;

type Failure = { ok: false; reply: Reply };
type Param = readonly [keyword: string, value: string | undefined];

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

// Most MAIL and RCPT commands carry no parameters: they all get these (frozen) results.
const NO_MAIL_PARAMETERS: MailParameters = Object.freeze({ raw: Object.freeze([]) });
const NO_RCPT_PARAMETERS: RcptParameters = Object.freeze({ raw: Object.freeze([]) });
const DIGITS = /^[0-9]+$/;

function unknown(keyword: string): Failure {
  return { ok: false, reply: withText(ParserReplies.unknownParameter, `Parameter ${keyword} not recognized`) };
}

/**
 * Split `esmtp-param *(SP esmtp-param)` (RFC 5321 §4.1.2) into keyword/value pairs, keywords
 * upper-cased. Tolerates several spaces between parameters. `esmtp-value` is %d33-60 / %d62-126
 * (no "=" and no space), plus UTF-8 when `utf8` (RFC 6531 §3.3).
 */
function split(text: string, utf8: boolean): { ok: true; params: Param[] } | Failure {
  const params: Param[] = [];
  for (const token of text.split(" ")) {
    if (token === "") continue;
    const eq = token.indexOf("=");
    const keyword = eq === -1 ? token : token.slice(0, eq);
    const value = eq === -1 ? undefined : token.slice(eq + 1);
    if (!KEYWORD.test(keyword)) return { ok: false, reply: badArguments("Invalid parameter syntax") };
    if (value !== undefined) {
      if (value.length === 0 || value.includes("=")) return { ok: false, reply: badArguments(`Invalid value for ${keyword.toUpperCase()}`) };
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c < 33 || c === 127 || (c > 127 && !utf8)) return { ok: false, reply: badArguments(`Invalid value for ${keyword.toUpperCase()}`) };
      }
    }
    params.push([keyword.toUpperCase(), value]);
  }
  return { ok: true, params };
}

function noValue(keyword: string, value: string | undefined): Failure | undefined {
  return value === undefined ? undefined : { ok: false, reply: badArguments(`${keyword} takes no value`) };
}

/**
 * Parse a size value safely: digits only, at most 20 (RFC 1870), and at most
 * Number.MAX_SAFE_INTEGER (larger values cannot be compared exactly). Undefined otherwise.
 */
export function parseSizeValue(value: string): number | undefined {
  if (value.length > MAX_SIZE_DIGITS || !DIGITS.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Parse the parameters after `MAIL FROM:<path>` (RFC 5321 §4.1.1.2). Only the parameters of the
 * extensions enabled in `options` are accepted; any other gives 555 5.5.4, a repeated one 501 5.5.4,
 * a malformed value 501 5.5.4. SIZE is only parsed here: comparing it with the limit (552 5.3.4)
 * is the session's job.
 */
export function parseMailParameters(
  text: string,
  options: ParameterOptions = {},
): { ok: true; params: MailParameters } | { ok: false; reply: Reply } {
  if (text === "") return { ok: true, params: NO_MAIL_PARAMETERS };
  const s = split(text, options.smtputf8 === true);
  if (!s.ok) return s;
  const seen = new Set<string>();
  const out: {
    size?: number;
    body?: BodyType;
    smtputf8?: true;
    auth?: string | null;
    ret?: "FULL" | "HDRS";
    envid?: string;
    requireTls?: true;
  } = {};
  for (const [keyword, value] of s.params) {
    let bad: Failure | undefined;
    switch (keyword) {
      case "SIZE": {
        if (options.size !== true) return unknown(keyword);
        const n = value === undefined ? undefined : parseSizeValue(value);
        if (n === undefined) return { ok: false, reply: badArguments("Invalid SIZE value") };
        out.size = n;
        break;
      }
      case "BODY": {
        if (options.eightBitMime !== true && options.binaryMime !== true) return unknown(keyword);
        const v = value?.toUpperCase();
        if (v === "7BIT") out.body = "7BIT";
        else if (v === "8BITMIME" && options.eightBitMime === true) out.body = "8BITMIME";
        else if (v === "BINARYMIME" && options.binaryMime === true) out.body = "BINARYMIME";
        else if (v === "8BITMIME" || v === "BINARYMIME") return unknown(`BODY=${v}`);
        else return { ok: false, reply: badArguments("Invalid BODY value") };
        break;
      }
      case "SMTPUTF8":
        if (options.smtputf8 !== true) return unknown(keyword);
        bad = noValue(keyword, value);
        out.smtputf8 = true;
        break;
      case "AUTH": {
        if (options.auth !== true) return unknown(keyword);
        if (value === "<>") {
          out.auth = null;
          break;
        }
        const decoded = value === undefined ? undefined : decodeXtext(value);
        if (decoded === undefined || decoded.length === 0) return { ok: false, reply: badArguments("Invalid AUTH value") };
        out.auth = decoded;
        break;
      }
      case "RET": {
        if (options.dsn !== true) return unknown(keyword);
        const v = value?.toUpperCase();
        if (v !== "FULL" && v !== "HDRS") return { ok: false, reply: badArguments("Invalid RET value") };
        out.ret = v;
        break;
      }
      case "ENVID": {
        if (options.dsn !== true) return unknown(keyword);
        const decoded = value === undefined ? undefined : decodeXtext(value);
        if (decoded === undefined || value === undefined || value.length > MAX_ENVID_CHARS) {
          return { ok: false, reply: badArguments("Invalid ENVID value") };
        }
        out.envid = decoded;
        break;
      }
      case "REQUIRETLS":
        if (options.requireTls !== true) return unknown(keyword);
        bad = noValue(keyword, value);
        out.requireTls = true;
        break;
      default:
        return unknown(keyword);
    }
    if (bad !== undefined) return bad;
    if (seen.has(keyword)) return { ok: false, reply: withText(ParserReplies.duplicateParameter, `Duplicate parameter ${keyword}`) };
    seen.add(keyword);
  }
  // Object.assign, not a spread: V8 takes a slow path for `{ ...out, raw }` (µs per command).
  return { ok: true, params: Object.freeze(Object.assign(out, { raw: Object.freeze(s.params) })) };
}

const CONDITIONS: ReadonlySet<string> = new Set(["SUCCESS", "FAILURE", "DELAY"]);
const ADDR_TYPE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$/;

/**
 * Parse the parameters after `RCPT TO:<path>` (RFC 5321 §4.1.1.3): NOTIFY and ORCPT (RFC 3461 §4)
 * when `options.dsn`; anything else gives 555 5.5.4, a repeated one 501 5.5.4.
 */
export function parseRcptParameters(
  text: string,
  options: ParameterOptions = {},
): { ok: true; params: RcptParameters } | { ok: false; reply: Reply } {
  if (text === "") return { ok: true, params: NO_RCPT_PARAMETERS };
  const s = split(text, options.smtputf8 === true);
  if (!s.ok) return s;
  const seen = new Set<string>();
  const out: { notify?: "NEVER" | readonly NotifyCondition[]; orcpt?: { readonly addressType: string; readonly address: string } } = {};
  for (const [keyword, value] of s.params) {
    switch (keyword) {
      case "NOTIFY": {
        if (options.dsn !== true) return unknown(keyword);
        const v = value?.toUpperCase();
        if (v === "NEVER") {
          out.notify = "NEVER";
          break;
        }
        const list = v === undefined ? [] : v.split(",");
        if (list.length === 0 || list.some((c) => !CONDITIONS.has(c)) || new Set(list).size !== list.length) {
          return { ok: false, reply: badArguments("Invalid NOTIFY value") };
        }
        out.notify = Object.freeze(list as NotifyCondition[]);
        break;
      }
      case "ORCPT": {
        if (options.dsn !== true) return unknown(keyword);
        const semi = value?.indexOf(";") ?? -1;
        if (value === undefined || semi <= 0 || value.length > MAX_ORCPT_CHARS) {
          return { ok: false, reply: badArguments("Invalid ORCPT value") };
        }
        const addressType = value.slice(0, semi);
        const raw = value.slice(semi + 1);
        // RFC 6533 utf-8-addr-xtext may carry UTF-8 as is; plain xtext otherwise.
        const address = hasNonAscii(raw) ? raw : decodeXtext(raw);
        if (!ADDR_TYPE.test(addressType) || address === undefined || address.length === 0) {
          return { ok: false, reply: badArguments("Invalid ORCPT value") };
        }
        out.orcpt = Object.freeze({ addressType, address });
        break;
      }
      default:
        return unknown(keyword);
    }
    if (seen.has(keyword)) return { ok: false, reply: withText(ParserReplies.duplicateParameter, `Duplicate parameter ${keyword}`) };
    seen.add(keyword);
  }
  // Object.assign, not a spread: V8 takes a slow path for `{ ...out, raw }` (µs per command).
  return { ok: true, params: Object.freeze(Object.assign(out, { raw: Object.freeze(s.params) })) };
}
