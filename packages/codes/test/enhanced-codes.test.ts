import { describe, expect, it } from "vitest";
import { describeEnhanced, Enhanced, isEnhancedCode } from "../src/index.js";

describe("enhanced status codes (RFC 3463, RFC 2034)", () => {
  it("RFC 3463 §2: class.subject.detail, class 2, 4 or 5, up to three digits each", () => {
    expect(isEnhancedCode("2.0.0")).toBe(true);
    expect(isEnhancedCode("5.7.11")).toBe(true);
    expect(isEnhancedCode("4.123.999")).toBe(true);
    expect(isEnhancedCode("3.0.0")).toBe(false);
    expect(isEnhancedCode("5.1")).toBe(false);
    expect(isEnhancedCode("5.1.1000")).toBe(false);
    expect(isEnhancedCode("5.01.1")).toBe(false);
    expect(isEnhancedCode(" 5.1.1")).toBe(false);
  });

  it("every condition the server reports has a well-formed, registered code", () => {
    const required = ["2.0.0", "2.1.0", "2.1.5", "2.6.0", "4.3.0", "4.3.1", "4.4.2", "4.5.3", "4.7.0", "5.1.1", "5.1.3", "5.2.2", "5.3.4", "5.5.1", "5.5.2", "5.5.4", "5.5.6", "5.6.7", "5.7.0", "5.7.1", "5.7.8", "5.7.11"];
    const values = Object.values(Enhanced) as string[];
    for (const code of required) expect(values, code).toContain(code);
    for (const code of Object.values(Enhanced)) {
      expect(isEnhancedCode(code), code).toBe(true);
      expect(describeEnhanced(code), code).toBeTypeOf("string");
    }
  });

  it("RFC 4954: 5.7.8 and 5.7.11 mean what AUTH says", () => {
    expect(describeEnhanced("5.7.8")).toBe("Authentication credentials invalid");
    expect(describeEnhanced("5.7.11")).toBe("Encryption required for requested authentication mechanism");
    expect(describeEnhanced("5.99.99")).toBeUndefined();
  });
});
