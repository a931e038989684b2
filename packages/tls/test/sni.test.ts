import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TlsContextStore, describeTls } from "../src/index.js";
import { certFor, connectClient, presentedName, startServer, type Pem, type TestServer } from "./helpers.js";

// RFC 6066 §3 (server_name): the server picks its certificate by the name the client asks for,
// falling back to a default when the name is absent or unknown. Wildcards: RFC 6125 §6.4.3.
describe("SNI over real TLS sockets (RFC 6066 §3)", () => {
  let certs: Record<"fallback" | "mx" | "wild" | "unicode", Pem>;
  let server: TestServer;

  beforeAll(async () => {
    certs = {
      fallback: await certFor("fallback.test"),
      mx: await certFor("mx.example.org"),
      wild: await certFor("*.example.net"),
      unicode: await certFor("xn--bcher-kva.example"),
    };
    const store = new TlsContextStore({
      default: certs.fallback,
      sni: { "mx.example.org": certs.mx, "*.example.net": certs.wild, "bücher.example": certs.unicode },
    });
    server = await startServer(store);
  });
  afterAll(() => server.close());

  const cases: [string, string | undefined, string][] = [
    ["no server name gets the default certificate", undefined, "fallback.test"],
    ["an exact name gets its certificate", "mx.example.org", "mx.example.org"],
    ["names match case-insensitively", "MX.Example.ORG", "mx.example.org"],
    ["a one-label wildcard matches one label", "a.example.net", "*.example.net"],
    ["a wildcard does not match two labels", "a.b.example.net", "fallback.test"],
    ["a wildcard does not match the bare domain", "example.net", "fallback.test"],
    ["an unknown name gets the default certificate", "other.test", "fallback.test"],
    ["a Unicode SNI key matches its A-label form", "xn--bcher-kva.example", "xn--bcher-kva.example"],
  ];
  for (const [rule, servername, expected] of cases) {
    it(rule, async () => {
      const client = await connectClient(server.port, servername === undefined ? {} : { servername });
      const upgraded = await server.nextUpgrade();
      expect(presentedName(client)).toBe(expected);
      expect(upgraded.status).toBe("fulfilled");
      if (upgraded.status === "fulfilled") {
        const info = describeTls(upgraded.value, true);
        expect(info.servername).toBe(servername);
        expect(info.implicit).toBe(true);
      }
      client.destroy();
    });
  }
});
