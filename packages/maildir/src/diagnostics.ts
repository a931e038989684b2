import { channel } from "node:diagnostics_channel";
import type { DeliveryOutcome } from "./delivery-result.js";

/** The `node:diagnostics_channel` name on which every delivery outcome is published. */
export const MAILDIR_DELIVERY_CHANNEL = "lmail:maildir:delivery";

/** What {@link MAILDIR_DELIVERY_CHANNEL} carries: one message per maildir and delivery. */
export type MaildirDeliveryEvent = DeliveryOutcome & {
  /** From the start of the delivery (body read included) to this maildir's outcome. */
  readonly durationMs: number;
  /**
   * True for a copy that was committed and then taken back out of `new/`, because the delivery is
   * all or nothing (`deliver()`, the SMTP handler) and another of its recipients failed.
   */
  readonly rolledBack: boolean;
};

const deliveries = channel(MAILDIR_DELIVERY_CHANNEL);

/** Publish each outcome, once it is final (`rolledBack`: the delivery's committed copies were taken back). */
export function publishOutcomes(outcomes: readonly (readonly DeliveryOutcome[])[], startedMs: number, rolledBack: boolean): void {
  if (!deliveries.hasSubscribers) return;
  const durationMs = performance.now() - startedMs;
  for (const list of outcomes) {
    for (const o of list) deliveries.publish({ ...o, durationMs, rolledBack: rolledBack && o.ok } satisfies MaildirDeliveryEvent);
  }
}
