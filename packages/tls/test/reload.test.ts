import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TlsConfigError, TlsConfigErrorCode, TlsContextStore, type PemFiles } from "../src/index.js";
import { certFor, connectClient, echo, presentedName, startServer, type Pem, type TestServer } from "./helpers.js";

// Certificate rotation: new handshakes see the new certificate, live sessions keep theirs, and a
// bad new pair never replaces a good one (issue 5, "@lmail/tls").
describe("reload", () => {
  let dir: string;
  let files: PemFiles;
  let first: Pem;
  let second: Pem;
  let third: Pem;
  let store: TlsContextStore;
  let server: TestServer;

  async function install(pem: { cert: string; key: string }): Promise<void> {
    await writeFile(files.certFile, pem.cert);
    await writeFile(files.keyFile, pem.key);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "lmail-tls-"));
    files = { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") };
    [first, second, third] = await Promise.all([certFor("first.test"), certFor("second.test"), certFor("third.test")]);
    await install(first);
    store = await TlsContextStore.load({ default: files });
    server = await startServer(store);
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("a session open across a reload keeps working; a new one gets the new certificate", async () => {
    const before = await connectClient(server.port);
    expect((await server.nextUpgrade()).status).toBe("fulfilled");
    expect(presentedName(before)).toBe("first.test");

    await install(second);
    const result = await store.reload();
    expect(result).toEqual({ ok: true, reloaded: ["default"], failed: [], removed: [] });

    expect(await echo(before, "still here\r\n")).toBe("still here\r\n");
    const after = await connectClient(server.port);
    expect((await server.nextUpgrade()).status).toBe("fulfilled");
    expect(presentedName(after)).toBe("second.test");
    expect(await echo(before, "and still\r\n")).toBe("and still\r\n");
    before.destroy();
    after.destroy();
  });

  it("a key that does not match its certificate keeps the old pair and reports why", async () => {
    await writeFile(files.certFile, third.cert); // the key file still holds second's key
    const result = await store.reload();
    expect(result.ok).toBe(false);
    expect(result.reloaded).toEqual([]);
    expect(result.failed).toHaveLength(1);
    const { entry, error } = result.failed[0]!;
    expect(entry).toBe("default");
    expect(error).toBeInstanceOf(TlsConfigError);
    expect(error.code).toBe(TlsConfigErrorCode.BadPair);
    expect(error.message).toMatch(/key values mismatch/);
    expect(error.cause).toBeInstanceOf(Error);

    const client = await connectClient(server.port);
    expect((await server.nextUpgrade()).status).toBe("fulfilled");
    expect(presentedName(client)).toBe("second.test");
    client.destroy();
  });

  it("a missing file keeps the old pair and names the file", async () => {
    await unlink(files.keyFile);
    const result = await store.reload();
    expect(result.ok).toBe(false);
    const { error } = result.failed[0]!;
    expect(error.code).toBe(TlsConfigErrorCode.Read);
    expect(error.file).toBe(files.keyFile);
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
    const client = await connectClient(server.port);
    expect((await server.nextUpgrade()).status).toBe("fulfilled");
    expect(presentedName(client)).toBe("second.test");
    client.destroy();
    await install(second);
  });

  it("new options add and remove SNI entries; a bad new entry is not added", async () => {
    const added = await store.reload({ default: files, sni: { "new.test": third, "broken.test": { cert: third.cert, key: first.key } } });
    expect(added.ok).toBe(false);
    expect(added.reloaded).toEqual(["default", "new.test"]);
    expect(added.failed.map((f) => [f.entry, f.error.code])).toEqual([["broken.test", TlsConfigErrorCode.BadPair]]);
    expect(store.entryFor("broken.test")).toBe("default");

    const named = await connectClient(server.port, { servername: "new.test" });
    expect((await server.nextUpgrade()).status).toBe("fulfilled");
    expect(presentedName(named)).toBe("third.test");

    const removed = await store.reload({ default: files });
    expect(removed).toEqual({ ok: true, reloaded: ["default"], failed: [], removed: ["new.test"] });
    const fallback = await connectClient(server.port, { servername: "new.test" });
    expect((await server.nextUpgrade()).status).toBe("fulfilled");
    expect(presentedName(fallback)).toBe("second.test");
    expect(await echo(named, "old session\r\n")).toBe("old session\r\n");
    named.destroy();
    fallback.destroy();
  });

  it("invalid new options change nothing and are reported", async () => {
    const result = await store.reload({ default: files, sni: { "*.*.example": third } });
    expect(result.ok).toBe(false);
    expect(result.failed[0]!.error.code).toBe(TlsConfigErrorCode.BadOption);
    expect(store.certificates().map((c) => c.entry)).toEqual(["default"]);
  });

  it("concurrent reloads run one at a time in call order", async () => {
    const settled: number[] = [];
    const a = store.reload().then((r) => (settled.push(1), r));
    const b = store.reload({ default: first }).then((r) => (settled.push(2), r));
    const [ra, rb] = await Promise.all([a, b]);
    expect(settled).toEqual([1, 2]);
    expect(ra.ok && rb.ok).toBe(true);
    expect(store.certificates()[0]!.subject).toContain("CN=first.test");
  });
});

describe("reload with options that are not options", () => {
  it("reports a BadOption for the default entry and keeps everything", async () => {
    const pem = await certFor("kept.test");
    const store = new TlsContextStore({ default: pem });
    const result = await store.reload(null as never);
    expect(result.ok).toBe(false);
    expect(result.failed[0]!.entry).toBe("default");
    expect(result.failed[0]!.error.code).toBe(TlsConfigErrorCode.BadOption);
    expect(result.failed[0]!.error.cause).toBeInstanceOf(TypeError);
    expect(store.certificates()[0]!.subject).toBe("CN=kept.test");
  });
});
