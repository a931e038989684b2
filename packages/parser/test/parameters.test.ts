import { describe, expect, it } from "vitest";
import { decodeXtext, encodeXtext, parseMailParameters, parseRcptParameters, parseSizeValue, type ParameterOptions } from "../src/index.js";

const all: ParameterOptions = { size: true, eightBitMime: true, binaryMime: true, smtputf8: true, auth: true, dsn: true, requireTls: true };

function mail(text: string, options: ParameterOptions = all) {
  return parseMailParameters(text, options);
}
function code(r: { ok: true } | { ok: false; reply: { code: number; enhanced?: string } }): string {
  return r.ok ? "ok" : `${r.reply.code} ${r.reply.enhanced ?? ""}`;
}

describe("ESMTP parameters (RFC 5321 §4.1.2 esmtp-param)", () => {
  it("no parameters gives an empty raw list", () => {
    expect(mail("")).toEqual({ ok: true, params: { raw: [] } });
  });

  it("RFC 1870 §3: SIZE=n is decoded; 20 digits at most and never beyond Number.MAX_SAFE_INTEGER", () => {
    expect(mail("SIZE=0")).toMatchObject({ ok: true, params: { size: 0 } });
    expect(mail("size=1048576")).toMatchObject({ ok: true, params: { size: 1048576, raw: [["SIZE", "1048576"]] } });
    expect(mail(`SIZE=${Number.MAX_SAFE_INTEGER}`)).toMatchObject({ ok: true, params: { size: Number.MAX_SAFE_INTEGER } });
    for (const v of ["SIZE=9007199254740992", "SIZE=123456789012345678901", "SIZE=-1", "SIZE=1e3", "SIZE=", "SIZE", "SIZE=0x10", `SIZE=${"9".repeat(400)}`]) {
      expect(code(mail(v)), v).toBe("501 5.5.4");
    }
    expect(parseSizeValue("00000000000000000042")).toBe(42);
    expect(parseSizeValue("000000000000000000042")).toBeUndefined();
  });

  it("RFC 6152 / RFC 3030: BODY=7BIT, 8BITMIME, BINARYMIME, only when enabled", () => {
    expect(mail("BODY=7bit")).toMatchObject({ ok: true, params: { body: "7BIT" } });
    expect(mail("BODY=8BITMIME")).toMatchObject({ ok: true, params: { body: "8BITMIME" } });
    expect(mail("BODY=BINARYMIME")).toMatchObject({ ok: true, params: { body: "BINARYMIME" } });
    expect(code(mail("BODY=BINARYMIME", { eightBitMime: true }))).toBe("555 5.5.4");
    expect(code(mail("BODY=8BITMIME", {}))).toBe("555 5.5.4");
    expect(code(mail("BODY=QUOTED"))).toBe("501 5.5.4");
  });

  it("RFC 6531 §3.4: SMTPUTF8 takes no value", () => {
    expect(mail("SMTPUTF8")).toMatchObject({ ok: true, params: { smtputf8: true } });
    expect(code(mail("SMTPUTF8=yes"))).toBe("501 5.5.4");
    expect(code(mail("SMTPUTF8", { size: true }))).toBe("555 5.5.4");
  });

  it("RFC 4954 §5: AUTH=<> is null, AUTH=xtext is decoded", () => {
    expect(mail("AUTH=<>")).toMatchObject({ ok: true, params: { auth: null } });
    expect(mail("AUTH=e+3Dmc2@example.com")).toMatchObject({ ok: true, params: { auth: "e=mc2@example.com" } });
    expect(code(mail("AUTH=bad+zz"))).toBe("501 5.5.4");
  });

  it("RFC 3461 §4.3/§4.4: RET=FULL|HDRS and ENVID=xtext (at most 100 characters)", () => {
    expect(mail("RET=hdrs ENVID=QQ314159+2B1")).toMatchObject({ ok: true, params: { ret: "HDRS", envid: "QQ314159+1" } });
    expect(code(mail("RET=ALL"))).toBe("501 5.5.4");
    expect(code(mail(`ENVID=${"a".repeat(101)}`))).toBe("501 5.5.4");
    expect(code(mail("RET=FULL", { size: true }))).toBe("555 5.5.4");
  });

  it("RFC 8689 §4.1: REQUIRETLS takes no value", () => {
    expect(mail("REQUIRETLS")).toMatchObject({ ok: true, params: { requireTls: true } });
    expect(code(mail("REQUIRETLS", {}))).toBe("555 5.5.4");
  });

  it("RFC 5321 §4.1.1.11: an unknown parameter gives 555 5.5.4", () => {
    expect(code(mail("X-FOO=1"))).toBe("555 5.5.4");
    expect(code(mail("SIZE=10", {}))).toBe("555 5.5.4");
  });

  it("a duplicate parameter gives 501 5.5.4", () => {
    expect(code(mail("SIZE=1 SIZE=1"))).toBe("501 5.5.4");
    expect(code(mail("SMTPUTF8 smtputf8"))).toBe("501 5.5.4");
  });

  it("RFC 5321 §4.1.2 esmtp-keyword / esmtp-value syntax errors give 501 5.5.4", () => {
    for (const p of ["-X", "=1", "SIZE=1=2", "SIZE==1", "SI_ZE=1"]) expect(code(mail(p)), p).toBe("501 5.5.4");
    // UTF-8 values only when SMTPUTF8 is on (RFC 6531 §3.3), e.g. an RFC 6533 ORCPT
    expect(parseRcptParameters("ORCPT=utf-8;jö@example.com", all)).toMatchObject({ ok: true, params: { orcpt: { address: "jö@example.com" } } });
    expect(code(parseRcptParameters("ORCPT=utf-8;jö@example.com", { dsn: true }))).toBe("501 5.5.4");
    expect(code(mail("ENVID=é"))).toBe("501 5.5.4"); // ENVID stays xtext
    expect(mail("SIZE=1   BODY=8BITMIME")).toMatchObject({ ok: true, params: { size: 1, body: "8BITMIME" } });
  });

  it("RFC 3461 §4.1/§4.2: NOTIFY and ORCPT on RCPT", () => {
    expect(parseRcptParameters("NOTIFY=success,Failure ORCPT=rfc822;a+2Bb@example.com", all)).toEqual({
      ok: true,
      params: {
        notify: ["SUCCESS", "FAILURE"],
        orcpt: { addressType: "rfc822", address: "a+b@example.com" },
        raw: [["NOTIFY", "success,Failure"], ["ORCPT", "rfc822;a+2Bb@example.com"]],
      },
    });
    expect(parseRcptParameters("NOTIFY=NEVER", all)).toMatchObject({ ok: true, params: { notify: "NEVER" } });
    for (const p of ["NOTIFY=NEVER,SUCCESS", "NOTIFY=", "NOTIFY=DELAY,DELAY", "NOTIFY=SOMETIMES", "ORCPT=a@b", "ORCPT=;a@b", "ORCPT=rfc822;"]) {
      expect(code(parseRcptParameters(p, all)), p).toBe("501 5.5.4");
    }
    expect(code(parseRcptParameters("NOTIFY=NEVER", {}))).toBe("555 5.5.4");
    expect(code(parseRcptParameters("SIZE=1", all))).toBe("555 5.5.4");
    expect(code(parseRcptParameters("NOTIFY=NEVER NOTIFY=NEVER", all))).toBe("501 5.5.4");
  });

  it("RFC 3461 §4: xtext round-trips and rejects malformed escapes", () => {
    for (const s of ["plain", "a+b=c", "spaced out", "ünïcödé", "", "\u0001"]) expect(decodeXtext(encodeXtext(s))).toBe(s);
    expect(encodeXtext("a+b=c d")).toBe("a+2Bb+3Dc+20d");
    for (const s of ["+", "+2", "+2b", "a=b", "a b", "+FF"]) expect(decodeXtext(s), s).toBeUndefined();
  });
});
