import { describe, expect, it } from "vitest";
import { parseCommand, type CommandOptions } from "../src/index.js";
import { bytes, raw } from "./helpers.js";

const options: CommandOptions = { parameters: { size: true, eightBitMime: true, smtputf8: true, dsn: true } };

function parse(line: string, o: CommandOptions = options) {
  return parseCommand(bytes(line), o);
}
function command(line: string, o: CommandOptions = options) {
  const r = parse(line, o);
  if (!r.ok) throw new Error(`expected "${line}" to parse: ${r.reply.code} ${r.reply.lines.join(" ")}`);
  return r.command;
}
function code(line: string | Uint8Array, o: CommandOptions = options): string {
  const r = typeof line === "string" ? parse(line, o) : parseCommand(line, o);
  return r.ok ? "ok" : `${r.reply.code} ${r.reply.enhanced ?? ""}`;
}

describe("commands (RFC 5321 §4.1.1)", () => {
  it("RFC 5321 §2.4: verbs are case-insensitive", () => {
    for (const v of ["QUIT", "quit", "QuIt"]) expect(command(v)).toEqual({ verb: "QUIT" });
    expect(command("ehlo Example.com")).toEqual({ verb: "EHLO", name: "Example.com" });
  });

  it("RFC 5321 §4.1.1.1: HELO/EHLO take a domain or address literal; LHLO (RFC 2033) too", () => {
    expect(command("HELO mx.example.com")).toEqual({ verb: "HELO", name: "mx.example.com" });
    expect(command("EHLO [192.0.2.1]")).toEqual({ verb: "EHLO", name: "[192.0.2.1]" });
    expect(command("EHLO [IPv6:2001:db8::1]")).toEqual({ verb: "EHLO", name: "[IPv6:2001:db8::1]" });
    expect(command("LHLO localhost")).toEqual({ verb: "LHLO", name: "localhost" });
    expect(command("EHLO WIN_PC")).toEqual({ verb: "EHLO", name: "WIN_PC" }); // tolerated: NetBIOS names
    expect(command("EHLO host ")).toEqual({ verb: "EHLO", name: "host" }); // tolerated: trailing space
    for (const l of ["EHLO", "EHLO ", "HELO a b", "EHLO [300.1.1.1]", "EHLO -bad-", "EHLO a..b", "EHLO  host"]) {
      expect(code(l), l).toBe("501 5.5.4");
    }
    const r = parse("EHLO");
    expect(!r.ok && r.verb).toBe("EHLO");
  });

  it("RFC 5321 §4.1.1.2: MAIL FROM:<reverse-path> [SP Mail-parameters]", () => {
    const c = command("MAIL FROM:<a@example.com> SIZE=1000 BODY=8BITMIME");
    expect(c).toMatchObject({ verb: "MAIL", from: { raw: "a@example.com" }, params: { size: 1000, body: "8BITMIME" } });
    expect(command("MAIL FROM:<>")).toEqual({ verb: "MAIL", from: null, params: { raw: [] } });
    expect(command("mail from:<>")).toMatchObject({ verb: "MAIL", from: null });
    // tolerated: a space after the colon (some clients send it), trailing spaces
    expect(command("MAIL FROM: <a@example.com>")).toMatchObject({ from: { raw: "a@example.com" } });
    expect(command("MAIL FROM:<a@example.com>  ")).toMatchObject({ from: { raw: "a@example.com" } });
  });

  it("RFC 5321 §4.1.1.2: malformed MAIL arguments give 501 5.5.4, bad addresses 553 5.1.7", () => {
    for (const l of ["MAIL", "MAIL FROM", "MAIL FROM:", "MAIL FROM:a@example.com", "MAIL TO:<a@example.com>", "MAIL FROM:<a@example.com>SIZE=1", "MAIL  FROM:<a@example.com>", "MAIL FROM:<a@example.com"]) {
      expect(code(l), l).toBe("501 5.5.4");
    }
    expect(code("MAIL FROM:<a@-example.com>")).toBe("553 5.1.7");
    expect(code("MAIL FROM:<a@example.com> X-UNKNOWN=1")).toBe("555 5.5.4");
    expect(code("MAIL FROM:<a@example.com> SIZE=1 SIZE=2")).toBe("501 5.5.4");
    expect(code("MAIL FROM:<a@example.com> SIZE=99999999999999999999999")).toBe("501 5.5.4");
  });

  it("RFC 6531 §3.4: MAIL accepts a UTF-8 reverse-path only with its own SMTPUTF8 parameter", () => {
    expect(code("MAIL FROM:<jö@bücher.example>")).toBe("553 5.6.7");
    expect(command("MAIL FROM:<jö@bücher.example> SMTPUTF8")).toMatchObject({ from: { asciiDomain: "xn--bcher-kva.example" } });
    expect(code("MAIL FROM:<jö@bücher.example> SMTPUTF8", { parameters: {} })).toBe("555 5.5.4");
  });

  it("RFC 5321 §4.1.1.3: RCPT TO:<forward-path> [SP Rcpt-parameters], <Postmaster> included", () => {
    expect(command("RCPT TO:<b@example.com> NOTIFY=NEVER")).toMatchObject({ verb: "RCPT", to: { raw: "b@example.com" }, params: { notify: "NEVER" } });
    expect(command("RCPT TO:<Postmaster>")).toMatchObject({ to: { postmaster: true } });
    expect(command("rcpt to: <b@example.com>")).toMatchObject({ to: { raw: "b@example.com" } });
    expect(code("RCPT TO:<>")).toBe("553 5.1.3");
    expect(code("RCPT TO:b@example.com")).toBe("501 5.5.4");
    expect(code("RCPT FROM:<b@example.com>")).toBe("501 5.5.4");
    expect(code("RCPT TO:<b@example.com> SIZE=1")).toBe("555 5.5.4");
    expect(code("RCPT TO:<jö@example.com>")).toBe("553 5.6.7");
    expect(code("RCPT TO:<jö@example.com>", { ...options, utf8Addresses: true })).toBe("ok");
  });

  it("RFC 5321 §4.1.1.4-§4.1.1.10: DATA, RSET, QUIT and STARTTLS (RFC 3207) take no argument", () => {
    for (const v of ["DATA", "RSET", "QUIT", "STARTTLS"]) {
      expect(command(v)).toEqual({ verb: v });
      expect(code(`${v} now`), v).toBe("501 5.5.4");
    }
  });

  it("RFC 5321 §4.1.1.8/§4.1.1.9: NOOP and HELP take an optional string", () => {
    expect(command("NOOP")).toEqual({ verb: "NOOP" });
    expect(command("NOOP hello there")).toEqual({ verb: "NOOP", argument: "hello there" });
    expect(command("HELP MAIL")).toEqual({ verb: "HELP", argument: "MAIL" });
  });

  it("RFC 5321 §4.1.1.6/§4.1.1.7: VRFY and EXPN need a string", () => {
    expect(command("VRFY postmaster")).toEqual({ verb: "VRFY", argument: "postmaster" });
    expect(command("EXPN staff")).toEqual({ verb: "EXPN", argument: "staff" });
    expect(code("VRFY")).toBe("501 5.5.4");
    expect(code("EXPN ")).toBe("501 5.5.4");
  });

  it("RFC 3030 §2: BDAT chunk-size [LAST], sizes safe against overflow", () => {
    expect(command("BDAT 0 LAST")).toEqual({ verb: "BDAT", size: 0, last: true });
    expect(command("bdat 86 last")).toEqual({ verb: "BDAT", size: 86, last: true });
    expect(command("BDAT 1000")).toEqual({ verb: "BDAT", size: 1000, last: false });
    for (const l of ["BDAT", "BDAT x", "BDAT -1", "BDAT 10 FIRST", "BDAT 10 LAST x", "BDAT 99999999999999999999999", "BDAT 9007199254740993"]) {
      expect(code(l), l).toBe("501 5.5.4");
    }
  });

  it("RFC 4954 §4: AUTH mechanism [initial-response], base64 or =", () => {
    expect(command("AUTH plain")).toEqual({ verb: "AUTH", mechanism: "PLAIN" });
    expect(command("AUTH PLAIN AHVzZXIAcGFzcw==")).toEqual({ verb: "AUTH", mechanism: "PLAIN", initialResponse: "AHVzZXIAcGFzcw==" });
    expect(command("AUTH PLAIN =")).toEqual({ verb: "AUTH", mechanism: "PLAIN", initialResponse: "=" });
    expect(command("AUTH SCRAM-SHA-256")).toMatchObject({ mechanism: "SCRAM-SHA-256" });
    expect(code("AUTH")).toBe("501 5.5.4");
    expect(code("AUTH PL@IN")).toBe("501 5.5.4");
    expect(code("AUTH PLAIN a b")).toBe("501 5.5.4");
    expect(code("AUTH PLAIN !!!!")).toBe("501 5.5.2");
    expect(code("AUTH PLAIN abc")).toBe("501 5.5.2");
  });

  it("RFC 5321 §4.2.4: an unknown command gives 500 5.5.1 without a verb", () => {
    const r = parse("XYZZY plugh");
    expect(r).toMatchObject({ ok: false, reply: { code: 500, enhanced: "5.5.1" } });
    expect(!r.ok && r.verb).toBeUndefined();
    expect(code("MAILFROM:<a@b>")).toBe("500 5.5.1");
    expect(code(" QUIT")).toBe("500 5.5.1");
  });

  it("RFC 5321 §4.2.2: an empty line is a syntax error (500 5.5.2)", () => {
    expect(code("")).toBe("500 5.5.2");
  });

  it("control characters, NUL and invalid UTF-8 are rejected (500 5.5.2, or 501 5.5.4 after a known verb)", () => {
    expect(code(raw("NOOP \u0000"))).toBe("501 5.5.4");
    expect(code(raw("MAIL FROM:<a\u0007@b.c>"))).toBe("501 5.5.4");
    expect(code(raw("NOOP \tx"))).toBe("501 5.5.4");
    expect(code(raw("NOOP \u007f"))).toBe("501 5.5.4");
    expect(code(raw("NOOP \xc3\x28"))).toBe("501 5.5.4"); // invalid UTF-8
    expect(code(raw("NOOP \xc0\xaf"))).toBe("501 5.5.4"); // overlong
    expect(code(raw("NOOP \xed\xa0\x80"))).toBe("501 5.5.4"); // surrogate
    expect(code(bytes("NOOP \u0085"))).toBe("501 5.5.4"); // C1 control
    expect(code(raw("\u0000QUIT"))).toBe("500 5.5.2");
    expect(code(raw("XX\xff"))).toBe("500 5.5.2");
    // Unicode case mapping cannot forge a verb: "ſ" (U+017F) upper-cases to "S"
    expect(code(bytes("ſtarttls"))).toBe("500 5.5.1");
  });

  it("cross-protocol lines (HTTP, POP3, TLS) are flagged so the session can close", () => {
    for (const l of ["GET / HTTP/1.1", "POST /x HTTP/1.0", "CONNECT mx.example.com:25 HTTP/1.1", "USER alice", "PRI * HTTP/2.0", "HEAD /", "FOO / HTTP/1.1"]) {
      expect(parse(l), l).toMatchObject({ ok: false, crossProtocol: true, reply: { code: 500 } });
    }
    expect(parseCommand(raw("\x16\x03"))).toMatchObject({ ok: false, crossProtocol: true });
    expect(parseCommand(raw("\x16\x03\x01\x02\x00"))).toMatchObject({ ok: false, crossProtocol: true });
    expect(parse("XYZZY")).not.toHaveProperty("crossProtocol");
  });

  it("long runs of spaces take linear time, whatever the line limit (no regex backtracking)", () => {
    const start = performance.now();
    expect(command(`NOOP ${" ".repeat(200_000)}x`)).toMatchObject({ verb: "NOOP" });
    expect(command(`VRFY x${" ".repeat(200_000)}`)).toEqual({ verb: "VRFY", argument: "x" });
    expect(code(`MAIL FROM:${" ".repeat(200_000)}<a@b.example>${" ".repeat(200_000)}x`)).toBe("555 5.5.4");
    expect(performance.now() - start).toBeLessThan(2_000);
  });

  it("results are frozen values", () => {
    const r = parse("MAIL FROM:<a@example.com> SIZE=5");
    expect(r.ok && Object.isFrozen(r.command)).toBe(true);
    expect(r.ok && r.command.verb === "MAIL" && Object.isFrozen(r.command.params)).toBe(true);
  });
});
