import { describe, expect, it } from "vitest";
import { decideRecipient, mailboxName, unsafeLocalPartReason, type RecipientPolicyOptions } from "../src/recipient-policy.js";

const open: RecipientPolicyOptions = { domains: ["localhost", "example.com"], mailboxes: new Map() };
const declared: RecipientPolicyOptions = { domains: ["localhost", "example.com"], mailboxes: new Map([["example.com", new Set(["alice", "postmaster"])]]) };
const rcpt = (local: string, domain = "localhost", isAddressLiteral = false) => ({ localPartUnquoted: local, asciiDomain: domain, isAddressLiteral });

describe("recipient policy: local domains and mailboxes (issue 7 delivery contract)", () => {
  it("accepts any safely named local part in a domain without declared mailboxes", () => {
    expect(decideRecipient(rcpt("you"), open)).toEqual({ accept: true, domain: "localhost", mailbox: "you" });
  });

  it("lowercases the local part and strips the +tag subaddress (RFC 5233)", () => {
    expect(decideRecipient(rcpt("You+Lists"), open)).toEqual({ accept: true, domain: "localhost", mailbox: "you" });
    expect(decideRecipient(rcpt("a+b+c"), open)).toMatchObject({ mailbox: "a" });
    expect(mailboxName("ÉLISE")).toBe("élise");
  });

  it("refuses other domains with 550 5.7.1: no relay, ever", () => {
    for (const r of [rcpt("you", "example.org"), rcpt("you", "[127.0.0.1]", true), rcpt("you", "localhost.example")]) {
      const decision = decideRecipient(r, open);
      expect(decision.accept).toBe(false);
      if (!decision.accept) {
        expect(decision.reply.code).toBe(550);
        expect(decision.reply.enhanced).toBe("5.7.1");
      }
    }
  });

  it("once mailboxes are declared for a domain, accepts only them (others 550 5.1.1 at RCPT)", () => {
    expect(decideRecipient(rcpt("Alice+x", "example.com"), declared)).toEqual({ accept: true, domain: "example.com", mailbox: "alice" });
    const bob = decideRecipient(rcpt("bob", "example.com"), declared);
    expect(bob).toMatchObject({ accept: false, reply: { code: 550, enhanced: "5.1.1" } });
    // the other local domain has no declared mailboxes and stays open
    expect(decideRecipient(rcpt("bob", "localhost"), declared)).toMatchObject({ accept: true, mailbox: "bob" });
  });

  it("accepts <Postmaster> without a domain for the first local domain (RFC 5321 §4.1.1.3)", () => {
    expect(decideRecipient({ postmaster: true }, open)).toEqual({ accept: true, domain: "localhost", mailbox: "postmaster" });
    const onlyDeclared: RecipientPolicyOptions = { domains: ["example.com"], mailboxes: new Map([["example.com", new Set(["alice"])]]) };
    expect(decideRecipient({ postmaster: true }, onlyDeclared)).toEqual({ accept: true, domain: "example.com", mailbox: "postmaster" });
  });

  it.each([
    ["a/b", "contains a path separator"],
    ["a\\b", "contains a path separator"],
    ["..", 'contains ".."'],
    ["a..b", 'contains ".."'],
    [".hidden", 'starts with "."'],
    [".", 'starts with "."'],
    ["a\u0000b", "contains a control character"],
    ["a\tb", "contains a control character"],
    ["a\u007fb", "contains a control character"],
    ["a\u0085b", "contains a control character"],
    ["", "is empty"],
  ])("refuses the local part %j that could escape the maildir root or hide a file (553 5.1.3)", (local, reason) => {
    expect(unsafeLocalPartReason(local)).toBe(reason);
    expect(decideRecipient(rcpt(local), open)).toMatchObject({ accept: false, reply: { code: 553, enhanced: "5.1.3" } });
  });

  it("checks the whole local part before stripping the tag, and the mailbox after", () => {
    expect(decideRecipient(rcpt("../etc+x"), open).accept).toBe(false);
    expect(decideRecipient(rcpt("x+/../../etc"), open).accept).toBe(false);
    // "+tag" alone leaves an empty mailbox name
    expect(decideRecipient(rcpt("+tag"), open).accept).toBe(false);
    // ".+x" leaves "." 
    expect(decideRecipient(rcpt(".+x"), open).accept).toBe(false);
  });

  it("accepts ordinary names with dots, dashes and UTF-8 (SMTPUTF8)", () => {
    for (const local of ["first.last", "a-b_c", "üser", "o'brien", "x="]) {
      expect(decideRecipient(rcpt(local), open).accept).toBe(true);
    }
  });
});
