// TEMPORARY: @lmail/parser's SASL decoders (decodeSaslPlain, decodeSaslLogin) have not landed yet.
// Until they do, every SASL response is answered 454 4.7.0 (AUTH temporarily unavailable).
import { reply, type Reply } from "@lmail/codes";

const unavailable: Reply = reply(454, "4.7.0", "Temporary authentication failure");

export function decodeSaslPlain(_b64: string): { ok: true; authorizationId: string; username: string; password: string } | { ok: false; reply: Reply } {
  return { ok: false, reply: unavailable };
}

export function decodeSaslLogin(_b64: string): { ok: true; value: string } | { ok: false; reply: Reply } {
  return { ok: false, reply: unavailable };
}
