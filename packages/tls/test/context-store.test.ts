import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate } from "selfsigned";
import { TLS_DEFAULTS, TlsConfigError, TlsConfigErrorCode, TlsContextStore, normalizeSniKey } from "../src/index.js";
import { certFor, type Pem } from "./helpers.js";

let a: Pem;
let b: Pem;
let dir: string;
beforeAll(async () => {
  [a, b] = await Promise.all([certFor("a.test"), certFor("b.test")]);
  dir = await mkdtemp(join(tmpdir(), "lmail-tls-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function configError(run: () => unknown): TlsConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TlsConfigError);
    return error as TlsConfigError;
  }
  throw new Error("expected a TlsConfigError, nothing was thrown");
}

describe("TlsContextStore at startup", () => {
  it("defaults: TLS 1.2 minimum, 30 s handshake, no client certificate", () => {
    const store = new TlsContextStore({ default: a });
    expect(store.minVersion).toBe("TLSv1.2");
    expect(store.handshakeTimeoutMs).toBe(30_000);
    expect(store.requestClientCertificate).toBe(false);
    expect(TLS_DEFAULTS).toEqual({ minVersion: "TLSv1.2", handshakeTimeoutMs: 30_000, requestClientCertificate: false });
    expect(store.serverOptions()).toMatchObject({ isServer: true, requestCert: false, rejectUnauthorized: false });
    expect(store.serverOptions().secureContext).toBe(store.contextFor());
  });

  it("a key that does not match the certificate throws BadPair naming the entry", () => {
    const error = configError(() => new TlsContextStore({ default: a, sni: { "b.test": { cert: b.cert, key: a.key } } }));
    expect(error.code).toBe(TlsConfigErrorCode.BadPair);
    expect(error.entry).toBe("b.test");
    expect(error.message).toMatch(/^TLS b\.test: /);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("text that is not PEM throws BadPair", () => {
    expect(configError(() => new TlsContextStore({ default: { cert: "not a certificate", key: a.key } })).code).toBe(TlsConfigErrorCode.BadPair);
  });

  it("an unreadable file throws Read with the path and the errno cause", () => {
    const missing = join(dir, "missing.pem");
    const error = configError(() => new TlsContextStore({ default: { certFile: missing, keyFile: missing } }));
    expect(error).toMatchObject({ code: TlsConfigErrorCode.Read, entry: "default", file: missing });
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("load() reads files asynchronously and rejects the same way", async () => {
    const certFile = join(dir, "a.crt");
    const keyFile = join(dir, "a.key");
    await writeFile(certFile, a.cert);
    await writeFile(keyFile, a.key);
    const store = await TlsContextStore.load({ default: { certFile, keyFile } });
    expect(store.certificates()[0]!.fingerprint256).toBe(new X509Certificate(a.cert).fingerprint256);
    await expect(TlsContextStore.load({ default: { certFile, keyFile: certFile } })).rejects.toMatchObject({ code: TlsConfigErrorCode.BadPair });
  });

  it("PEM given as bytes works like PEM text", () => {
    const encoder = new TextEncoder();
    const store = new TlsContextStore({ default: { cert: encoder.encode(a.cert), key: encoder.encode(a.key) } });
    expect(store.certificates()[0]!.subject).toContain("CN=a.test");
  });

  it("an encrypted key needs its passphrase", async () => {
    const made = await generate([{ name: "commonName", value: "locked.test" }], { keyType: "ec", algorithm: "sha256", passphrase: "s3cret" });
    expect(made.private).toContain("ENCRYPTED");
    const store = new TlsContextStore({ default: { cert: made.cert, key: made.private, passphrase: "s3cret" } });
    expect(store.certificates()[0]!.subject).toContain("CN=locked.test");
    expect(configError(() => new TlsContextStore({ default: { cert: made.cert, key: made.private, passphrase: "wrong" } })).code).toBe(TlsConfigErrorCode.BadPair);
  });

  it("bad options throw BadOption", () => {
    const bad = (options: object): string => configError(() => new TlsContextStore({ default: a, ...options })).code;
    expect(bad({ minVersion: "TLSv1.1" })).toBe(TlsConfigErrorCode.BadOption);
    expect(bad({ handshakeTimeoutMs: 0 })).toBe(TlsConfigErrorCode.BadOption);
    expect(bad({ handshakeTimeoutMs: Number.NaN })).toBe(TlsConfigErrorCode.BadOption);
    expect(bad({ handshakeTimeoutMs: 2 ** 31 })).toBe(TlsConfigErrorCode.BadOption); // a Node timer would fire at once
    expect(bad({ sni: { "MX.test": a, "mx.test.": b } })).toBe(TlsConfigErrorCode.BadOption);
    expect(configError(() => new TlsContextStore({ default: undefined as never })).code).toBe(TlsConfigErrorCode.BadOption);
  });

  it("certificates() describes what is loaded, default first", () => {
    const store = new TlsContextStore({ default: a, sni: { "B.Test": b } });
    const [first, second] = store.certificates();
    expect(first).toMatchObject({ entry: "default", subject: "CN=a.test", subjectAltName: "DNS:a.test" });
    expect(second).toMatchObject({ entry: "b.test", subject: "CN=b.test" });
    expect(first!.validTo.getTime()).toBeGreaterThan(Date.now());
    expect(first!.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });
});

describe("SNI keys and lookup (RFC 6066 §3, RFC 6125 §6.4.3)", () => {
  it("accepts host names and one leftmost wildcard label", () => {
    expect(normalizeSniKey("MX.Example.ORG.")).toBe("mx.example.org");
    expect(normalizeSniKey("*.example.org")).toBe("*.example.org");
    expect(normalizeSniKey("bücher.example")).toBe("xn--bcher-kva.example");
    expect(normalizeSniKey("localhost")).toBe("localhost");
  });

  it("refuses what is not a host name or a one-label wildcard", () => {
    for (const key of ["*.org", "*", "a.*.example.org", "*example.org", "**.example.org", "exa mple.org", "192.0.2.1", "-bad.example", "a..b", ""]) {
      expect(normalizeSniKey(key), key).toBeUndefined();
    }
  });

  it("the exact name wins over a wildcard; nothing else matches", () => {
    const store = new TlsContextStore({ default: a, sni: { "*.example.org": b, "mx.example.org": a } });
    expect(store.entryFor("mx.example.org")).toBe("mx.example.org");
    expect(store.entryFor("smtp.example.org")).toBe("*.example.org");
    expect(store.entryFor("SMTP.EXAMPLE.ORG.")).toBe("*.example.org");
    expect(store.entryFor("a.smtp.example.org")).toBe("default");
    expect(store.entryFor("example.org")).toBe("default");
    expect(store.entryFor("")).toBe("default");
    expect(store.entryFor(undefined)).toBe("default");
    expect(store.entryFor("not a name!")).toBe("default");
    expect(store.contextFor("smtp.example.org")).not.toBe(store.contextFor("mx.example.org"));
  });

  it("sniCallback answers the matching context and never an error", () => {
    const store = new TlsContextStore({ default: a, sni: { "b.test": b } });
    const answers: unknown[][] = [];
    store.sniCallback("b.test", (...args) => answers.push(args));
    store.sniCallback("zzz.test", (...args) => answers.push(args));
    expect(answers).toEqual([
      [null, store.contextFor("b.test")],
      [null, store.contextFor()],
    ]);
  });
});
