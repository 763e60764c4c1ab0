// Sessionization: each device's stream, put in event-time order, cut into task episodes.
//
// Like Kafka Streams' session windows: events may arrive up to `grace_ms` out of order per device
// and are still placed in (ts, seq) order; anything older than what was already finalized is late
// and counted, never merged in afterwards. Unlike Kafka Streams, a device that has gone quiet
// still closes its episode: "quiet" is measured in stream time (the newest ts seen on the stream),
// as the stream time that passed since the device's last arrival, so a device with a skewed clock
// neither closes early nor stays open forever. Every decision depends only on the input order,
// never on batch sizes or wall clock, so the same input gives the same episodes.
import type { SessionSettings } from '../config.ts';
import { newInputEvent, type InputEvent } from '../contract/events.ts';
import { EMPTY_ID_HASH, eventIdHash } from '../contract/event-id.ts';
import { isControlRecord, sameRecord } from '../contract/same-record.ts';
import type { ClosedEpisode, EndReason, EpisodeBuilder } from '../contract/episode.ts';
import type { EventGate, LateRestriction } from '../contract/gate.ts';
// smallInt: a number stored as a V8 small integer when it is one (a field holding a double is boxed)
import { smallInt } from '../small-state.ts';

/** Derives the deterministic episode id from the device and the episode's first event. */
export type EpisodeIdFn = (deviceId: string, firstTs: number, firstSeq: number) => string;

export interface SessionCounters {
  events_in: number;
  duplicate: number;
  late: number;
  episodes_closed: number;
}

/** Input that is activity: the inactivity gap is measured between these. */
function isActivity(type: InputEvent['type']): boolean {
  return type !== 'screen_frame' && type !== 'lock' && type !== 'unlock' && type !== 'pause' && type !== 'resume';
}

/** How long the gate's view of a quiet device is kept restorable; bounds how far a commit lags. */
const GATE_STATE_HORIZON_MS = 60 * 60_000;

/**
 * "No such record" in a source-offset field. Not Infinity: one non-integer stored in a field makes
 * V8 box that field in every object of the class (16 B per device and field), and offsets are
 * small integers in a replay. Real offsets are never negative.
 */
const NO_RECORD = -1;

/** The smaller of `min` and a record's offset, ignoring NO_RECORD. */
function earlierRecord(min: number, offset: number): number {
  return offset !== NO_RECORD && offset < min ? offset : min;
}

/**
 * The placeholder in a pending list's unused slots, which stand for events already finalized (as
 * the slots before `pendingHead` do): a real event that is never read, rather than a hole, so the
 * array keeps one kind of element and stays fast to read.
 */
const FINALIZED: InputEvent = newInputEvent(EMPTY_ID_HASH, '', '', 0, -Infinity, 'lock');

/**
 * Slots a device's pending list starts with. A JS array grown by push takes 16 spare slots at
 * once, and a device waits out the grace period with a handful of events: the lists here are
 * sized by hand (double when full) and keep their slots while they empty and fill again.
 */
const INITIAL_PENDING_SLOTS = 4;
/** a list that grew past this for a burst goes back to the initial size once it is empty. */
const KEPT_PENDING_SLOTS = 64;

function eventSlots(n: number): InputEvent[] {
  return new Array<InputEvent>(n).fill(FINALIZED);
}

function keySlots(n: number): number[] {
  // -0.5: any non-integer makes V8 store the array as doubles from the start, so the times and
  // offsets written later never change its kind of elements; free slots are never read
  return new Array<number>(n).fill(-0.5);
}

interface OpenEpisode<Body> {
  /** seq of the first event; with the device and startTs it makes the id, computed at close (a 64-character string per open episode otherwise). */
  firstSeq: number;
  /** smallest source offset of the episode's own events. */
  firstOffset: number;
  /**
   * smallest offset of the records the gate's state came from when the episode opened (focus,
   * geo, running pause), or NO_RECORD. A consumer resuming at `firstOffset` rebuilds the episode,
   * so it needs the window its first events were judged in, not only the device's latest focus.
   */
  stateOffsetAtOpen: number;
  continues: string | null;
  startTs: number;
  // milliseconds since startTs, stored through `smallInt`
  lastActivityMs: number;
  lastMs: number;
  /** events that happened inside the episode. */
  nEvents: number;
  builder: EpisodeBuilder<Body>;
  /** restrictions of control records that came late, to be applied when it closes; null for none. */
  late: LateRestriction[] | null;
}

class DeviceStream<GateState, Body> {
  /**
   * Events waiting for the grace period, in slots `pendingHead` to `pendingEnd`; the slots before
   * are finalized, and reused once the list fills up. Cutting one finalized event off the front
   * of an array per push cost O(pending) each: a tenth of the replay profile.
   */
  pending: InputEvent[] = eventSlots(INITIAL_PENDING_SLOTS);
  /**
   * ts and source offset of each pending event (same slots, two numbers per slot): the offsets so
   * a consumer knows what it may commit, the times so that finding what the watermark finalizes
   * reads one array of doubles instead of each waiting event, long gone from the CPU's cache
   * (that read was 7% of the pipeline's time).
   */
  pendingKeys: number[] = keySlots(2 * INITIAL_PENDING_SLOTS);
  /** first pending slot in use; head and end are both 0 whenever nothing is pending. */
  pendingHead = 0;
  pendingEnd = 0;
  maxTs = -Infinity;
  // the last event placed in order, by its sort key and id only: keeping the event itself would
  // hold a whole event object per open device just to compare three fields
  lastFinalizedTs = -Infinity;
  /** seq is a non-negative integer: -1 sorts before all (and keeps the field a small integer). */
  lastFinalizedSeq = -1;
  /** the id's fingerprint (contract/event-id.ts). */
  lastFinalizedId = EMPTY_ID_HASH;
  /** the last event placed, when it is a control record (same-record.ts): a retry of it must say the same. */
  lastFinalizedControl: InputEvent | null = null;
  /** stream time when this device last sent anything. */
  lastArrival = 0;
  open: OpenEpisode<Body> | null = null;
  lastFocus: InputEvent | null = null;
  /**
   * Offsets of the records the gate's state of this device comes from: the latest focus (which
   * window, EU-linked or sensitive), the latest geo, and a pause still running. A consumer that
   * resumes must read from there, or the gate would judge the next events without them.
   */
  focusOffset = NO_RECORD;
  geoOffset = NO_RECORD;
  pauseOffset = NO_RECORD;
  pauseUntil = -Infinity;
  lastFrame: InputEvent | null = null;
  lastClosedId: string | null = null;
  lastClosedReason: EndReason | null = null;

  constructor(
    readonly deviceId: string,
    /** the person at the device as of the last event placed in order: whose the open episode is. */
    public userId: string,
    readonly gateState: GateState,
  ) {}

  get hasPending(): boolean {
    return this.pendingEnd > this.pendingHead;
  }

  /** Makes room for one more pending event at the end: reuses the finalized slots or doubles. */
  makeRoom(): void {
    const capacity = this.pending.length;
    if (this.pendingEnd < capacity) return;
    const head = this.pendingHead;
    const live = this.pendingEnd - head;
    // moving the live events down is worth it when it frees half the list; otherwise double it
    const events = head >= capacity >> 1 ? this.pending : eventSlots(2 * capacity);
    const keys = events === this.pending ? this.pendingKeys : keySlots(4 * capacity);
    const oldEvents = this.pending;
    const oldKeys = this.pendingKeys;
    for (let i = 0; i < live; i++) {
      events[i] = oldEvents[head + i];
      keys[2 * i] = oldKeys[2 * (head + i)];
      keys[2 * i + 1] = oldKeys[2 * (head + i) + 1];
    }
    for (let i = live; i < capacity; i++) events[i] = FINALIZED;
    this.pending = events;
    this.pendingKeys = keys;
    this.pendingHead = 0;
    this.pendingEnd = live;
  }

  /** Every pending event was finalized: the list starts over (at its initial size after a burst). */
  clearPending(): void {
    this.pendingHead = 0;
    this.pendingEnd = 0;
    if (this.pending.length > KEPT_PENDING_SLOTS) {
      this.pending = eventSlots(INITIAL_PENDING_SLOTS);
      this.pendingKeys = keySlots(2 * INITIAL_PENDING_SLOTS);
    }
  }

  isAfterLastFinalized(event: InputEvent): boolean {
    return this.lastFinalizedTs < event.ts || (this.lastFinalizedTs === event.ts && this.lastFinalizedSeq < event.seq);
  }

  setLastFinalized(event: InputEvent): void {
    this.lastFinalizedTs = event.ts;
    this.lastFinalizedSeq = smallInt(event.seq);
    this.lastFinalizedId = eventIdHash(event);
    this.lastFinalizedControl = isControlRecord(event) ? event : null;
  }

  /**
   * Whether an event at or before the last placed one is a retry of it: the same place and id
   * fingerprint, and, where either is a control record, the same content. A non-control record
   * found there with the fingerprint is dropped as a retry either way, which only leaves it out.
   */
  isRetryOfLastFinalized(event: InputEvent): boolean {
    if (this.lastFinalizedTs !== event.ts || this.lastFinalizedSeq !== event.seq || this.lastFinalizedId !== eventIdHash(event)) return false;
    const last = this.lastFinalizedControl;
    if (last !== null) return sameRecord(last, event);
    return !isControlRecord(event);
  }
}

export class Sessionizer<GateState, Body> {
  private readonly devices = new Map<string, DeviceStream<GateState, Body>>();
  private streamTime = -Infinity;
  private nextSweep = -Infinity;
  private readonly sweepEveryMs: number;
  readonly counters: SessionCounters = { events_in: 0, duplicate: 0, late: 0, episodes_closed: 0 };

  constructor(
    private readonly settings: SessionSettings,
    private readonly gate: EventGate<GateState>,
    private readonly episodeId: EpisodeIdFn,
    /** makes the fold for one episode, given its start time (the action reducer, in the pipeline). */
    private readonly newBuilder: (startTs: number) => EpisodeBuilder<Body>,
    /** how late a restrictive control record may be and still correct what was written (privacy.late_control_ms). */
    private readonly lateControlMs = Infinity,
  ) {
    this.sweepEveryMs = Math.max(1000, Math.min(60_000, Math.floor(settings.inactivity_gap_ms / 10)));
  }

  /** Number of devices with an open episode or pending events. */
  get openDevices(): number {
    let n = 0;
    for (const d of this.devices.values()) if (d.open || d.hasPending) n++;
    return n;
  }

  /**
   * Adds one decoded event; closed episodes are appended to `out`. `offset` is the event's
   * position in its source (Kafka offset), used only to tell what may be committed. Returns a
   * dead letter's reason for a restrictive control record later than `late_control_ms`, which
   * still restricts (see `late`), else undefined.
   */
  push(event: InputEvent, out: ClosedEpisode<Body>[], offset = 0): string | undefined {
    this.counters.events_in++;
    const device = this.deviceOf(event);
    let deadLetter: string | undefined;

    if (!device.isAfterLastFinalized(event)) {
      // Already past this point: a retry of the last placed event, or an event too late to place.
      if (device.isRetryOfLastFinalized(event)) this.counters.duplicate++;
      else deadLetter = this.late(device, event, offset, out);
    } else if (!this.insertPending(device, event, offset)) {
      this.counters.duplicate++;
    } else {
      if (event.ts > device.maxTs) device.maxTs = event.ts;
      this.finalize(device, device.maxTs - this.settings.grace_ms, out);
    }

    if (this.streamTime >= this.nextSweep) {
      this.nextSweep = this.streamTime + this.sweepEveryMs;
      this.closeQuietDevices(this.streamTime, out);
    }
    return deadLetter;
  }

  /**
   * An event older than what the device already placed: counted as late and not placed. When it
   * is a control record that restricts, the gate takes its restrictive reading for what comes
   * (PrivacyGate.lateRestriction), and the open episode it covers carries the restriction to its
   * close (privacy/late.ts), ended at once when the restriction drops what it covers. Nothing
   * carried over from before it (window, frame) starts the next episode. Later than
   * `lateControlMs` behind the device's newest event, it does all that too and is a dead letter:
   * episodes already written are not corrected.
   */
  private late(device: DeviceStream<GateState, Body>, event: InputEvent, offset: number, out: ClosedEpisode<Body>[]): string | undefined {
    this.counters.late++;
    const restriction = this.gate.lateRestriction?.(event, device.gateState) ?? null;
    if (restriction === null) return undefined;
    this.trackLateGateState(device, event, offset);
    device.lastFocus = null;
    device.lastFrame = null;
    const open = device.open;
    if (open !== null && open.startTs + open.lastMs >= restriction.from && restriction.until > open.startTs) {
      (open.late ??= []).push(restriction);
      if (restriction.kind === 'cut') this.close(device, restriction.reason, out);
    }
    if (restriction.kind === 'untitle') return undefined;
    const lateBy = device.maxTs - event.ts;
    if (lateBy <= this.lateControlMs) return undefined;
    return `control record ${lateBy} ms late, beyond privacy.late_control_ms (${this.lateControlMs} ms): applied to the open episode and what follows, but episodes already written were not corrected`;
  }

  /**
   * A late restrictive record may now be where the device's gate state comes from: a consumer
   * resuming reads from the earlier of it and the record the state came from before.
   */
  private trackLateGateState(device: DeviceStream<GateState, Body>, event: InputEvent, offset: number): void {
    const at = smallInt(offset);
    if (event.type === 'focus') device.focusOffset = device.focusOffset === NO_RECORD ? at : Math.min(device.focusOffset, at);
    if (event.geo !== undefined) device.geoOffset = device.geoOffset === NO_RECORD ? at : Math.min(device.geoOffset, at);
  }

  /**
   * Closes the episodes of devices that have sent nothing for the inactivity gap plus grace,
   * measured against `now` (stream time on replay; the Kafka source may pass wall-clock based time).
   */
  closeQuietDevices(now: number, out: ClosedEpisode<Body>[]): void {
    const quietFor = this.settings.inactivity_gap_ms + this.settings.grace_ms;
    for (const device of this.devices.values()) {
      if ((device.open !== null || device.hasPending) && now - device.lastArrival > quietFor) {
        this.finalize(device, Infinity, out);
        if (device.open) this.close(device, 'gap', out);
      }
    }
  }

  /** End of input: everything still open is closed. */
  flush(out: ClosedEpisode<Body>[]): void {
    for (const _ of this.closeAll(out));
  }

  /**
   * End of input, in steps: everything still open is closed, and the generator stops whenever `out`
   * holds a few episodes, so the caller can write them (and let its writer catch up) before the
   * next step; 50k open devices then never all become rows in memory at once.
   */
  *closeAll(out: ClosedEpisode<Body>[]): Generator<void, void, undefined> {
    for (const device of this.devices.values()) {
      if (out.length >= 64) yield;
      this.finalize(device, Infinity, out);
      if (device.open) this.close(device, 'end_of_stream', out);
      // the input is over: nothing asks a consumer to keep records for the gate's sake any more
      device.focusOffset = NO_RECORD;
      device.geoOffset = NO_RECORD;
      device.pauseOffset = NO_RECORD;
    }
  }

  /** Forgets a device's open state without emitting it (Kafka: its partition was revoked). */
  discardDevices(predicate: (deviceId: string) => boolean): void {
    for (const [id] of this.devices) if (predicate(id)) this.devices.delete(id);
  }

  /**
   * Puts an event in its (ts, seq) place among the pending ones; false when it is a client retry
   * of one already there (same place, same id fingerprint, same content: same-record.ts). Retries arrive within moments, so
   * looking where the event would go finds them without a set of every id seen.
   */
  private insertPending(device: DeviceStream<GateState, Body>, event: InputEvent, offset: number): boolean {
    let pending = device.pending;
    let end = device.pendingEnd;
    let i = end;
    // Events mostly arrive in order: walk back from the end. The times are in the keys; an event
    // is read only on a tie, to compare seq (the one before arrived a while ago, among other devices').
    const ts = event.ts;
    const sortKeys = device.pendingKeys;
    for (; i > device.pendingHead; i--) {
      const otherTs = sortKeys[2 * (i - 1)];
      if (ts > otherTs || (ts === otherTs && event.seq >= pending[i - 1].seq)) break;
    }
    for (let j = i - 1; j >= device.pendingHead; j--) {
      const other = pending[j];
      if (other.ts !== event.ts || other.seq !== event.seq) break;
      if (eventIdHash(other) === eventIdHash(event) && sameRecord(other, event)) return false;
    }
    if (end === pending.length) {
      const head = device.pendingHead;
      device.makeRoom();
      pending = device.pending;
      end = device.pendingEnd;
      i -= head;
    }
    const keys = device.pendingKeys;
    for (let j = end; j > i; j--) {
      pending[j] = pending[j - 1];
      keys[2 * j] = keys[2 * j - 2];
      keys[2 * j + 1] = keys[2 * j - 1];
    }
    pending[i] = event;
    keys[2 * i] = event.ts;
    keys[2 * i + 1] = offset;
    device.pendingEnd = end + 1;
    return true;
  }

  /**
   * Where a consumer resuming from scratch must start reading so that the privacy gate's state is
   * rebuilt: the focus and geo records of devices with something open, a pause still running (as
   * long as the gate says) or anything sent in the last hour of stream time, and that pause; for an open
   * episode also the ones in force when it opened, since its first events are judged again on a
   * resume and a later focus alone would leave them in an unknown window. A device quiet for
   * longer is judged from scratch after a restart: nothing of it is written until its next focus
   * (the gate fails closed on an unknown window). Records between this and `resumeOffset` go
   * through `restore`. Infinity when nothing is needed.
   */
  stateOffset(): number {
    let min = Infinity;
    for (const device of this.devices.values()) {
      const paused = device.pauseUntil > this.streamTime;
      const recent = this.streamTime - device.lastArrival <= GATE_STATE_HORIZON_MS;
      if (paused || recent || device.open !== null || device.hasPending) {
        min = earlierRecord(min, device.focusOffset);
        min = earlierRecord(min, device.geoOffset);
        if (paused) min = earlierRecord(min, device.pauseOffset);
        if (device.open !== null) min = earlierRecord(min, device.open.stateOffsetAtOpen);
      }
    }
    return min;
  }

  /**
   * A record that an earlier run already placed in written episodes, read again after a restart
   * only to rebuild what it left behind: the gate's view of the device (window, geo, pause), the
   * window carried into the next episode, and the point past which events are late. It forms no
   * episode.
   */
  restore(event: InputEvent, offset: number): void {
    const device = this.deviceOf(event);
    if (event.user_id !== device.userId) this.changeUser(device, event.user_id, []);
    if (event.ts < device.maxTs - this.settings.grace_ms) {
      // late the first time too: only what it restricts is rebuilt, never a loosening
      if (this.gate.lateRestriction?.(event, device.gateState)) {
        device.lastFocus = null;
        device.lastFrame = null;
      }
      return;
    }
    this.trackGateState(device, event, offset);
    const result = this.gate.admit(event, device.gateState);
    if (result.verdict === 'keep') {
      if (result.event.type === 'focus') device.lastFocus = result.event;
      else if (result.event.type === 'screen_frame') device.lastFrame = result.event;
    } else if (result.verdict === 'boundary' && result.reason !== 'pause') {
      device.lastFocus = null;
      device.lastFrame = null;
    }
    if (device.isAfterLastFinalized(event)) device.setLastFinalized(event);
    if (event.ts > device.maxTs) device.maxTs = event.ts;
  }

  private deviceOf(event: InputEvent): DeviceStream<GateState, Body> {
    let device = this.devices.get(event.device_id);
    if (device === undefined) {
      device = new DeviceStream(event.device_id, event.user_id, this.gate.newDeviceState());
      this.devices.set(event.device_id, device);
    }
    // the device's own copies of its ids (equal strings): an event that waits out the grace period
    // or stays as the window's focus then holds no id strings of its own (two per event, 56 bytes
    // each for UUIDs, kept for every open device)
    event.device_id = device.deviceId;
    if (event.user_id === device.userId) event.user_id = device.userId;
    if (event.ts > this.streamTime) this.streamTime = event.ts;
    device.lastArrival = this.streamTime;
    return device;
  }

  private trackGateState(device: DeviceStream<GateState, Body>, event: InputEvent, offset: number): void {
    const type = event.type;
    if (type === 'focus') device.focusOffset = smallInt(offset);
    if (event.geo !== undefined) device.geoOffset = smallInt(offset);
    if (type === 'pause') {
      // how long a pause runs is the gate's rule (privacy.max_pause_ms)
      const until = this.gate.pauseEnd(event);
      if (until > device.pauseUntil) {
        device.pauseUntil = until;
        device.pauseOffset = smallInt(offset);
      }
    } else if (type === 'resume') {
      device.pauseUntil = -Infinity;
      device.pauseOffset = NO_RECORD;
    }
  }

  /**
   * Where a consumer resuming from scratch must start reading so that every open episode is
   * rebuilt under the same id and no closed episode is formed again: the smallest offset of an
   * open episode's own events and of the events still pending. The window context carried into an
   * episode from before that point is not rebuilt (the episode then starts without it). Infinity
   * when nothing is open.
   */
  resumeOffset(): number {
    let min = Infinity;
    for (const device of this.devices.values()) {
      if (device.open !== null && device.open.firstOffset < min) min = device.open.firstOffset;
      const keys = device.pendingKeys;
      for (let i = 2 * device.pendingHead + 1; i < 2 * device.pendingEnd; i += 2) if (keys[i] < min) min = keys[i];
    }
    return min;
  }

  private finalize(device: DeviceStream<GateState, Body>, watermark: number, out: ClosedEpisode<Body>[]): void {
    const pending = device.pending;
    const keys = device.pendingKeys;
    const end = device.pendingEnd;
    let n = device.pendingHead;
    let last: InputEvent | undefined;
    while (n < end && keys[2 * n] <= watermark) {
      last = pending[n];
      // the slot is reused later, the event need not stay until then
      pending[n] = FINALIZED;
      this.process(device, last, keys[2 * n + 1], out);
      n++;
    }
    if (last === undefined) return;
    device.setLastFinalized(last);
    if (n === end) device.clearPending();
    else device.pendingHead = n;
  }

  /** One event of one device, in (ts, seq) order. */
  private process(device: DeviceStream<GateState, Body>, event: InputEvent, offset: number, out: ClosedEpisode<Body>[]): void {
    if (event.user_id !== device.userId) this.changeUser(device, event.user_id, out);
    this.trackGateState(device, event, offset);
    const result = this.gate.admit(event, device.gateState);
    if (result.verdict === 'drop') return;
    if (result.verdict === 'boundary') {
      if (device.open) this.close(device, result.reason, out);
      if (result.reason !== 'pause') {
        // context and frames from before a sensitive window or an exemption are not carried over it
        device.lastFocus = null;
        device.lastFrame = null;
      }
      return;
    }
    const kept = result.event;
    const type = kept.type;
    if (type === 'lock') {
      if (device.open) this.close(device, 'lock', out);
      return;
    }
    if (type === 'unlock' || type === 'pause' || type === 'resume') return;

    let open = device.open;
    if (open !== null) {
      if (isActivity(type) && kept.ts - open.startTs - open.lastActivityMs > this.settings.inactivity_gap_ms) {
        this.close(device, 'gap', out);
        open = null;
      } else if (kept.ts - open.startTs >= this.settings.max_duration_ms) {
        this.close(device, 'max_duration', out);
        open = null;
      }
    }
    if (type === 'focus') device.lastFocus = kept;
    if (open === null) {
      if (!isActivity(type)) {
        // a frame alone does not start an episode, but may be the observation before its first action
        if (type === 'screen_frame') device.lastFrame = kept;
        return;
      }
      open = this.open(device, kept, offset);
    }
    if (offset < open.firstOffset) open.firstOffset = smallInt(offset);
    if (type === 'screen_frame') device.lastFrame = kept;
    open.builder.add(kept);
    open.nEvents++;
    open.lastMs = smallInt(kept.ts - open.startTs);
    if (isActivity(type)) open.lastActivityMs = open.lastMs;
  }

  /**
   * Another person is at the device: the open episode is theirs no longer and ends; nothing of the
   * first person (their window's title, their last frame, a max_duration link) is carried into
   * the second person's episodes. The gate's view of the device (window, geo, pause) stays: it
   * describes the device, and the gate judges each event under its own person's registry rules.
   */
  private changeUser(device: DeviceStream<GateState, Body>, userId: string, out: ClosedEpisode<Body>[]): void {
    if (device.open !== null) this.close(device, 'user_change', out);
    device.userId = userId;
    device.lastFocus = null;
    device.lastFrame = null;
    device.lastClosedId = null;
    device.lastClosedReason = null;
  }

  private open(device: DeviceStream<GateState, Body>, first: InputEvent, offset: number): OpenEpisode<Body> {
    const continues = device.lastClosedReason === 'max_duration' ? device.lastClosedId : null;
    const builder = this.newBuilder(first.ts);
    // The window and frame in force before the episode, so its first actions know where they happened.
    if (device.lastFocus !== null && first.type !== 'focus') builder.add(device.lastFocus);
    if (device.lastFrame !== null && first.ts - device.lastFrame.ts <= this.settings.inactivity_gap_ms) {
      builder.add(device.lastFrame);
    }
    let stateOffsetAtOpen = earlierRecord(earlierRecord(Infinity, device.focusOffset), device.geoOffset);
    if (device.pauseUntil > first.ts) stateOffsetAtOpen = earlierRecord(stateOffsetAtOpen, device.pauseOffset);
    if (stateOffsetAtOpen === Infinity) stateOffsetAtOpen = NO_RECORD;
    const open: OpenEpisode<Body> = {
      firstSeq: smallInt(first.seq),
      firstOffset: smallInt(offset),
      stateOffsetAtOpen,
      continues,
      startTs: first.ts,
      lastActivityMs: 0,
      lastMs: 0,
      nEvents: 0,
      builder,
      late: null,
    };
    device.open = open;
    return open;
  }

  private close(device: DeviceStream<GateState, Body>, reason: EndReason, out: ClosedEpisode<Body>[]): void {
    const open = device.open!;
    device.open = null;
    const id = this.episodeId(device.deviceId, open.startTs, open.firstSeq);
    // only an episode cut at max_duration is continued by the next one
    device.lastClosedId = reason === 'max_duration' ? id : null;
    device.lastClosedReason = reason;
    this.counters.episodes_closed++;
    out.push({
      episode_id: id,
      device_id: device.deviceId,
      user_id: device.userId,
      continues: open.continues,
      end_reason: reason,
      start_ts: open.startTs,
      end_ts: open.startTs + open.lastMs,
      n_events: open.nEvents,
      body: open.builder.finish(),
      late: open.late,
    });
  }
}
