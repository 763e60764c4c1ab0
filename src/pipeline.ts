// The one place where the stages are wired together:
//   decode -> sessionize (privacy gate inside, per device in event order) -> reduce to actions
//   -> scrub kept text -> drop short episodes -> pseudonymize, split -> row for the shard writer.
// Everything here is pure with respect to I/O: sources feed it, the sink callbacks take its output.
import { createHash, createHmac } from 'node:crypto';
import type { PipelineConfig } from './config.ts';
import { privacySettings } from './config.ts';
import type { DeadLetter, DecodedEvents, InputEvent, SourceBatch, SourceRecord } from './contract/events.ts';
import { UnwritableRowError, type ClosedEpisode, type EpisodeRow, type ReducedEpisode, type Split } from './contract/episode.ts';
import { checkEventValues, eventOfRecord, type TsLimits } from './contract/decode.ts';
import { Sessionizer } from './episodes/sessionizer.ts';
import { EpisodeReducer } from './actions/reducer.ts';
import { PrivacyAudit } from './privacy/audit.ts';
import { PrivacyGate } from './privacy/gate.ts';
import type { Registry } from './privacy/registry.ts';
import { applyLateRestrictions } from './privacy/late.ts';
import { StringScrubber, scrubActions } from './privacy/scrub/index.ts';
import { Pseudonymizer } from './privacy/pseudonym.ts';

export type { SourceBatch, SourceRecord };

export interface PipelineSink {
  episode(row: EpisodeRow): void;
  deadLetter(letter: DeadLetter): void;
}

export interface PipelineCounters {
  records_in: number;
  dead_letters: number;
  events_in: number;
  duplicate: number;
  late: number;
  episodes_closed: number;
  too_few_actions: number;
  /** episodes left out because a value in them is outside what the dataset's columns hold. */
  unwritable_episodes: number;
  episodes_written: number;
  actions_written: number;
  events_in_episodes_written: number;
}

/** Split by a hash of the user pseudonym: one person never lands in two splits. */
export function splitFor(userPseudonym: string, splits: PipelineConfig['output']['splits']): Split {
  const bucket = (parseInt(createHash('sha256').update(userPseudonym).digest('hex').slice(0, 8), 16) / 0x1_0000_0000) * 100;
  if (bucket < splits.train) return 'train';
  if (bucket < splits.train + splits.validation) return 'validation';
  return 'test';
}

/** source.ts_range in epoch ms, for the decode stage. */
export function tsLimits(config: PipelineConfig): TsLimits {
  const { from, until } = config.source.ts_range;
  return {
    from: Date.parse(`${from}T00:00:00Z`),
    until: Date.parse(`${until}T00:00:00Z`),
    text: `integer epoch ms from ${from} to before ${until} (source.ts_range)`,
  };
}

function utcDay(ts: number): string {
  return new Date(ts).toISOString().slice(0, 10);
}

export class Pipeline {
  readonly audit = new PrivacyAudit();
  private readonly sessionizer: Sessionizer<ReturnType<PrivacyGate['newDeviceState']>, ReducedEpisode>;
  private readonly pseudonyms: Pseudonymizer;
  private readonly closed: ClosedEpisode<ReducedEpisode>[] = [];
  private readonly splitOfUser = new Map<string, Split>();
  private readonly gate: PrivacyGate;
  private readonly ts: TsLimits;
  private readonly strings: StringScrubber;
  private readonly counts = {
    records_in: 0,
    dead_letters: 0,
    too_few_actions: 0,
    unwritable_episodes: 0,
    episodes_written: 0,
    actions_written: 0,
    events_in_episodes_written: 0,
  };

  constructor(
    private readonly config: PipelineConfig,
    pseudonymKey: string,
    private readonly registry: Registry,
    private readonly sink: PipelineSink,
  ) {
    this.pseudonyms = new Pseudonymizer(pseudonymKey);
    this.ts = tsLimits(config);
    this.strings = new StringScrubber(this.audit);
    const gate = new PrivacyGate(privacySettings(config), registry, this.audit);
    this.gate = gate;
    const actionSettings = config.actions;
    this.sessionizer = new Sessionizer(
      config.session,
      gate,
      // Keyed like the pseudonyms: a plain hash of a guessable device id could be reversed.
      (deviceId, ts, seq) =>
        createHmac('sha256', pseudonymKey).update(`episode\u0000${deviceId}\u0000${ts}\u0000${seq}`).digest('hex').slice(0, 32),
      (startTs) => new EpisodeReducer(startTs, actionSettings),
      config.privacy.late_control_ms,
    );
  }

  get counters(): PipelineCounters {
    return { ...this.counts, ...this.sessionizer.counters };
  }

  /** Where a consumer resuming from scratch starts reading to rebuild what is open (see Sessionizer.resumeOffset). */
  resumeOffset(): number {
    return this.sessionizer.resumeOffset();
  }

  /** Where a consumer resuming from scratch starts reading to rebuild the privacy gate's state (Sessionizer.stateOffset). */
  stateOffset(): number {
    return this.sessionizer.stateOffset();
  }

  /**
   * Records already in written episodes, read again after a restart to rebuild the gate's state
   * (see Sessionizer.restore). Records that do not decode were dead letters the first time.
   */
  restoreRecords(records: readonly SourceRecord[]): void {
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      if (record.error !== undefined) continue;
      const event = eventOfRecord(record, this.ts);
      if (typeof event !== 'string') this.sessionizer.restore(event, record.offset);
    }
  }

  get openDevices(): number {
    return this.sessionizer.openDevices;
  }

  /** Processes what a source handed on: records (decoded here), or events a typed decoder read. */
  pushBatch(batch: SourceBatch): void {
    if (Array.isArray(batch)) this.pushRecords(batch as readonly SourceRecord[]);
    else this.pushDecoded(batch as DecodedEvents);
  }

  /** Events decoded by a typed decoder: their values checked, each placed at its offset. */
  pushDecoded(decoded: DecodedEvents): void {
    const events = decoded.events;
    for (let i = 0; i < events.length; i++) {
      this.counts.records_in++;
      const event = events[i];
      const broken = checkEventValues(event, this.ts);
      if (broken !== undefined) {
        this.deadLetter(broken, decoded.record(i));
        continue;
      }
      const tooLate = this.sessionizer.push(event, this.closed, decoded.firstOffset + i);
      if (tooLate !== undefined) this.lateDeadLetter(tooLate, decoded.record(i));
    }
    this.drainClosed();
  }

  /** Decodes and processes a batch of source records. */
  pushRecords(records: readonly SourceRecord[]): void {
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      this.counts.records_in++;
      if (record.error !== undefined) {
        this.deadLetter(record.error, record);
        continue;
      }
      const event = eventOfRecord(record, this.ts);
      if (typeof event === 'string') {
        this.deadLetter(event, record);
        continue;
      }
      const tooLate = this.sessionizer.push(event, this.closed, record.offset);
      if (tooLate !== undefined) this.lateDeadLetter(tooLate, record);
    }
    this.drainClosed();
  }

  /** Processes events that are already decoded and valid (tests, generators, benchmarks). */
  pushEvents(events: Iterable<InputEvent>): void {
    for (const event of events) {
      this.counts.records_in++;
      if (this.sessionizer.push(event, this.closed) !== undefined) this.audit.late('beyond_limit');
      if (this.closed.length > 64) this.drainClosed();
    }
    this.drainClosed();
  }

  /** Closes devices that have been quiet for the gap plus grace as of `now` (epoch ms). */
  closeQuietDevices(now: number): void {
    this.sessionizer.closeQuietDevices(now, this.closed);
    this.drainClosed();
  }

  /** End of input: closes every open episode. */
  end(): void {
    for (const _ of this.endInSteps());
  }

  /**
   * End of input in steps of a few dozen episodes, each handed to the sink before the generator
   * stops: a caller whose sink writes asynchronously (the Parquet encoder) lets it catch up
   * between steps instead of holding every open episode's rows at once.
   */
  *endInSteps(): Generator<void, void, undefined> {
    for (const _ of this.sessionizer.closeAll(this.closed)) {
      this.drainClosed();
      yield;
    }
    this.drainClosed();
  }

  /** Kafka rebalance: forget open episodes of devices we no longer own, without writing them. */
  discardDevices(predicate: (deviceId: string) => boolean): void {
    this.sessionizer.discardDevices(predicate);
  }

  /**
   * Every other string the row will hold: titles, app names and URLs of its windows, frame
   * references and key names of its actions get the detectors; raw ids go from all of them and
   * from typed text. Frame references and key names repeat from action to action: each distinct
   * one is scrubbed once per episode.
   */
  private scrubStrings(episode: ClosedEpisode<ReducedEpisode>, reduced: ReducedEpisode): void {
    const strings = this.strings;
    strings.addUserIds(this.registry.userIds);
    strings.setEpisode(episode.device_id, episode.user_id);
    for (const c of reduced.contexts) {
      c.app = strings.text(c.app);
      if (c.title !== null) c.title = strings.text(c.title);
      if (c.url !== null) c.url = strings.url(c.url);
    }
    const frames = new Map<string, string>();
    const keys = new Map<string, string>();
    for (const action of reduced.actions) {
      const frame = action.frame_uri;
      if (frame !== null) {
        let out = frames.get(frame);
        if (out === undefined) frames.set(frame, (out = strings.reference(frame)));
        action.frame_uri = out;
      }
      const key = action.key;
      if (key !== null) {
        let out = keys.get(key);
        if (out === undefined) keys.set(key, (out = strings.text(key)));
        action.key = out;
      }
      if (action.text !== null && action.text.length > 0) {
        const withoutIds = strings.withoutIds(action.text);
        if (withoutIds !== action.text) {
          action.text = withoutIds;
          action.key_times_ms = null;
        }
      }
    }
  }

  /** A restrictive control record later than late_control_ms: it restricted what it could, and an operator must hear of it. */
  private lateDeadLetter(reason: string, record: SourceRecord): void {
    this.audit.late('beyond_limit');
    this.deadLetter(reason, record);
  }

  private deadLetter(reason: string, record: SourceRecord): void {
    this.counts.dead_letters++;
    this.sink.deadLetter({ reason, position: record.position, raw: record.raw });
  }

  private drainClosed(): void {
    const closed = this.closed;
    // Kafka drains after every message: setting an array's length is a runtime call even when it is 0
    if (closed.length === 0) return;
    for (let i = 0; i < closed.length; i++) this.finishEpisode(closed[i]);
    closed.length = 0;
  }

  private finishEpisode(episode: ClosedEpisode<ReducedEpisode>): void {
    // The gate decided on each event as it came; the registry may have changed since.
    if (!this.gate.admitsClosedEpisode(episode.user_id, episode.start_ts, episode.end_ts, episode.n_events)) return;
    const reduced = episode.body;
    if (episode.late !== null) applyLateRestrictions(reduced, episode.start_ts, episode.late, this.audit);
    if (reduced.actions.length < this.config.session.min_actions || reduced.actions.length === 0) {
      this.counts.too_few_actions++;
      return;
    }
    // One episode whose values no column can hold is left out and counted; the run goes on. Only a
    // refusal of the row itself is caught: a sink that fails otherwise (a full disk) ends the run.
    let row: EpisodeRow;
    try {
      row = this.rowOf(episode, reduced);
    } catch {
      this.counts.unwritable_episodes++;
      return;
    }
    try {
      this.sink.episode(row);
    } catch (error) {
      if (!(error instanceof UnwritableRowError)) throw error;
      this.counts.unwritable_episodes++;
      return;
    }
    this.counts.episodes_written++;
    this.counts.actions_written += reduced.actions.length;
    this.counts.events_in_episodes_written += episode.n_events;
  }

  private rowOf(episode: ClosedEpisode<ReducedEpisode>, reduced: ReducedEpisode): EpisodeRow {
    scrubActions(reduced.actions, this.audit);
    this.scrubStrings(episode, reduced);
    const user = this.pseudonyms.of(episode.user_id);
    let split = this.splitOfUser.get(user);
    if (split === undefined) {
      split = splitFor(user, this.config.output.splits);
      this.splitOfUser.set(user, split);
    }
    const apps: string[] = [];
    for (const c of reduced.contexts) if (!apps.includes(c.app)) apps.push(c.app);
    return {
      episode_id: episode.episode_id,
      user,
      device: this.pseudonyms.of(episode.device_id),
      split,
      start_day: utcDay(episode.start_ts),
      duration_ms: episode.end_ts - episode.start_ts,
      end_reason: episode.end_reason,
      continues: episode.continues,
      screen_width: reduced.screen_width,
      screen_height: reduced.screen_height,
      apps,
      contexts: reduced.contexts,
      n_events: episode.n_events,
      n_actions: reduced.actions.length,
      actions: reduced.actions,
    };
  }

}
