import type { TranscriptDriver } from "./driver.js";
import { parseTranscript, type TranscriptStep } from "./transcript.js";

/** A transcript expectation that the server did not meet. */
export class TranscriptMismatchError extends Error {
  constructor(
    message: string,
    /** The transcript line of the expectation. */
    readonly line: number,
    readonly expected: string,
    readonly actual: string | undefined,
  ) {
    super(message);
    this.name = "TranscriptMismatchError";
  }
}

const show = (s: string | undefined): string => (s === undefined ? "<closed>" : s.replace(/\r\n/g, "⏎\n").trimEnd());
const normalise = (s: string): string => s.split("\r\n").map((l) => l.trimEnd()).join("\r\n");

/**
 * Run a transcript (text or parsed steps) against a driver: send every client block, compare every
 * expected reply exactly (trailing spaces of a line aside), and check `<closed>`. Throws a
 * {@link TranscriptMismatchError} at the first difference; always closes the driver.
 */
export async function runTranscript(driver: TranscriptDriver, transcript: string | readonly TranscriptStep[]): Promise<void> {
  const steps = typeof transcript === "string" ? parseTranscript(transcript) : transcript;
  try {
    for (const step of steps) {
      switch (step.kind) {
        case "send":
          await driver.send(step.bytes);
          break;
        case "eof":
          await driver.end();
          break;
        case "reply": {
          const actual = await driver.readReply();
          if (actual === undefined || normalise(actual) !== normalise(step.text)) {
            throw new TranscriptMismatchError(
              `transcript line ${String(step.line)}: expected\n${show(step.text)}\nbut the server sent\n${show(actual)}`,
              step.line,
              step.text,
              actual,
            );
          }
          break;
        }
        case "closed": {
          const actual = await driver.readReply();
          if (actual !== undefined) {
            throw new TranscriptMismatchError(
              `transcript line ${String(step.line)}: expected the connection to close, but the server sent\n${show(actual)}`,
              step.line,
              "<closed>",
              actual,
            );
          }
          break;
        }
      }
    }
  } finally {
    await driver.close();
  }
}
