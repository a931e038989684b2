import { describe, expect, it } from "vitest";
import { defaultText, isReplyCode, ReplyCode, replyClass, replyCodes, SeedCodes, SmtpErrors } from "../src/index.js";

describe("reply codes (RFC 5321 §4.2.2, §4.2.3; RFC 4954 §6)", () => {
  it("RFC 5321 §4.2.3: every reply code of the numeric order list is known, with a name and text", () => {
    const rfc5321 = [211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455, 500, 501, 502, 503, 504, 550, 551, 552, 553, 554, 555];
    for (const code of rfc5321) {
      const info = replyCodes.get(code as never);
      expect(info, String(code)).toBeDefined();
      expect(info!.name.length).toBeGreaterThan(0);
      expect(info!.text.length).toBeGreaterThan(0);
    }
  });

  it("RFC 4954 §6: AUTH codes 235, 334, 432, 454, 500, 530, 534, 535, 538 are known", () => {
    for (const code of [235, 334, 432, 454, 500, 530, 534, 535, 538]) expect(replyCodes.has(code as never), String(code)).toBe(true);
    expect(ReplyCode.AuthSucceeded).toBe(235);
    expect(ReplyCode.EncryptionRequired).toBe(538);
    expect(ReplyCode.AuthCredentialsInvalid).toBe(535);
  });

  it("names map to codes and back", () => {
    for (const [name, code] of Object.entries(ReplyCode)) expect(replyCodes.get(code)?.name).toBe(name);
  });

  it("the seed's constants keep their values", () => {
    expect(SeedCodes.CodeReady).toBe(220);
    expect(SeedCodes.CodeMailAborted).toBe(552);
    expect(SeedCodes.CodeTlsNotAvailable).toBe(454);
    expect(Object.keys(SeedCodes)).toHaveLength(23);
  });

  it("the seed's SmtpErrors texts are kept, typo corrected", () => {
    expect(SmtpErrors[503]).toBe("Bad sequence of commands");
    expect(SmtpErrors[552]).toBe("Requested mail action aborted: exceeded storage allocation");
    expect(Object.keys(SmtpErrors).map(Number).sort()).toEqual([500, 501, 502, 503, 504, 550, 551, 552, 553, 554]);
  });

  it("RFC 5321 §4.2: a reply code is [2-5][0-5][0-9]", () => {
    expect(isReplyCode(250)).toBe(true);
    expect(isReplyCode(559)).toBe(true);
    expect(isReplyCode(199)).toBe(false);
    expect(isReplyCode(260)).toBe(false);
    expect(isReplyCode(600)).toBe(false);
    expect(isReplyCode(250.5)).toBe(false);
  });

  it("RFC 5321 §4.2.1: the first digit gives the class", () => {
    expect(replyClass(250)).toBe("positive");
    expect(replyClass(354)).toBe("intermediate");
    expect(replyClass(451)).toBe("transient");
    expect(replyClass(550)).toBe("permanent");
  });

  it("unknown codes get a text for their class", () => {
    expect(defaultText(299)).toBe("OK");
    expect(defaultText(399)).toBe("Continue");
    expect(defaultText(499)).toBe("Temporary failure");
    expect(defaultText(599)).toBe("Permanent failure");
    expect(defaultText(334)).toBe("Continue");
  });
});
