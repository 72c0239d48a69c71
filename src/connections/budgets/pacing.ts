/**
 * How a budget becomes send times. Calls are spaced evenly: `requests` per `perSeconds` becomes one slot every
 * `(perSeconds + margin) / requests`. A call sends at its slot or up to `LATE_MS` after it (a timer or a delayed job
 * never fires early, but may fire late); the margin covers that lateness, so any `requests + 1` sends still span a
 * full window and no window of `perSeconds` ever holds more than `requests` calls. A call later than `LATE_MS`
 * books a new slot instead of sending out of turn.
 */
import type { SlotLimit } from '../../domain/ports.js';

/** At most `requests` calls in any `perSeconds` window. */
export interface PaceLimit {
  requests: number;
  perSeconds: number;
}

/** Latest a call may send after its slot. */
export const LATE_MS = 20;
/** Added to each window: `LATE_MS`, plus the time from the decision to the request reaching the API. */
export const WINDOW_MARGIN_MS = 75;

/** Milliseconds between two slots of a limit. */
export function intervalMs(limit: PaceLimit): number {
  return (limit.perSeconds * 1000 + WINDOW_MARGIN_MS) / limit.requests;
}

/** The limit as the shared store books it. */
export function slotLimit(limit: PaceLimit): SlotLimit {
  return { id: `${limit.requests}/${limit.perSeconds}`, intervalMs: intervalMs(limit) };
}
