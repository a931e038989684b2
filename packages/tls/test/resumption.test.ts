import { once } from "node:events";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { TlsContextStore, describeTls } from "../src/index.js";
import { certFor, connectClient, startServer, type Pem, type TestServer } from "./helpers.js";

// Session resumption (RFC 5077 tickets in TLS 1.2, RFC 8446 §2.2 PSK in TLS 1.3) saves a full
// handshake for clients that reconnect; it must work whether or not client certificates are asked for.
describe("session resumption", () => {
  let pem: Pem;
  let clientPem: Pem;
  let server: TestServer | undefined;
  beforeAll(async () => {
    [pem, clientPem] = await Promise.all([certFor("mx.test"), certFor("client.test")]);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  for (const requestClientCertificate of [false, true]) {
    for (const maxVersion of ["TLSv1.2", "TLSv1.3"] as const) {
      it(`resumes a ${maxVersion} session${requestClientCertificate ? " when client certificates are requested" : ""}`, async () => {
        const store = new TlsContextStore({ default: { ...pem, ca: clientPem.cert }, requestClientCertificate });
        server = await startServer(store);
        const clientCert = { cert: clientPem.cert, key: clientPem.key };
        const first = await connectClient(server.port, { maxVersion, ...clientCert });
        let session: Buffer | undefined = first.getSession();
        first.on("session", (ticket: Buffer) => (session = ticket));
        expect((await server.nextUpgrade()).status).toBe("fulfilled");
        first.write("x"); // TLS 1.3 tickets arrive after the handshake: one round trip fetches them
        await once(first, "data");
        first.end();
        await once(first, "close");
        expect(session).toBeDefined();

        const second = await connectClient(server.port, { maxVersion, session: session!, ...clientCert });
        const upgraded = await server.nextUpgrade();
        expect(upgraded.status).toBe("fulfilled");
        expect(second.isSessionReused()).toBe(true);
        if (upgraded.status === "fulfilled" && requestClientCertificate) {
          expect(describeTls(upgraded.value, false).peerCertificate?.authorized).toBe(true);
        }
        second.destroy();
      });
    }
  }
});
