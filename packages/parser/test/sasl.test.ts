import { describe, expect, it } from "vitest";
import { decodeBase64, decodeSaslLogin, decodeSaslPlain, encodeBase64 } from "../src/index.js";
import { bytes } from "./helpers.js";

const b64 = (s: string) => encodeBase64(bytes(s));
const code = (r: { ok: true } | { ok: false; reply: { code: number; enhanced?: string } }) => (r.ok ? "ok" : `${r.reply.code} ${r.reply.enhanced ?? ""}`);

describe("SASL helpers (RFC 4954, RFC 4616, RFC 4648)", () => {
  it("RFC 4648 §10: base64 test vectors encode and decode", () => {
    const vectors: [string, string][] = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
    for (const [plain, encoded] of vectors) {
      expect(encodeBase64(bytes(plain))).toBe(encoded);
      expect(decodeBase64(encoded)).toEqual(bytes(plain));
    }
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decodeBase64(encodeBase64(all))).toEqual(all);
  });

  it("RFC 4648 §3.3/§3.5: strict decoding rejects bad length, characters, padding and non-zero pad bits", () => {
    for (const s of ["Zg", "Zg=", "Zm9", "Zm9v\r\n", "Zm 9v", "Zm9v=", "Z===", "====", "Zg==Zg==", "Zm-v", "Zm_v", "Zh==", "Zm9=", "é123"]) {
      expect(decodeBase64(s), s).toBeUndefined();
    }
  });

  it("RFC 4616 §2: PLAIN is [authzid] NUL authcid NUL passwd", () => {
    expect(decodeSaslPlain(b64("\u0000tim\u0000tanstaaftanstaaf"))).toEqual({ ok: true, authorizationId: "", username: "tim", password: "tanstaaftanstaaf" });
    expect(decodeSaslPlain(b64("Ursel\u0000Kurt\u0000xipj3plmq"))).toEqual({ ok: true, authorizationId: "Ursel", username: "Kurt", password: "xipj3plmq" });
    expect(decodeSaslPlain(b64("\u0000jürgen\u0000pässwörd"))).toMatchObject({ ok: true, username: "jürgen", password: "pässwörd" });
  });

  it("RFC 4616 §2: malformed PLAIN messages give 501 5.5.2", () => {
    for (const m of ["tim\u0000pass", "\u0000\u0000pass", "\u0000tim\u0000", "a\u0000b\u0000c\u0000d", "", `\u0000${"u".repeat(256)}\u0000p`]) {
      expect(code(decodeSaslPlain(b64(m))), JSON.stringify(m)).toBe("501 5.5.2");
    }
    expect(code(decodeSaslPlain(encodeBase64(Uint8Array.of(0, 0xff, 0, 0x41))))).toBe("501 5.5.2"); // invalid UTF-8
    expect(code(decodeSaslPlain("="))).toBe("501 5.5.2"); // empty response
  });

  it("RFC 4954 §4: a response that is not base64 gives 501 5.5.2; '*' cancels with 501", () => {
    expect(code(decodeSaslPlain("not base64!"))).toBe("501 5.5.2");
    expect(decodeSaslPlain("*")).toMatchObject({ ok: false, reply: { code: 501 } });
    expect(decodeSaslLogin("*")).toMatchObject({ ok: false, reply: { code: 501, lines: ["Authentication cancelled"] } });
  });

  it("LOGIN: one base64 line is one UTF-8 value", () => {
    expect(decodeSaslLogin(b64("alice@example.com"))).toEqual({ ok: true, value: "alice@example.com" });
    expect(decodeSaslLogin("")).toEqual({ ok: true, value: "" });
    expect(code(decodeSaslLogin("YWxpY2U"))).toBe("501 5.5.2");
    expect(code(decodeSaslLogin(b64("a\u0000b")))).toBe("501 5.5.2");
  });
});
