import { channel } from "node:diagnostics_channel";
import type { DeliveryOutcome } from "./delivery-result.js";

/** The `node:diagnostics_channel` name on which every delivery outcome is published. */
export const MAILDIR_DELIVERY_CHANNEL = "lmail:maildir:delivery";

/** What {@link MAILDIR_DELIVERY_CHANNEL} carries: one message per maildir and delivery. */
export type MaildirDeliveryEvent = DeliveryOutcome & {
  /** From the start of the delivery (body read included) to this maildir's outcome. */
  readonly durationMs: number;
};

const deliveries = channel(MAILDIR_DELIVERY_CHANNEL);

export function publishOutcomes(outcomes: readonly (readonly DeliveryOutcome[])[], startedMs: number): void {
  if (!deliveries.hasSubscribers) return;
  const durationMs = performance.now() - startedMs;
  for (const list of outcomes) for (const o of list) deliveries.publish({ ...o, durationMs } satisfies MaildirDeliveryEvent);
}
