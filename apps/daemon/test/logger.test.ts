import { describe, expect, it } from "vitest";
import { createLogger, formatPretty } from "../src/logger.js";

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(s) } };
}

describe("logs: pino JSON lines, or pretty", () => {
  it("json: one object per line with level, time and fields", () => {
    const c = capture();
    const log = createLogger({ format: "json", level: "info", destination: c.destination });
    log.info({ id: "c1", size: 12 }, "transaction");
    log.debug("hidden at info");
    expect(c.lines).toHaveLength(1);
    const record = JSON.parse(c.lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 30, msg: "transaction", id: "c1", size: 12 });
    expect(typeof record.time).toBe("number");
  });

  it("pretty: time, level, message and key=value fields on one line", () => {
    const c = capture();
    const log = createLogger({ format: "pretty", level: "info", destination: c.destination });
    log.warn({ client: "127.0.0.1:5000", recipients: ["a@b"], note: "two words" }, "tls handshake failed");
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}tls handshake failed client=127\.0\.0\.1:5000 recipients=\["a@b"\] note="two words"\n$/);
  });

  it("pretty never writes a control character raw: a client-chosen name with ESC or BEL is quoted and escaped", () => {
    const line = formatPretty(JSON.stringify({ level: 30, time: 0, msg: "auth", user: "\u001b]0;pwned\u0007x" }));
    expect([...line.slice(0, -1)].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)).toBe(false);
    expect(line).toContain('user="\\u001b]0;pwned\\u0007x"');
  });

  it("pretty passes through a line that is not JSON", () => {
    expect(formatPretty("plain")).toBe("plain\n");
  });
});
