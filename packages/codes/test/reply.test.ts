import { describe, expect, it } from "vitest";
import { isIntermediate, isPermanent, isPositive, isTransient, reply, withText } from "../src/index.js";

describe("Reply values", () => {
  it("carries code, enhanced code and lines, frozen", () => {
    const r = reply(250, "2.1.0", "Sender ok");
    expect(r).toEqual({ code: 250, enhanced: "2.1.0", lines: ["Sender ok"] });
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.lines)).toBe(true);
  });

  it("uses the code's default text when none is given, or an empty list is", () => {
    expect(reply(503, "5.5.1").lines).toEqual(["Bad sequence of commands"]);
    expect(reply(503, "5.5.1", []).lines).toEqual(["Bad sequence of commands"]);
  });

  it("has no enhanced property when none is given", () => {
    expect("enhanced" in reply(354)).toBe(false);
  });

  it("RFC 3463 §2: rejects an enhanced code whose class does not match (a programming error)", () => {
    expect(() => reply(250, "5.0.0")).toThrow(RangeError);
    expect(() => reply(550, "4.0.0")).toThrow(RangeError);
    expect(() => reply(354, "2.0.0")).toThrow(RangeError);
    expect(() => reply(700)).toThrow(RangeError);
    expect(() => reply(250, "2.x.0" as never)).toThrow(RangeError);
  });

  it("classifies replies", () => {
    expect(isPositive(reply(250))).toBe(true);
    expect(isIntermediate(reply(354))).toBe(true);
    expect(isTransient(reply(451))).toBe(true);
    expect(isPermanent(reply(554))).toBe(true);
    expect(isPositive(reply(550))).toBe(false);
  });

  it("withText keeps the codes", () => {
    expect(withText(reply(550, "5.1.1"), "No such user")).toEqual({ code: 550, enhanced: "5.1.1", lines: ["No such user"] });
  });
});
