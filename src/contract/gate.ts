// The seam between the sessionizer and the privacy stage: the sessionizer feeds each device's
// events through a gate in (ts, seq) order and honours its verdicts, without knowing the rules.
import type { InputEvent } from './events.ts';

export type BoundaryReason = 'pause' | 'sensitive' | 'exempt';

export type GateResult =
  /** keep the event (possibly a stripped copy: the kept event holds nothing that may not be written). */
  | { verdict: 'keep'; event: InputEvent }
  /** do not write it; the gate has counted it. */
  | { verdict: 'drop'; rule: string }
  /** end the device's open episode; the event itself is not kept. */
  | { verdict: 'boundary'; reason: BoundaryReason };

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
}
