import type { Handler, HookContext } from "@lmail/session";
import { describe, expect, it } from "vitest";
import { bindHooks, clientKey, mailboxPath } from "../src/daemon.js";

describe("assembly helpers", () => {
  it("clientKey counts an IPv4-mapped IPv6 address as its IPv4 address (per-address AUTH limits)", () => {
    expect(clientKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(clientKey("192.0.2.1")).toBe("192.0.2.1");
    expect(clientKey("2001:db8::1")).toBe("2001:db8::1");
  });

  it("bindHooks keeps `this` for hooks taken off a class instance (as @lmail/server calls them)", async () => {
    class Counting implements Handler {
      calls = 0;
      close(_ctx: HookContext): void {
        this.calls += 1;
      }
    }
    const handler = new Counting();
    const bound = bindHooks(handler);
    const hook = bound.close!;
    await hook({} as HookContext);
    expect(handler.calls).toBe(1);
    expect(Object.keys(bound)).toEqual(["close"]);
  });

  it("mailboxPath is <root>/<domain>/<mailbox>", () => {
    expect(mailboxPath("/var/mail", { accept: true, domain: "example.org", mailbox: "you" })).toBe("/var/mail/example.org/you");
  });
});
