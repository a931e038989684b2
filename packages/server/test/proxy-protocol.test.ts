import { describe, expect, it } from "vitest";
import { formatProxyV1, parseProxyHeader, PROXY_V2_SIGNATURE } from "../src/index.js";

const enc = new TextEncoder();

function v2(opts: { cmd?: number; fam?: number; addr: number[]; tlvs?: number[] }): Uint8Array {
  const body = [...opts.addr, ...(opts.tlvs ?? [])];
  return Uint8Array.from([...PROXY_V2_SIGNATURE, 0x20 | (opts.cmd ?? 1), opts.fam ?? 0x11, body.length >> 8, body.length & 0xff, ...body]);
}

function tlv(type: number, value: number[]): number[] {
  return [type, value.length >> 8, value.length & 0xff, ...value];
}

describe("PROXY protocol v1 (haproxy proxy-protocol.txt §2.1)", () => {
  it("parses TCP4 and leaves the bytes after the header", () => {
    const r = parseProxyHeader(enc.encode("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nEHLO x\r\n"));
    expect(r.kind).toBe("ok");
    if (r.kind !== "ok") return;
    expect(r.header).toMatchObject({ version: 1, command: "proxy", family: "tcp4", sourceAddress: "192.0.2.1", sourcePort: 56324, destinationAddress: "198.51.100.2", destinationPort: 25 });
    expect(r.consumed).toBe("PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\n".length);
  });

  it("parses TCP6 and UNKNOWN", () => {
    const six = parseProxyHeader(enc.encode(formatProxyV1("tcp6", "2001:db8::1", "2001:db8::2", 1, 2)));
    expect(six.kind === "ok" && six.header.sourceAddress).toBe("2001:db8::1");
    const unknown = parseProxyHeader(enc.encode("PROXY UNKNOWN\r\n"));
    expect(unknown.kind === "ok" && unknown.header.command).toBe("local");
  });

  it("waits for more bytes on a partial header and refuses one over 107 bytes", () => {
    expect(parseProxyHeader(enc.encode("PRO")).kind).toBe("incomplete");
    expect(parseProxyHeader(enc.encode("PROXY TCP4 192.0.2.1")).kind).toBe("incomplete");
    expect(parseProxyHeader(enc.encode(`PROXY TCP4 ${"1".repeat(120)}`)).kind).toBe("invalid");
  });

  it("refuses bad fields: family mismatch, ports out of range, junk", () => {
    expect(parseProxyHeader(enc.encode("PROXY TCP4 2001:db8::1 192.0.2.1 1 2\r\n")).kind).toBe("invalid");
    expect(parseProxyHeader(enc.encode("PROXY TCP6 ::::: 2001:db8::2 1 2\r\n")).kind).toBe("invalid");
    expect(parseProxyHeader(enc.encode("PROXY TCP4 192.0.2.256 192.0.2.2 1 2\r\n")).kind).toBe("invalid");
    expect(parseProxyHeader(enc.encode("PROXY TCP4 192.0.2.1 192.0.2.2 70000 2\r\n")).kind).toBe("invalid");
    expect(parseProxyHeader(enc.encode("EHLO example.org\r\n")).kind).toBe("invalid");
    expect(parseProxyHeader(enc.encode("PROXY UDP4 192.0.2.1 192.0.2.2 1 2\r\n")).kind).toBe("invalid");
  });
});

describe("PROXY protocol v2 (haproxy proxy-protocol.txt §2.2)", () => {
  it("parses an IPv4 PROXY header", () => {
    const bytes = v2({ addr: [192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0, 25] });
    const r = parseProxyHeader(bytes);
    expect(r.kind).toBe("ok");
    if (r.kind !== "ok") return;
    expect(r.consumed).toBe(bytes.length);
    expect(r.header).toMatchObject({ version: 2, command: "proxy", family: "tcp4", sourceAddress: "192.0.2.1", sourcePort: 56324, destinationPort: 25 });
  });

  it("parses an IPv6 header and compresses the address (RFC 5952)", () => {
    const src = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const dst = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
    const r = parseProxyHeader(v2({ fam: 0x21, addr: [...src, ...dst, 0, 1, 0, 2] }));
    expect(r.kind === "ok" && r.header.sourceAddress).toBe("2001:db8::1");
    expect(r.kind === "ok" && r.header.destinationAddress).toBe("2001:db8:1::2");
  });

  it("decodes TLVs: ALPN, AUTHORITY, UNIQUE_ID, SSL with version, CN and cipher", () => {
    const ssl = [0x05, 0, 0, 0, 0, ...tlv(0x21, [...enc.encode("TLSv1.3")]), ...tlv(0x22, [...enc.encode("client.example")]), ...tlv(0x23, [...enc.encode("TLS_AES_128_GCM_SHA256")])];
    const tlvs = [...tlv(0x01, [...enc.encode("smtp")]), ...tlv(0x02, [...enc.encode("mx.example.org")]), ...tlv(0x05, [1, 2, 3]), ...tlv(0x20, ssl), ...tlv(0xe0, [9])];
    const r = parseProxyHeader(v2({ addr: [10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2], tlvs }));
    expect(r.kind).toBe("ok");
    if (r.kind !== "ok") return;
    expect(r.header.alpn).toBe("smtp");
    expect(r.header.authority).toBe("mx.example.org");
    expect([...r.header.uniqueId!]).toEqual([1, 2, 3]);
    expect(r.header.ssl).toEqual({ ssl: true, clientCertConnection: false, clientCertSession: true, verify: 0, version: "TLSv1.3", commonName: "client.example", cipher: "TLS_AES_128_GCM_SHA256" });
    expect(r.header.tlvs.map((t) => t.type)).toEqual([0x01, 0x02, 0x05, 0x20, 0xe0]);
  });

  it("treats LOCAL as the proxy's own connection", () => {
    const r = parseProxyHeader(v2({ cmd: 0, fam: 0x00, addr: [] }));
    expect(r.kind === "ok" && r.header.command).toBe("local");
    expect(r.kind === "ok" && r.header.sourceAddress).toBeUndefined();
  });

  it("is incomplete until the announced length arrived, and caps the size", () => {
    const bytes = v2({ addr: [192, 0, 2, 1, 198, 51, 100, 2, 0, 1, 0, 2] });
    expect(parseProxyHeader(bytes.subarray(0, 20)).kind).toBe("incomplete");
    expect(parseProxyHeader(bytes.subarray(0, 8)).kind).toBe("incomplete");
    const big = v2({ addr: [192, 0, 2, 1, 198, 51, 100, 2, 0, 1, 0, 2], tlvs: tlv(0xe0, new Array<number>(600).fill(1)) });
    expect(parseProxyHeader(big, 512)).toEqual({ kind: "invalid", reason: expect.stringContaining("cap") as string });
  });

  it("refuses a wrong version, an unknown command and an overrunning TLV", () => {
    const bad = v2({ addr: [192, 0, 2, 1, 198, 51, 100, 2, 0, 1, 0, 2] });
    bad[12] = 0x31;
    expect(parseProxyHeader(bad).kind).toBe("invalid");
    expect(parseProxyHeader(v2({ cmd: 2, addr: [192, 0, 2, 1, 198, 51, 100, 2, 0, 1, 0, 2] })).kind).toBe("invalid");
    expect(parseProxyHeader(v2({ addr: [192, 0, 2, 1, 198, 51, 100, 2, 0, 1, 0, 2], tlvs: [0x01, 0, 9, 1] })).kind).toBe("invalid");
  });
});
