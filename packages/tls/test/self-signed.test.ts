import { X509Certificate, createPrivateKey } from "node:crypto";
import { once } from "node:events";
import { connect as tlsConnect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SELF_SIGNED_DEFAULTS, TlsContextStore, generateSelfSigned } from "../src/index.js";
import { startServer, type TestServer } from "./helpers.js";

// Throwaway certificates made at run time, so that no private key is ever committed (issue 5).
describe("generateSelfSigned", () => {
  let pem: { cert: string; key: string };
  let server: TestServer;
  beforeAll(async () => {
    pem = await generateSelfSigned();
    server = await startServer(new TlsContextStore({ default: pem }));
  });
  afterAll(() => server.close());

  it("by default covers localhost, 127.0.0.1 and ::1 for 30 days with an EC P-256 key", () => {
    expect(SELF_SIGNED_DEFAULTS).toEqual({ hostnames: ["localhost", "127.0.0.1", "::1"], days: 30 });
    const x509 = new X509Certificate(pem.cert);
    expect(x509.subject).toBe("CN=localhost");
    expect(x509.subjectAltName).toMatch(/^DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0?:?0?:?0?:?0?:?0?:?0?:?0?:?0?:?:?:?1$/);
    expect(x509.checkPrivateKey(createPrivateKey(pem.key))).toBe(true);
    const key = createPrivateKey(pem.key);
    expect(key.asymmetricKeyType).toBe("ec");
    expect(key.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const days = (new Date(x509.validTo).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    expect(new Date(x509.validFrom).getTime()).toBeLessThan(Date.now());
  });

  it("a client that trusts it verifies it for localhost and refuses it for another name", async () => {
    const good = tlsConnect({ host: "127.0.0.1", port: server.port, servername: "localhost", ca: pem.cert });
    await once(good, "secureConnect");
    expect(good.authorized).toBe(true);
    good.destroy();
    await server.nextUpgrade();

    const wrong = tlsConnect({ host: "127.0.0.1", port: server.port, servername: "other.test", ca: pem.cert });
    const [error] = (await once(wrong, "error").catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
    expect(error.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    await server.nextUpgrade();
  });

  it("takes host names, wildcards and a validity in days; every call makes a new key", async () => {
    const made = await generateSelfSigned({ hostnames: ["mx.example.org", "*.example.org", "192.0.2.25"], days: 2 });
    const x509 = new X509Certificate(made.cert);
    expect(x509.subject).toBe("CN=mx.example.org");
    expect(x509.subjectAltName).toBe("DNS:mx.example.org, DNS:*.example.org, IP Address:192.0.2.25");
    expect((new Date(x509.validTo).getTime() - Date.now()) / 86_400_000).toBeLessThanOrEqual(2);
    expect(made.key).not.toBe(pem.key);
  });

  it("refuses an empty host list and a non-positive validity", async () => {
    await expect(generateSelfSigned({ hostnames: [] })).rejects.toThrow(RangeError);
    await expect(generateSelfSigned({ days: 0 })).rejects.toThrow(RangeError);
  });
});
