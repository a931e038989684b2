import { describe, expect, it } from "vitest";
import { FanOut } from "../src/index.js";
import { MemorySpillFactory, concat, digest, pattern, settle } from "./helpers.js";

/** mulberry32: a small seeded PRNG, so that a failing case can be replayed by its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A source with chunks of random sizes (0 included: an empty chunk is legal and skipped). */
function randomSource(body: Uint8Array, rnd: () => number, maxChunk: number): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      let at = 0;
      while (at < body.length) {
        if (rnd() < 0.3) await settle(1);
        const n = Math.floor(rnd() * maxChunk);
        yield body.slice(at, at + n);
        at += n;
      }
    },
  };
}

describe("FanOut under random reader speeds, chunk sizes, early returns, with and without a spill", () => {
  it.each(Array.from({ length: 40 }, (_, i) => i + 1))("seed %i: every reader that reads to the end gets the exact body, memory stays bounded", async (seed) => {
    const rnd = random(seed);
    const readers = 2 + Math.floor(rnd() * 3);
    const threshold = 1024 + Math.floor(rnd() * 16 * 1024);
    const maxChunk = 1 + Math.floor(rnd() * 8 * 1024);
    const size = Math.floor(rnd() * 256 * 1024);
    const withSpill = rnd() < 0.5;
    const body = pattern(size, seed);
    const spill = new MemorySpillFactory();
    const fan = new FanOut(randomSource(body, rnd, maxChunk), readers, {
      spill: withSpill ? spill : undefined,
      spillThresholdBytes: threshold,
      spillReadBytes: 1 + Math.floor(rnd() * 4096),
    });
    const plans = Array.from({ length: readers }, () => ({
      pauseChance: rnd() * 0.5,
      stopAtBytes: rnd() < 0.25 ? Math.floor(rnd() * size) : Infinity,
    }));
    const results = await Promise.all(
      plans.map(async (plan, index) => {
        const pause = random(seed * 100 + index); // per reader: replayable whatever the interleaving
        const chunks: Uint8Array[] = [];
        let read = 0;
        try {
          for await (const chunk of fan.reader(index)) {
            chunks.push(chunk);
            read += chunk.length;
            if (read >= plan.stopAtBytes) break;
            if (pause() < plan.pauseChance) await settle(1);
          }
        } finally {
          fan.close(index);
        }
        return { stopped: read < size && plan.stopAtBytes !== Infinity, bytes: concat(chunks) };
      }),
    );
    await fan.finish();
    for (const r of results) {
      if (!r.stopped) expect(digest(r.bytes)).toBe(digest(body));
      else expect(digest(r.bytes)).toBe(digest(body.subarray(0, r.bytes.length)));
    }
    expect(fan.peakBufferedBytes).toBeLessThanOrEqual(threshold + maxChunk);
    for (const s of spill.created) expect(s.closed).toBe(true);
  });
});
