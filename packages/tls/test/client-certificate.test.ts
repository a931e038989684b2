import { X509Certificate } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { TlsContextStore, describeTls, type TlsInfo } from "../src/index.js";
import { certFor, connectClient, startServer, type Pem, type TestServer } from "./helpers.js";

// Client certificates are information for the handler (RFC 8314 leaves client authentication to
// SASL EXTERNAL and the like): asked for only when configured, never a reason to refuse.
describe("client certificates", () => {
  let serverPem: Pem;
  let clientPem: Pem;
  let server: TestServer | undefined;
  beforeAll(async () => {
    [serverPem, clientPem] = await Promise.all([certFor("mx.test"), certFor("client.test")]);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function peerOf(store: TlsContextStore, withCert: boolean): Promise<TlsInfo & { authorizationError?: unknown }> {
    server = await startServer(store);
    const client = await connectClient(server.port, withCert ? { cert: clientPem.cert, key: clientPem.key } : {});
    const upgraded = await server.nextUpgrade();
    if (upgraded.status !== "fulfilled") throw new Error("upgrade failed");
    const info = describeTls(upgraded.value, false);
    client.destroy();
    return { ...info, authorizationError: upgraded.value.authorizationError };
  }

  it("are not asked for by default", async () => {
    const info = await peerOf(new TlsContextStore({ default: serverPem }), true);
    expect(info.peerCertificate).toBeUndefined();
  });

  it("when requested, an unverifiable one is reported with authorized false and the session goes on", async () => {
    const info = await peerOf(new TlsContextStore({ default: serverPem, requestClientCertificate: true }), true);
    expect(info.peerCertificate).toEqual({
      subject: "CN=client.test",
      fingerprint256: new X509Certificate(clientPem.cert).fingerprint256,
      authorized: false,
    });
    expect(info.authorizationError).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  it("when requested, one signed by the configured ca is authorized", async () => {
    const info = await peerOf(new TlsContextStore({ default: { ...serverPem, ca: clientPem.cert }, requestClientCertificate: true }), true);
    expect(info.peerCertificate?.authorized).toBe(true);
    expect(info.authorizationError).toBeNull();
  });

  it("when requested, a client without one is still served", async () => {
    const info = await peerOf(new TlsContextStore({ default: serverPem, requestClientCertificate: true }), false);
    expect(info.peerCertificate).toBeUndefined();
    expect(info.protocol).toBe("TLSv1.3");
  });
});
