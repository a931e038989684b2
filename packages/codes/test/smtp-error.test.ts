import { describe, expect, it } from "vitest";
import { isSmtpError, reply, SMTP_ERROR_CODE, SmtpError } from "../src/index.js";

describe("SmtpError", () => {
  it("carries its reply, a stable code and a cause", () => {
    const cause = new Error("disk");
    const err = new SmtpError(reply(452, "4.3.1", "Mailbox full"), { cause });
    expect(err.reply.code).toBe(452);
    expect(err.code).toBe(SMTP_ERROR_CODE);
    expect(err.cause).toBe(cause);
    expect(err.name).toBe("SmtpError");
    expect(err.message).toBe("452 4.3.1 Mailbox full");
    expect(err).toBeInstanceOf(Error);
  });

  it("SmtpError.of builds the reply", () => {
    const err = SmtpError.of(550, "5.1.1", ["No such", "user"]);
    expect(err.reply).toEqual(reply(550, "5.1.1", ["No such", "user"]));
    expect(err.message).toBe("550-5.1.1 No such 550 5.1.1 user");
  });

  it("the guard recognises errors from another copy of the package (same registry symbol)", () => {
    const foreign = Object.assign(new Error("x"), { reply: reply(550) });
    Object.defineProperty(foreign, Symbol.for("@lmail/codes.SmtpError"), { value: true });
    expect(isSmtpError(foreign)).toBe(true);
    expect(foreign instanceof SmtpError).toBe(true);
  });

  it("the guard rejects other values", () => {
    expect(isSmtpError(new Error("x"))).toBe(false);
    expect(isSmtpError(null)).toBe(false);
    expect(isSmtpError({ code: SMTP_ERROR_CODE })).toBe(false);
    expect(new Error("x") instanceof SmtpError).toBe(false);
  });
});
