import { describe, expect, it } from "vitest";
import type { Handler } from "@lmail/session";
import { FanOut, LOCAL_ERROR, Mux } from "../src/index.js";
import { MemorySpillFactory, Source, concat, context, digest, envelope, gate, message, pattern, sessionInfo, settle } from "./helpers.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Reads a body, counting bytes; opens `reached` once `atBytes` were read and `done` at the end. */
function counting(atBytes: number): Handler & { readBytes: number; chunks: Uint8Array[]; reached: ReturnType<typeof gate>; done: ReturnType<typeof gate> } {
  const reached = gate();
  const done = gate();
  const h = {
    readBytes: 0,
    chunks: [] as Uint8Array[],
    reached,
    done,
    async data(m: Parameters<NonNullable<Handler["data"]>>[0]) {
      for await (const chunk of m.body) {
        h.chunks.push(chunk);
        h.readBytes += chunk.length;
        if (h.readBytes >= atBytes) reached.open();
      }
      done.open();
    },
  };
  return h;
}

describe("bounded memory without a spill: backpressure", () => {
  it("a handler that never reads holds the fast one at spillThresholdBytes of lag; once it returns, the fast one finishes", async () => {
    const threshold = 64 * KiB;
    const chunk = 4 * KiB;
    const size = 16 * MiB;
    const fast = counting(threshold);
    const release = gate();
    const idle: Handler = {
      async data() {
        await release.promise; // holds its body unread, then returns without reading it
      },
    };
    const mux = new Mux({ spillThresholdBytes: threshold }).domain("f.example", fast).domain("i.example", idle);
    const body = pattern(size);
    const source = new Source(body, chunk);
    const lmtp = sessionInfo("lmtp");
    const result = mux.data(message(envelope(["a@f.example", "b@i.example"]), source, lmtp), context(lmtp));
    await fast.reached.promise;
    await settle(50);
    // The fast handler is held: nothing more is read from the client than the lag allows.
    expect(source.pulledBytes).toBeLessThanOrEqual(threshold + chunk);
    expect(fast.readBytes).toBe(source.pulledBytes);
    release.open();
    expect(await result).toEqual([undefined, undefined]);
    expect(fast.readBytes).toBe(size);
    expect(digest(concat(fast.chunks))).toBe(digest(body));
  });

  it("FanOut keeps at most spillThresholdBytes plus one chunk in memory while a reader lags", async () => {
    const threshold = 32 * KiB;
    const chunk = 4 * KiB;
    const body = pattern(2 * MiB);
    const fan = new FanOut(new Source(body, chunk), 2, { spillThresholdBytes: threshold, spillReadBytes: 64 * KiB });
    const read = async (index: number, pauseEvery: number): Promise<Uint8Array> => {
      const chunks: Uint8Array[] = [];
      let n = 0;
      for await (const c of fan.reader(index)) {
        chunks.push(c);
        if (++n % pauseEvery === 0) await settle(1);
      }
      return concat(chunks);
    };
    const [a, b] = await Promise.all([read(0, 1000), read(1, 3)]);
    await fan.finish();
    expect(digest(a)).toBe(digest(body));
    expect(digest(b)).toBe(digest(body));
    expect(fan.peakBufferedBytes).toBeGreaterThan(0);
    expect(fan.peakBufferedBytes).toBeLessThanOrEqual(threshold + chunk);
    expect(fan.spilled).toBe(false);
  });
});

describe("FanOut readers", () => {
  it("serve overlapping next() calls in order, as an async generator does", async () => {
    const body = pattern(40_000);
    const fan = new FanOut(new Source(body, 1000), 2, { spillThresholdBytes: 1_000_000, spillReadBytes: 1000 });
    fan.close(1);
    const it0 = fan.reader(0)[Symbol.asyncIterator]();
    const results = await Promise.all(Array.from({ length: 45 }, () => it0.next()));
    const chunks = results.filter((r) => r.done !== true).map((r) => r.value);
    expect(chunks).toHaveLength(40);
    expect(results.slice(40).every((r) => r.done === true)).toBe(true);
    expect(digest(concat(chunks))).toBe(digest(body));
    await fan.finish();
  });
});

describe("with a spill: a slow handler is fed from the spill past the threshold", () => {
  it("a large body passes through the fast handler while the slow one has read nothing; then the slow one reads it all", async () => {
    const threshold = 64 * KiB;
    const size = 8 * MiB;
    const fast = counting(size);
    const slowChunks: Uint8Array[] = [];
    const slow: Handler = {
      async data(m) {
        await fast.done.promise; // lags by the whole message
        for await (const c of m.body) slowChunks.push(c);
      },
    };
    const spill = new MemorySpillFactory();
    const mux = new Mux({ spill, spillThresholdBytes: threshold }).domain("f.example", fast).domain("s.example", slow);
    const body = pattern(size, 3);
    const source = new Source(body, 16 * KiB);
    const answer = await mux.data(message(envelope(["a@f.example", "b@s.example"]), source), context());
    expect(answer).toBeUndefined();
    expect(digest(concat(fast.chunks))).toBe(digest(body));
    expect(digest(concat(slowChunks))).toBe(digest(body));
    expect(spill.created).toHaveLength(1);
    expect(spill.created[0]!.appendedBytes).toBeGreaterThanOrEqual(size - threshold - 16 * KiB);
    expect(spill.created[0]!.closed).toBe(true);
  });

  it("FanOut memory stays under the threshold plus one chunk; several slow readers share one spill", async () => {
    const threshold = 16 * KiB;
    const chunk = 4 * KiB;
    const body = pattern(1 * MiB, 9);
    const spill = new MemorySpillFactory();
    const fan = new FanOut(new Source(body, chunk), 3, { spill, spillThresholdBytes: threshold, spillReadBytes: 10_000 });
    const fastDone = gate();
    const read = async (index: number, wait?: Promise<void>): Promise<Uint8Array> => {
      if (wait !== undefined) await wait;
      const chunks: Uint8Array[] = [];
      for await (const c of fan.reader(index)) chunks.push(c);
      if (wait === undefined) fastDone.open();
      return concat(chunks);
    };
    const results = await Promise.all([read(0), read(1, fastDone.promise), read(2, fastDone.promise)]);
    await fan.finish();
    for (const r of results) expect(digest(r)).toBe(digest(body));
    expect(fan.spilled).toBe(true);
    expect(fan.peakBufferedBytes).toBeLessThanOrEqual(threshold + chunk);
    expect(spill.created).toHaveLength(1);
    expect(spill.created[0]!.closed).toBe(true);
  });

  it("a spill that cannot be created: fall back to backpressure, the message still passes", async () => {
    const threshold = 8 * KiB;
    const fast = counting(threshold);
    const slowChunks: Uint8Array[] = [];
    const slow: Handler = {
      async data(m) {
        await fast.reached.promise;
        for await (const c of m.body) slowChunks.push(c);
      },
    };
    const mux = new Mux({ spill: new MemorySpillFactory({ failCreate: true }), spillThresholdBytes: threshold })
      .domain("f.example", fast)
      .domain("s.example", slow);
    const body = pattern(512 * KiB);
    expect(await mux.data(message(envelope(["a@f.example", "b@s.example"]), new Source(body, 4 * KiB)), context())).toBeUndefined();
    expect(digest(concat(fast.chunks))).toBe(digest(body));
    expect(digest(concat(slowChunks))).toBe(digest(body));
  });

  it("a spill that fails mid-way fails only the spilled handler (451 4.3.0); the fast one is unaffected", async () => {
    const threshold = 8 * KiB;
    const fast = counting(512 * KiB);
    const slow: Handler = {
      async data(m) {
        await fast.done.promise;
        for await (const _c of m.body) {
          // read
        }
      },
    };
    const spill = new MemorySpillFactory({ failAppendAtBytes: 100 * KiB });
    const mux = new Mux({ spill, spillThresholdBytes: threshold, onHandlerError: () => undefined }).domain("f.example", fast).domain("s.example", slow);
    const body = pattern(512 * KiB);
    const lmtp = sessionInfo("lmtp");
    const answer = await mux.data(message(envelope(["a@f.example", "b@s.example"]), new Source(body, 4 * KiB), lmtp), context(lmtp));
    expect(answer).toEqual([undefined, LOCAL_ERROR]);
    expect(digest(concat(fast.chunks))).toBe(digest(body));
    expect(spill.created[0]!.closed).toBe(true);
  });

  it("once every spilled handler returned, nothing more is written to the spill", async () => {
    const threshold = 8 * KiB;
    const size = 1 * MiB;
    const fast = counting(256 * KiB);
    const slow: Handler = {
      async data(m) {
        await fast.reached.promise;
        for await (const _c of m.body) return; // one chunk, then gone
      },
    };
    const spill = new MemorySpillFactory();
    const mux = new Mux({ spill, spillThresholdBytes: threshold }).domain("f.example", fast).domain("s.example", slow);
    const body = pattern(size);
    expect(await mux.data(message(envelope(["a@f.example", "b@s.example"]), new Source(body, 4 * KiB)), context())).toBeUndefined();
    expect(digest(concat(fast.chunks))).toBe(digest(body));
    expect(spill.created).toHaveLength(1);
    expect(spill.created[0]!.closed).toBe(true);
    expect(spill.created[0]!.appendedBytes).toBeLessThan(size / 2);
  });

  it("a spill that fails while the backlog is written: fall back to backpressure, the message still passes", async () => {
    const threshold = 8 * KiB;
    const fast = counting(threshold);
    const slowChunks: Uint8Array[] = [];
    const slow: Handler = {
      async data(m) {
        await fast.reached.promise;
        for await (const c of m.body) slowChunks.push(c);
      },
    };
    const spill = new MemorySpillFactory({ failAppendAtBytes: 1 });
    const mux = new Mux({ spill, spillThresholdBytes: threshold }).domain("f.example", fast).domain("s.example", slow);
    const body = pattern(256 * KiB);
    const lmtp = sessionInfo("lmtp");
    expect(await mux.data(message(envelope(["a@f.example", "b@s.example"]), new Source(body, 4 * KiB), lmtp), context(lmtp))).toEqual([undefined, undefined]);
    expect(digest(concat(fast.chunks))).toBe(digest(body));
    expect(digest(concat(slowChunks))).toBe(digest(body));
    expect(spill.created[0]!.closed).toBe(true);
  });
});
