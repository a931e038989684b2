/**
 * The PROXY protocol, versions 1 (text) and 2 (binary, with TLVs), as HAProxy specifies it
 * (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt). A load balancer in front of the
 * server sends this header first, so that the server learns the real client address.
 *
 * The parser is a function over the bytes received so far (addresses checked with node:net): it says "incomplete", returns the
 * header and how many bytes it used, or reports why the bytes are not a valid header.
 */
import { isIPv4, isIPv6 } from "node:net";

/** A TLV of a v2 header (type-length-value), raw. */
export interface ProxyTlv {
  readonly type: number;
  readonly value: Uint8Array;
}

/** PP2_TYPE_SSL details (type 0x20). */
export interface ProxySslInfo {
  /** The client connected over SSL/TLS (PP2_CLIENT_SSL). */
  readonly ssl: boolean;
  /** The client presented a certificate over this connection (PP2_CLIENT_CERT_CONN). */
  readonly clientCertConnection: boolean;
  /** The client presented a certificate at least once over this TLS session (PP2_CLIENT_CERT_SESS). */
  readonly clientCertSession: boolean;
  /** 0 when the client certificate was verified. */
  readonly verify: number;
  /** PP2_SUBTYPE_SSL_VERSION, e.g. "TLSv1.3". */
  readonly version?: string;
  /** PP2_SUBTYPE_SSL_CN. */
  readonly commonName?: string;
  /** PP2_SUBTYPE_SSL_CIPHER. */
  readonly cipher?: string;
}

/** What a PROXY header said. */
export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * "proxy": the addresses are the real client's. "local": the proxy's own connection (a health
   * check, v2 LOCAL or v1 UNKNOWN): keep the socket's addresses.
   */
  readonly command: "proxy" | "local";
  /** "tcp4", "tcp6", or "unknown" for LOCAL/UNKNOWN and families the server does not use (UDP, UNIX). */
  readonly family: "tcp4" | "tcp6" | "unknown";
  readonly sourceAddress?: string;
  readonly sourcePort?: number;
  readonly destinationAddress?: string;
  readonly destinationPort?: number;
  /** Every TLV of a v2 header, in order (empty for v1). */
  readonly tlvs: readonly ProxyTlv[];
  /** PP2_TYPE_ALPN, decoded as ASCII. */
  readonly alpn?: string;
  /** PP2_TYPE_AUTHORITY: the host name the client asked for (SNI), UTF-8. */
  readonly authority?: string;
  /** PP2_TYPE_UNIQUE_ID, raw (up to 128 bytes). */
  readonly uniqueId?: Uint8Array;
  /** PP2_TYPE_NETNS, ASCII. */
  readonly netns?: string;
  /** PP2_TYPE_SSL. */
  readonly ssl?: ProxySslInfo;
}

export type ProxyParseResult =
  | { readonly kind: "incomplete" }
  | { readonly kind: "invalid"; readonly reason: string }
  | { readonly kind: "ok"; readonly header: ProxyHeader; /** bytes of the header; the rest is SMTP */ readonly consumed: number };

/** The 12-byte signature of a v2 header. */
export const PROXY_V2_SIGNATURE: Uint8Array = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
const V1_PREFIX = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59, 0x20); // "PROXY "
/** A v1 header is at most 107 bytes including CRLF (the spec's worst case). */
const V1_MAX_BYTES = 107;

const PP2_TYPE_ALPN = 0x01;
const PP2_TYPE_AUTHORITY = 0x02;
const PP2_TYPE_UNIQUE_ID = 0x05;
const PP2_TYPE_SSL = 0x20;
const PP2_SUBTYPE_SSL_VERSION = 0x21;
const PP2_SUBTYPE_SSL_CN = 0x22;
const PP2_SUBTYPE_SSL_CIPHER = 0x23;
const PP2_TYPE_NETNS = 0x30;

const ascii = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

function startsWith(bytes: Uint8Array, prefix: Uint8Array): "yes" | "no" | "maybe" {
  const n = Math.min(bytes.length, prefix.length);
  for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return "no";
  return n === prefix.length ? "yes" : "maybe";
}

/**
 * Parse a PROXY header at the start of `bytes`. `maxBytes` caps the header's size (a v2 header
 * announces its length; one longer than the cap is invalid at once).
 */
export function parseProxyHeader(bytes: Uint8Array, maxBytes = 4096): ProxyParseResult {
  const v2 = startsWith(bytes, PROXY_V2_SIGNATURE);
  if (v2 === "yes") return parseV2(bytes, maxBytes);
  const v1 = startsWith(bytes, V1_PREFIX);
  if (v1 === "yes") return parseV1(bytes);
  if (v1 === "maybe" || v2 === "maybe") return { kind: "incomplete" };
  return { kind: "invalid", reason: "no PROXY protocol signature" };
}

function parseV1(bytes: Uint8Array): ProxyParseResult {
  const limit = Math.min(bytes.length, V1_MAX_BYTES);
  let end = -1;
  for (let i = V1_PREFIX.length; i < limit - 1; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    return bytes.length >= V1_MAX_BYTES ? { kind: "invalid", reason: "v1 header longer than 107 bytes" } : { kind: "incomplete" };
  }
  const line = ascii.decode(bytes.subarray(0, end));
  const parts = line.split(" ");
  const consumed = end + 2;
  if (parts[1] === "UNKNOWN") {
    return { kind: "ok", consumed, header: { version: 1, command: "local", family: "unknown", tlvs: [] } };
  }
  if (parts.length !== 6) return { kind: "invalid", reason: "v1 header needs 6 fields" };
  const [, proto, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  if (proto !== "TCP4" && proto !== "TCP6") return { kind: "invalid", reason: `v1 protocol ${proto} unknown` };
  const family = proto === "TCP4" ? "tcp4" : "tcp6";
  const check = family === "tcp4" ? isIPv4 : isIPv6;
  if (!check(src) || !check(dst)) return { kind: "invalid", reason: "v1 address is not of the announced family" };
  const sourcePort = parsePort(sport);
  const destinationPort = parsePort(dport);
  if (sourcePort === undefined || destinationPort === undefined) return { kind: "invalid", reason: "v1 port invalid" };
  return {
    kind: "ok",
    consumed,
    header: { version: 1, command: "proxy", family, sourceAddress: src, sourcePort, destinationAddress: dst, destinationPort, tlvs: [] },
  };
}

function parsePort(text: string): number | undefined {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

function parseV2(bytes: Uint8Array, maxBytes: number): ProxyParseResult {
  if (bytes.length < 16) return { kind: "incomplete" };
  const verCmd = bytes[12]!;
  if (verCmd >> 4 !== 2) return { kind: "invalid", reason: "v2 version nibble is not 2" };
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return { kind: "invalid", reason: "v2 command unknown" };
  const famProto = bytes[13]!;
  const length = (bytes[14]! << 8) | bytes[15]!;
  const total = 16 + length;
  if (total > maxBytes) return { kind: "invalid", reason: `v2 header of ${total} bytes exceeds the ${maxBytes}-byte cap` };
  if (bytes.length < total) return { kind: "incomplete" };
  const body = bytes.subarray(16, total);
  const family = famProto >> 4; // 0 unspec, 1 inet, 2 inet6, 3 unix
  const transport = famProto & 0x0f; // 0 unspec, 1 stream, 2 dgram
  let addrLen = 0;
  let header: { -readonly [K in keyof ProxyHeader]: ProxyHeader[K] } = {
    version: 2,
    command: cmd === 0 ? "local" : "proxy",
    family: "unknown",
    tlvs: [],
  };
  if (family === 1) {
    addrLen = 12;
    if (body.length < addrLen) return { kind: "invalid", reason: "v2 IPv4 address block too short" };
    if (cmd === 1 && transport === 1) {
      header = {
        ...header,
        family: "tcp4",
        sourceAddress: `${body[0]}.${body[1]}.${body[2]}.${body[3]}`,
        destinationAddress: `${body[4]}.${body[5]}.${body[6]}.${body[7]}`,
        sourcePort: (body[8]! << 8) | body[9]!,
        destinationPort: (body[10]! << 8) | body[11]!,
      };
    }
  } else if (family === 2) {
    addrLen = 36;
    if (body.length < addrLen) return { kind: "invalid", reason: "v2 IPv6 address block too short" };
    if (cmd === 1 && transport === 1) {
      header = {
        ...header,
        family: "tcp6",
        sourceAddress: ipv6Text(body.subarray(0, 16)),
        destinationAddress: ipv6Text(body.subarray(16, 32)),
        sourcePort: (body[32]! << 8) | body[33]!,
        destinationPort: (body[34]! << 8) | body[35]!,
      };
    }
  } else if (family === 3) {
    addrLen = 216;
    if (body.length < addrLen) return { kind: "invalid", reason: "v2 UNIX address block too short" };
  }
  if (cmd === 1 && header.family === "unknown" && family !== 0 && family !== 3) {
    return { kind: "invalid", reason: "v2 address family unknown" };
  }
  const tlvs = parseTlvs(body.subarray(addrLen));
  if (tlvs === undefined) return { kind: "invalid", reason: "v2 TLV overruns the header" };
  header = { ...header, tlvs, ...decodeTlvs(tlvs) };
  return { kind: "ok", consumed: total, header };
}

function parseTlvs(bytes: Uint8Array): ProxyTlv[] | undefined {
  const out: ProxyTlv[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (i + 3 > bytes.length) return undefined;
    const type = bytes[i]!;
    const len = (bytes[i + 1]! << 8) | bytes[i + 2]!;
    if (i + 3 + len > bytes.length) return undefined;
    out.push({ type, value: bytes.slice(i + 3, i + 3 + len) });
    i += 3 + len;
  }
  return out;
}

function decodeTlvs(tlvs: readonly ProxyTlv[]): Partial<Pick<ProxyHeader, "alpn" | "authority" | "uniqueId" | "netns" | "ssl">> {
  const out: { alpn?: string; authority?: string; uniqueId?: Uint8Array; netns?: string; ssl?: ProxySslInfo } = {};
  for (const tlv of tlvs) {
    switch (tlv.type) {
      case PP2_TYPE_ALPN:
        out.alpn = ascii.decode(tlv.value);
        break;
      case PP2_TYPE_AUTHORITY:
        out.authority = utf8.decode(tlv.value);
        break;
      case PP2_TYPE_UNIQUE_ID:
        out.uniqueId = tlv.value;
        break;
      case PP2_TYPE_NETNS:
        out.netns = ascii.decode(tlv.value);
        break;
      case PP2_TYPE_SSL: {
        const ssl = decodeSsl(tlv.value);
        if (ssl !== undefined) out.ssl = ssl;
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function decodeSsl(value: Uint8Array): ProxySslInfo | undefined {
  if (value.length < 5) return undefined;
  const client = value[0]!;
  const verify = ((value[1]! << 24) | (value[2]! << 16) | (value[3]! << 8) | value[4]!) >>> 0;
  const info: { -readonly [K in keyof ProxySslInfo]: ProxySslInfo[K] } = {
    ssl: (client & 0x01) !== 0,
    clientCertConnection: (client & 0x02) !== 0,
    clientCertSession: (client & 0x04) !== 0,
    verify,
  };
  for (const sub of parseTlvs(value.subarray(5)) ?? []) {
    if (sub.type === PP2_SUBTYPE_SSL_VERSION) info.version = ascii.decode(sub.value);
    else if (sub.type === PP2_SUBTYPE_SSL_CN) info.commonName = utf8.decode(sub.value);
    else if (sub.type === PP2_SUBTYPE_SSL_CIPHER) info.cipher = ascii.decode(sub.value);
  }
  return info;
}

function ipv6Text(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  // Compress the longest run of zero groups (RFC 5952 §4.2.3).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  const head = groups.slice(0, bestStart).join(":");
  const tail = groups.slice(bestStart + bestLen).join(":");
  return `${head}::${tail}`;
}

/** Build a v1 header (for tests and for clients of a proxy-aware server). */
export function formatProxyV1(family: "tcp4" | "tcp6", src: string, dst: string, sport: number, dport: number): string {
  return `PROXY ${family === "tcp4" ? "TCP4" : "TCP6"} ${src} ${dst} ${sport} ${dport}\r\n`;
}
