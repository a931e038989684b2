import { describe, expect, it } from "vitest";
import { formatHostPort, parseHostPort } from "../src/host-port.js";

describe("HOST:PORT endpoints (--listen, --listen-tls, --metrics)", () => {
  it("parses IPv4, names, bracketed IPv6 and port 0", () => {
    expect(parseHostPort("127.0.0.1:2525")).toEqual({ host: "127.0.0.1", port: 2525 });
    expect(parseHostPort("localhost:0")).toEqual({ host: "localhost", port: 0 });
    expect(parseHostPort("[::1]:25")).toEqual({ host: "::1", port: 25 });
    expect(parseHostPort("[fe80::1%eth0]:25")).toEqual({ host: "fe80::1%eth0", port: 25 });
  });

  it("refuses what is not HOST:PORT", () => {
    for (const bad of ["2525", "::1:25", "host:", ":25", "host:65536", "host:25x", "a b:25", "[::1]25"]) {
      expect(parseHostPort(bad)).toHaveProperty("error");
    }
  });

  it("formats back, bracketing IPv6", () => {
    expect(formatHostPort({ host: "::1", port: 25 })).toBe("[::1]:25");
    expect(formatHostPort({ host: "127.0.0.1", port: 0 })).toBe("127.0.0.1:0");
  });
});
