/**
 * `C:` / `S:` transcripts: the way RFC 5321 writes examples, as test input.
 *
 * ```text
 * # a comment; blank lines are ignored
 * S: 220 mx.example ESMTP
 * C: EHLO client.example          (sent with CRLF)
 * C~ DATA\r\n.\r\n                (sent as written, without an added CRLF; escapes \r \n \t \\ \xHH)
 * S: 250-mx.example Hello client.example
 * S: 250 PIPELINING
 * C: <eof>                        (the client closes its sending side)
 * S: <closed>                     (the server closed the connection: no reply follows)
 * ```
 *
 * Consecutive client lines are sent in one write (as a pipelining client does); consecutive
 * server lines are the replies expected next, in order, each compared exactly.
 */

/** One step of a transcript. */
export type TranscriptStep =
  /** Bytes the client sends, in one write. */
  | { readonly kind: "send"; readonly bytes: Uint8Array; readonly line: number }
  /** The client closes its sending side. */
  | { readonly kind: "eof"; readonly line: number }
  /** The next reply the server sends: its full text, CRLF after every line. */
  | { readonly kind: "reply"; readonly text: string; readonly line: number }
  /** The server closes the connection with no further reply. */
  | { readonly kind: "closed"; readonly line: number };

/** Thrown for a transcript that cannot be parsed (a bug in the test, not in the server). */
export class TranscriptSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(`transcript line ${String(line)}: ${message}`);
    this.name = "TranscriptSyntaxError";
  }
}

const encoder = new TextEncoder();

/** Undo the escapes of a `C:`/`C~` line: \r \n \t \\ and \xHH (one octet). */
export function unescapeClientText(text: string, line = 0): Uint8Array {
  const parts: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c !== "\\") {
      parts.push(...encoder.encode(c));
      continue;
    }
    const n = text[++i];
    if (n === "r") parts.push(13);
    else if (n === "n") parts.push(10);
    else if (n === "t") parts.push(9);
    else if (n === "\\") parts.push(92);
    else if (n === "x" && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      parts.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else throw new TranscriptSyntaxError(`unknown escape \\${n ?? ""}`, line);
  }
  return Uint8Array.from(parts);
}

/** True when `line` is the last line of a reply (`ddd` or `ddd text`, not `ddd-text`). */
export function isLastReplyLine(line: string): boolean {
  return /^[0-9]{3}(?: |$)/.test(line);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Parse a transcript into steps. Throws {@link TranscriptSyntaxError}. */
export function parseTranscript(text: string): TranscriptStep[] {
  const steps: TranscriptStep[] = [];
  let send: { parts: Uint8Array[]; line: number } | undefined;
  let reply: { lines: string[]; line: number } | undefined;
  const flushSend = (): void => {
    if (send !== undefined) steps.push({ kind: "send", bytes: concat(send.parts), line: send.line });
    send = undefined;
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const n = index + 1;
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) return;
    const tag = line.slice(0, 2);
    const body = line.slice(2).replace(/^ /, "");
    if (tag === "C:" || tag === "C~") {
      if (reply !== undefined) throw new TranscriptSyntaxError("a reply is unfinished (its last line needs `ddd ` )", reply.line);
      if (body === "<eof>" && tag === "C:") {
        flushSend();
        steps.push({ kind: "eof", line: n });
        return;
      }
      send ??= { parts: [], line: n };
      send.parts.push(unescapeClientText(body, n));
      if (tag === "C:") send.parts.push(Uint8Array.of(13, 10));
      return;
    }
    if (tag === "S:") {
      flushSend();
      if (body === "<closed>") {
        if (reply !== undefined) throw new TranscriptSyntaxError("a reply is unfinished", reply.line);
        steps.push({ kind: "closed", line: n });
        return;
      }
      if (!/^[0-9]{3}(?:[ -]|$)/.test(body)) throw new TranscriptSyntaxError(`not a reply line: ${body}`, n);
      reply ??= { lines: [], line: n };
      reply.lines.push(body);
      if (isLastReplyLine(body)) {
        steps.push({ kind: "reply", text: reply.lines.map((l) => `${l}\r\n`).join(""), line: reply.line });
        reply = undefined;
      }
      return;
    }
    throw new TranscriptSyntaxError(`expected "C:", "C~", "S:", "#" or a blank line, got: ${raw}`, n);
  });
  flushSend();
  if (reply !== undefined) throw new TranscriptSyntaxError("the transcript ends inside a reply", reply.line);
  return steps;
}
