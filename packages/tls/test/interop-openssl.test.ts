import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type AddressInfo, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { describe, expect, it } from "vitest";
import { TlsContextStore, describeTls, upgradeSocket } from "../src/index.js";
import { certFor } from "./helpers.js";

/** Resolves with the next CRLF-terminated line of a plain socket. */
function nextLine(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString("latin1");
      const end = buffered.indexOf("\r\n");
      if (end >= 0) {
        socket.off("data", onData);
        socket.off("error", reject);
        socket.pause();
        // Anything after the line is pipelined plaintext: discarded, never replayed (RFC 3207 §6).
        resolve(buffered.slice(0, end));
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.resume();
  });
}

// A real STARTTLS client: `openssl s_client -starttls smtp` speaks EHLO, STARTTLS, then TLS.
describe("interop: openssl s_client -starttls smtp (RFC 3207)", () => {
  it("completes STARTTLS against upgradeSocket and sees the SNI certificate", async () => {
    const [fallback, named] = await Promise.all([certFor("fallback.test"), certFor("mx.test")]);
    const store = new TlsContextStore({ default: fallback, sni: { "mx.test": named } });
    let upgraded: (secure: TLSSocket) => void = () => {};
    let failed: (error: unknown) => void = () => {};
    const secured = new Promise<TLSSocket>((resolve, reject) => ((upgraded = resolve), (failed = reject)));
    const server = createServer((socket) => {
      void (async () => {
        socket.write("220 mx.test ESMTP test\r\n");
        expect(await nextLine(socket)).toMatch(/^EHLO /i);
        socket.write("250-mx.test\r\n250 STARTTLS\r\n");
        expect(await nextLine(socket)).toBe("STARTTLS");
        socket.write("220 2.0.0 Ready to start TLS\r\n");
        const secure = await upgradeSocket(socket, store, { handshakeTimeoutMs: 10_000 });
        secure.write("250 2.0.0 hello over TLS\r\n");
        upgraded(secure);
      })().catch((error: unknown) => {
        socket.destroy();
        failed(error);
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as AddressInfo).port;
    const child = spawn(
      "openssl",
      ["s_client", "-starttls", "smtp", "-connect", `127.0.0.1:${port}`, "-servername", "mx.test"],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    let output = "";
    let sawReply: () => void = () => {};
    const replied = new Promise<void>((resolve) => (sawReply = resolve));
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("hello over TLS")) sawReply();
    });
    child.stderr.on("data", () => {});
    const exited = once(child, "exit");
    try {
      const secure = await secured;
      expect(describeTls(secure, false)).toMatchObject({ implicit: false, servername: "mx.test", protocol: "TLSv1.3" });
      await replied; // the client decrypted what the server wrote after the handshake
      const errors: Error[] = [];
      secure.on("error", (error: Error) => errors.push(error));
      const closed = new Promise((resolve) => secure.once("close", resolve));
      child.stdin.end(); // s_client closes the connection
      await closed;
      expect(errors).toEqual([]);
    } finally {
      child.stdin.end();
      await exited;
      server.close();
    }
    expect(output).toMatch(/subject=CN ?= ?mx\.test/);
  });
});
