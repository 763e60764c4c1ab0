// The seam between the sessionizer and the privacy stage: the sessionizer feeds each device's
// events through a gate in (ts, seq) order and honours its verdicts, without knowing the rules.
import type { EndReason } from './episode.ts';
import type { InputEvent } from './events.ts';

export type BoundaryReason = 'pause' | 'sensitive' | 'exempt';

export type GateResult =
  /** keep the event (possibly a stripped copy: the kept event holds nothing that may not be written). */
  | { verdict: 'keep'; event: InputEvent }
  /** do not write it; the gate has counted it. */
  | { verdict: 'drop'; rule: string }
  /** end the device's open episode; the event itself is not kept. */
  | { verdict: 'boundary'; reason: BoundaryReason };

/**
 * What a control record that came too late to be placed in order still does: over [from, until)
 * (epoch ms), `strip` takes the content out of what was kept, `cut` drops it and ends the open
 * episode with `reason`, `untitle` removes the titles and urls of the windows it was kept in (a
 * late focus into a plain window: the window those actions were in is not the one recorded).
 */
export interface LateRestriction {
  readonly kind: 'strip' | 'cut' | 'untitle';
  readonly from: number;
  readonly until: number;
  readonly reason: EndReason;
}

export interface EventGate<DeviceState> {
  newDeviceState(): DeviceState;
  /** The result may be reused by the next call (no allocation per event): read it before calling again. */
  admit(event: InputEvent, state: DeviceState): GateResult;
  /**
   * When the pause a `pause` event starts ends (epoch ms), by the gate's own rule: the sessionizer
   * keeps a running pause's record from being committed past, and must agree with the gate on how
   * long it runs.
   */
  pauseEnd(event: InputEvent): number;
  /**
   * A record older than what the device already placed: when it restricts, the device's state
   * takes its restrictive reading where it is the latest of its kind, and the stretch it covers is
   * returned for what was already kept; null when it would only loosen (it is dropped).
   */
  lateRestriction?(event: InputEvent, state: DeviceState): LateRestriction | null;
}
