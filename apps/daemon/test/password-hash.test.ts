import { describe, expect, it } from "vitest";
import { hashPassword, parseHash, verifyPassword, type ParsedHash } from "../src/password-hash.js";

const parsed = (text: string): ParsedHash => {
  const p = parseHash(text);
  if ("error" in p) throw new Error(p.error);
  return p;
};

describe("password hashes: scrypt in a PHC-like string", () => {
  it("writes $scrypt$ln=15,r=8,p=1$salt$key and verifies the right password only", async () => {
    const hash = await hashPassword("correct horse");
    expect(hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword("correct horse", parsed(hash))).toBe(true);
    expect(await verifyPassword("correct horsE", parsed(hash))).toBe(false);
    expect(await verifyPassword("", parsed(hash))).toBe(false);
  });

  it("salts every hash: the same password twice gives two different strings", async () => {
    const params = { ln: 10, r: 8, p: 1 };
    const [a, b] = await Promise.all([hashPassword("pw", params), hashPassword("pw", params)]);
    expect(a).not.toBe(b);
    expect(await verifyPassword("pw", parsed(b))).toBe(true);
  });

  it("keeps the parameters in the string, so a cheaper or dearer hash still verifies", async () => {
    const hash = await hashPassword("pw", { ln: 11, r: 4, p: 2 });
    expect(hash.startsWith("$scrypt$ln=11,r=4,p=2$")).toBe(true);
    expect(await verifyPassword("pw", parsed(hash))).toBe(true);
  });

  it("handles UTF-8 passwords", async () => {
    const hash = await hashPassword("pässwörd ✓", { ln: 10, r: 8, p: 1 });
    expect(await verifyPassword("pässwörd ✓", parsed(hash))).toBe(true);
    expect(await verifyPassword("passwort ✓", parsed(hash))).toBe(false);
  });

  it("refuses malformed strings and parameters outside safe bounds", () => {
    expect(parseHash("plaintext")).toHaveProperty("error");
    expect(parseHash("$2b$10$abcdefghijklmnopqrstuv")).toHaveProperty("error");
    expect(parseHash("$scrypt$ln=15,r=8,p=1$c2FsdHNhbHRzYWx0$")).toHaveProperty("error");
    expect(parseHash("$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5")).toHaveProperty("error");
    expect(parseHash("$scrypt$ln=15,r=8$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5")).toHaveProperty("error");
    expect(parseHash("$scrypt$ln=15,r=8,p=1$c2Fs$a2V5a2V5a2V5a2V5a2V5a2V5")).toHaveProperty("error");
  });
});
