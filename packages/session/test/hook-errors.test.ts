import { SmtpError } from "@lmail/codes";
import { describe, expect, it } from "vitest";
import { LOCAL_ERROR, replyForHookError } from "../src/index.js";

describe("a hook that throws (the Handler rule)", () => {
  it("an SmtpError sends its own reply", () => {
    const err = SmtpError.of(550, "5.7.1", "Not here");
    expect(replyForHookError(err)).toBe(err.reply);
  });

  it("anything else is 451 4.3.0, whose text never shows the error", () => {
    expect(replyForHookError(new Error("db password is hunter2"))).toBe(LOCAL_ERROR);
    expect(replyForHookError("a string")).toBe(LOCAL_ERROR);
    expect(LOCAL_ERROR).toMatchObject({ code: 451, enhanced: "4.3.0" });
    expect(LOCAL_ERROR.lines.join(" ")).not.toContain("hunter2");
  });
});
