import { withText, type Reply } from "@lmail/codes";
import { asciiRun, decodeUtf8, hasControl, SP } from "./bytes.js";
import { parseForwardPath, parseReversePath } from "./address.js";
import { checkAddressLiteral, checkDomain } from "./domain.js";
import { parseMailParameters, parseRcptParameters, parseSizeValue } from "./parameters.js";
import { badArguments, ParserReplies } from "./replies.js";
import type { Command, CommandOptions, CommandResult, Verb } from "./types.js";

const VERBS: ReadonlySet<string> = new Set<Verb>([
  "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT",
  "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH",
]);

/**
 * First words of other protocols' requests sent to an SMTP port: HTTP/1.x methods, the HTTP/2
 * preface (`PRI * HTTP/2.0`), POP3 commands. Such a client is answered once and disconnected.
 */
const FOREIGN_VERBS: ReadonlySet<string> = new Set([
  "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "CONNECT", "PATCH", "TRACE", "PRI",
  "USER", "PASS", "APOP", "CAPA", "STLS",
]);

const LETTERS = /^[A-Za-z]+$/;
const MECHANISM = /^[A-Za-z0-9_-]{1,20}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// HELO/EHLO tolerance: NetBIOS-style names with "_" (sent by real Windows clients).
const LENIENT_LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?";
const LENIENT_HOST = new RegExp(`^${LENIENT_LABEL}(?:\\.${LENIENT_LABEL})*$`);

type Failure = Extract<CommandResult, { ok: false }>;

function fail(reply: Reply, verb?: Verb): Failure {
  return verb === undefined ? { ok: false, reply } : { ok: false, reply, verb };
}

function ok(command: Command): CommandResult {
  return { ok: true, command: Object.freeze(command) };
}

/** `text` without trailing spaces (a loop: the regex / +$/ backtracks quadratically on long space runs). */
function trimTrailingSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === SP) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** The first word as an upper-case ASCII verb, or undefined. */
function firstWord(line: Uint8Array): string | undefined {
  let end = line.indexOf(SP);
  if (end === -1) end = line.length;
  if (end === 0 || end > 16) return undefined;
  let word = "";
  for (let i = 0; i < end; i++) word += String.fromCharCode(line[i] ?? 0);
  return LETTERS.test(word) ? word.toUpperCase() : undefined;
}

/** The known verb `text` starts with (letters up to the first SP or the end, any case), else undefined. */
function asciiVerb(text: string): Verb | undefined {
  let end = text.indexOf(" ");
  if (end === -1) end = text.length;
  if (end < 4 || end > 8) return undefined;
  let upper = true;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) upper = false;
    else if (c < 0x41 || c > 0x5a) return undefined;
  }
  const word = end === text.length ? text : text.slice(0, end);
  const verb = upper ? word : word.toUpperCase();
  return VERBS.has(verb) ? (verb as Verb) : undefined;
}

/**
 * Find the path at the start of `text` (`<...>`, a `>` inside a quoted local part does not end it).
 * Returns its end index (after `>`), or -1.
 */
function pathEnd(text: string): number {
  if (!text.startsWith("<")) return -1;
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ">") return i + 1;
  }
  return -1;
}

/**
 * Split `FROM:<path> params` / `TO:<path> params` after the verb. Tolerates spaces after the colon
 * (some clients send `MAIL FROM: <a@b>`) and trailing spaces; nothing else.
 */
function splitPathArgument(arg: string, keyword: "FROM:" | "TO:"): { path: string; params: string } | undefined {
  if (arg.slice(0, keyword.length).toUpperCase() !== keyword) return undefined;
  let start = keyword.length;
  while (arg.charCodeAt(start) === SP) start++;
  const rest = arg.slice(start);
  const end = pathEnd(rest);
  if (end === -1) return undefined;
  const after = rest.slice(end);
  if (after !== "" && !after.startsWith(" ")) return undefined;
  return { path: rest.slice(0, end), params: trimTrailingSpaces(after) };
}

function helo(verb: "HELO" | "EHLO" | "LHLO", arg: string | undefined): CommandResult {
  const name = arg === undefined ? "" : trimTrailingSpaces(arg);
  if (name === "" || name.includes(" ")) return fail(badArguments(`Syntax: ${verb} hostname`), verb);
  const check = name.startsWith("[") ? checkAddressLiteral(name) : checkDomain(name, true);
  if (!check.ok && !LENIENT_HOST.test(name)) return fail(badArguments(`${verb}: invalid hostname`), verb);
  return ok({ verb, name });
}

function parseVerb(verb: Verb, arg: string | undefined, options: CommandOptions): CommandResult {
  // `arg` is everything after the single SP that follows the verb; undefined when there is none.
  const trimmed = arg === undefined ? "" : trimTrailingSpaces(arg);
  switch (verb) {
    case "HELO":
    case "EHLO":
    case "LHLO":
      return helo(verb, arg);
    case "MAIL": {
      const parts = arg === undefined ? undefined : splitPathArgument(arg, "FROM:");
      if (parts === undefined) return fail(badArguments("Syntax: MAIL FROM:<address> [parameters]"), verb);
      const params = parseMailParameters(parts.params, options.parameters);
      if (!params.ok) return fail(params.reply, verb);
      const from = parseReversePath(parts.path, { utf8: params.params.smtputf8 === true });
      if (!from.ok) return fail(from.reply, verb);
      return ok({ verb, from: from.address, params: params.params });
    }
    case "RCPT": {
      const parts = arg === undefined ? undefined : splitPathArgument(arg, "TO:");
      if (parts === undefined) return fail(badArguments("Syntax: RCPT TO:<address> [parameters]"), verb);
      const params = parseRcptParameters(parts.params, options.parameters);
      if (!params.ok) return fail(params.reply, verb);
      const to = parseForwardPath(parts.path, { utf8: options.utf8Addresses === true });
      if (!to.ok) return fail(to.reply, verb);
      return ok({ verb, to: to.address, params: params.params });
    }
    case "DATA":
    case "RSET":
    case "QUIT":
    case "STARTTLS":
      if (trimmed !== "") return fail(badArguments(`Syntax: ${verb} takes no arguments`), verb);
      return ok({ verb });
    case "NOOP":
    case "HELP":
      return ok(trimmed === "" ? { verb } : { verb, argument: trimmed });
    case "VRFY":
    case "EXPN":
      if (trimmed === "") return fail(badArguments(`Syntax: ${verb} string`), verb);
      return ok({ verb, argument: trimmed });
    case "BDAT": {
      // RFC 3030 §2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]; chunk-size = 1*DIGIT; end-marker = "LAST"
      const words = trimmed.split(" ");
      const size = parseSizeValue(words[0] ?? "");
      const marker = words[1];
      if (size === undefined || words.length > 2 || (marker !== undefined && marker.toUpperCase() !== "LAST")) {
        return fail(badArguments("Syntax: BDAT size [LAST]"), verb);
      }
      return ok({ verb, size, last: marker !== undefined });
    }
    case "AUTH": {
      // RFC 4954 §4: "AUTH" SP sasl-mech [SP initial-response]; initial-response = base64 / "="
      const words = trimmed.split(" ");
      const mechanism = words[0] ?? "";
      const initial = words[1];
      if (!MECHANISM.test(mechanism) || words.length > 2) return fail(badArguments("Syntax: AUTH mechanism [initial-response]"), verb);
      if (initial === undefined) return ok({ verb, mechanism: mechanism.toUpperCase() });
      if (initial !== "=" && (initial === "" || !BASE64.test(initial))) return fail(ParserReplies.badBase64, verb);
      return ok({ verb, mechanism: mechanism.toUpperCase(), initialResponse: initial });
    }
  }
}

/**
 * Parse one command line (without its CRLF) into a {@link Command}, or the reply to send.
 *
 * Verbs are case-insensitive ASCII. The line must be valid UTF-8 without control characters (else
 * 500 5.5.2, or 501 5.5.4 after a known verb). Exactly one SP separates verb and arguments;
 * tolerated deviations: spaces after `FROM:`/`TO:`, several spaces between ESMTP parameters,
 * trailing spaces, `_` in a HELO/EHLO name. Lines of other protocols (HTTP, POP3, a TLS record)
 * fail with `crossProtocol: true`. Never throws.
 */
export function parseCommand(line: Uint8Array, options: CommandOptions = {}): CommandResult {
  if (line[0] === 0x16 && line[1] === 0x03) return { ok: false, reply: ParserReplies.crossProtocol, crossProtocol: true };
  if (line.length === 0) return fail(withText(ParserReplies.syntaxError, "Syntax error: empty command"));
  // The common line, printable US-ASCII after a known verb: one pass over the octets, no decoder.
  // Printable US-ASCII (SP to "~"): valid UTF-8 with no control character, one character per octet.
  const ascii = asciiRun(line, 0, line.length, 0x20, 0x7e);
  if (ascii !== undefined) {
    const verb = asciiVerb(ascii);
    if (verb !== undefined) {
      const arg = ascii.length > verb.length ? ascii.slice(verb.length + 1) : undefined;
      try {
        return parseVerb(verb, arg, options);
      } catch {
        return fail(ParserReplies.syntaxError, verb);
      }
    }
  }
  const word = firstWord(line);
  if (word !== undefined && FOREIGN_VERBS.has(word)) return { ok: false, reply: ParserReplies.crossProtocol, crossProtocol: true };
  const verb = word !== undefined && VERBS.has(word) ? (word as Verb) : undefined;
  const text = decodeUtf8(line);
  if (text === undefined || hasControl(text)) {
    return verb === undefined ? fail(ParserReplies.syntaxError) : fail(ParserReplies.badCharacters, verb);
  }
  if (verb === undefined) {
    if (/ HTTP\/[0-9]/.test(text)) return { ok: false, reply: ParserReplies.crossProtocol, crossProtocol: true };
    return fail(ParserReplies.unknownCommand);
  }
  const arg = text.length > verb.length ? text.slice(verb.length + 1) : undefined;
  try {
    return parseVerb(verb, arg, options);
  } catch {
    // Defence in depth: no client input may make the parser throw.
    return fail(ParserReplies.syntaxError, verb);
  }
}
