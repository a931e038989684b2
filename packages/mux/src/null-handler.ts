import type { Handler, IncomingMessage } from "@lmail/session";

/**
 * The seed's `NullHandler`: accepts every recipient, reads the whole body, discards it, and
 * answers 250. For sinks, tests and benchmarks.
 */
export const nullHandler: Handler = Object.freeze({
  async data(message: IncomingMessage): Promise<undefined> {
    for await (const _chunk of message.body) {
      // discarded
    }
    return undefined;
  },
});
