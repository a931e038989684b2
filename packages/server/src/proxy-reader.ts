/**
 * Reads a PROXY protocol header from the start of a socket, within a time and size limit.
 */
import type { Socket } from "node:net";
import { parseProxyHeader, type ProxyHeader } from "./proxy-protocol.js";

/** A PROXY header that could not be read; the socket is to be closed. */
export class ProxyProtocolError extends Error {
  readonly code = "ERR_LMAIL_PROXY_PROTOCOL";
  constructor(message: string) {
    super(message);
    this.name = "ProxyProtocolError";
  }
}

export interface ProxyRead {
  readonly header: ProxyHeader;
  /** Bytes received after the header (the client's first SMTP or TLS bytes). */
  readonly rest: Uint8Array | undefined;
}

/**
 * Resolve with the header and the bytes after it; reject with a {@link ProxyProtocolError} on a
 * malformed or oversized header, a timeout, or a close. The socket is left paused, with no
 * listener of ours on it.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number, maxHeaderBytes: number): Promise<ProxyRead> {
  return new Promise<ProxyRead>((resolve, reject) => {
    let buffered: Uint8Array = new Uint8Array(0);
    const done = (error: ProxyProtocolError | undefined, result?: ProxyRead): void => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("end", onClose);
      socket.pause();
      if (error !== undefined) reject(error);
      else resolve(result!);
    };
    const onData = (chunk: Buffer): void => {
      const next = new Uint8Array(buffered.length + chunk.length);
      next.set(buffered);
      next.set(chunk, buffered.length);
      buffered = next;
      const parsed = parseProxyHeader(buffered, maxHeaderBytes);
      if (parsed.kind === "incomplete") {
        if (buffered.length >= maxHeaderBytes) done(new ProxyProtocolError(`no complete PROXY header within ${maxHeaderBytes} bytes`));
        return;
      }
      if (parsed.kind === "invalid") {
        done(new ProxyProtocolError(`invalid PROXY header: ${parsed.reason}`));
        return;
      }
      const rest = parsed.consumed < buffered.length ? buffered.subarray(parsed.consumed) : undefined;
      done(undefined, { header: parsed.header, rest });
    };
    const onClose = (): void => done(new ProxyProtocolError("the connection closed before the PROXY header"));
    const timer = setTimeout(() => done(new ProxyProtocolError(`no PROXY header within ${timeoutMs} ms`)), timeoutMs);
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("end", onClose);
  });
}
