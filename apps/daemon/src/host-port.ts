/** A listening endpoint, `HOST:PORT`, with IPv6 hosts in brackets: `[::1]:2525`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parse `HOST:PORT` (`127.0.0.1:2525`, `[::1]:25`, `localhost:0`). Port 0 asks the system for a
 * free port. Returns an error message instead of throwing.
 */
export function parseHostPort(value: string): HostPort | { readonly error: string } {
  const bracketed = /^\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\]:(\d{1,5})$/.exec(value);
  const plain = /^([^\s:[\]/]+):(\d{1,5})$/.exec(value);
  const match = bracketed ?? plain;
  if (match === null) {
    return { error: `"${value}" is not HOST:PORT (write IPv6 addresses in brackets: [::1]:2525)` };
  }
  const port = Number(match[2]);
  if (port > 65535) return { error: `port ${String(port)} is out of range (0-65535)` };
  return { host: match[1] ?? "", port };
}

/** Format an endpoint the way {@link parseHostPort} reads it. */
export function formatHostPort(endpoint: HostPort): string {
  return endpoint.host.includes(":") ? `[${endpoint.host}]:${String(endpoint.port)}` : `${endpoint.host}:${String(endpoint.port)}`;
}
