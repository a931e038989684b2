import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Handler } from "@lmail/session";
import { Mux } from "../src/index.js";
import { fileSpill } from "../src/node/index.js";
import { Source, concat, context, digest, envelope, gate, message, pattern } from "./helpers.js";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "lmail-mux-test-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("fileSpill (@lmail/mux/node)", () => {
  it("appends, reads any written range, and leaves no file behind", async () => {
    const spill = await fileSpill({ directory }).create();
    await spill.append(pattern(1000, 1));
    await spill.append(pattern(500, 2));
    expect(await spill.read(0, 1000)).toEqual(pattern(1000, 1));
    expect(await spill.read(1000, 10_000)).toEqual(pattern(500, 2));
    expect(await spill.read(990, 20)).toEqual(concat([pattern(1000, 1).subarray(990), pattern(500, 2).subarray(0, 10)]));
    await spill.close();
    expect(await readdir(directory)).toEqual([]);
  });

  it("feeds a handler that lags by a whole 32 MiB message while the other reads at full speed", async () => {
    const size = 32 * 1024 * 1024;
    const fastChunks: Uint8Array[] = [];
    const fastDone = gate();
    const fast: Handler = {
      async data(m) {
        for await (const c of m.body) fastChunks.push(c);
        fastDone.open();
      },
    };
    const slowChunks: Uint8Array[] = [];
    const slow: Handler = {
      async data(m) {
        await fastDone.promise;
        for await (const c of m.body) slowChunks.push(c);
      },
    };
    const mux = new Mux({ spill: fileSpill({ directory }), spillThresholdBytes: 256 * 1024 })
      .domain("f.example", fast)
      .domain("s.example", slow);
    const body = pattern(size, 5);
    const started = performance.now();
    const answer = await mux.data(message(envelope(["a@f.example", "b@s.example"]), new Source(body, 64 * 1024)), context());
    const ms = performance.now() - started;
    expect(answer).toBeUndefined();
    expect(digest(concat(fastChunks))).toBe(digest(body));
    expect(digest(concat(slowChunks))).toBe(digest(body));
    expect(await readdir(directory)).toEqual([]);
    console.log(`32 MiB fanned out to 2 handlers through a file spill in ${ms.toFixed(0)} ms`);
  });
});
