import { describe, expect, it } from "vitest";
import { BodyAbortedError } from "../src/index.js";
import { BodyStream } from "../src/body-stream.js";

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe("message body pull stream (backpressure, drain, refusal)", () => {
  it("delivers chunks in order and ends only when end() is called", async () => {
    const s = new BodyStream(1024, () => undefined);
    s.push(bytes(3, 1));
    s.push(bytes(2, 2));
    const it = s[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual(bytes(3, 1));
    expect((await it.next()).value).toEqual(bytes(2, 2));
    const pending = it.next();
    s.push(bytes(1, 3));
    expect((await pending).value).toEqual(bytes(1, 3));
    const last = it.next();
    s.end();
    expect((await last).done).toBe(true);
  });

  it("asks the producer to pause above the high-water mark and to resume when read", async () => {
    let resumed = 0;
    const s = new BodyStream(10, () => resumed++);
    expect(s.push(bytes(6))).toBe(true);
    expect(s.push(bytes(6))).toBe(false);
    const it = s[Symbol.asyncIterator]();
    await it.next();
    expect(resumed).toBe(1);
  });

  it("throws into the reader when the body is refused, so it is never delivered", async () => {
    const s = new BodyStream(1024, () => undefined);
    s.push(bytes(4));
    const it = s[Symbol.asyncIterator]();
    const pending = (async () => {
      const seen: Uint8Array[] = [];
      for await (const c of { [Symbol.asyncIterator]: () => it }) seen.push(c);
      return seen;
    })();
    s.fail(new BodyAbortedError("too big"));
    await expect(pending).rejects.toBeInstanceOf(BodyAbortedError);
  });

  it("drops everything after the reader stops (the rest is drained)", async () => {
    let wanted = 0;
    const s = new BodyStream(4, () => wanted++);
    s.push(bytes(2));
    for await (const _ of s) break;
    expect(s.abandoned).toBe(true);
    expect(wanted).toBeGreaterThan(0);
    expect(s.push(bytes(100))).toBe(true);
  });

  it("can be read only once", () => {
    const s = new BodyStream(4, () => undefined);
    s[Symbol.asyncIterator]();
    expect(() => s[Symbol.asyncIterator]()).toThrow(TypeError);
  });
});
