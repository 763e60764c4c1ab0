// What the HTML report shows, built from a dataset's shards and manifest: aggregates over every
// row, plus a small seeded sample of episodes for the player. Memory is bounded whatever the
// dataset's size (fixed histogram bins, top-N apps, a sample of at most `sampleSize` episodes).
// Nothing here names a person: the user and device columns are never read.
import { createHash } from 'node:crypto';
import type { Table } from 'apache-arrow';

/** Upper bounds of the histogram bins; the last bin holds everything above the last bound. */
export const DURATION_BINS_MIN = [1, 2, 5, 10, 15, 20, 30, 45, 60] as const;
export const ACTIONS_BINS = [5, 10, 20, 50, 100, 200, 500, 1000] as const;
export const EVENTS_BINS = [50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000] as const;

export interface Histogram {
  /** bin labels, e.g. `≤ 5`, `> 1000`. */
  labels: string[];
  counts: number[];
}

export interface SampleAction {
  kind: string;
  t_ms: number;
  duration_ms: number;
  x: number | null;
  y: number | null;
  x2: number | null;
  y2: number | null;
  dx: number | null;
  dy: number | null;
  text: string | null;
  key: string | null;
  redacted: string | null;
  app: string | null;
  path: [number, number][];
  /** index into the episode's `frames`, or -1 when the action has no frame the report could read. */
  frame: number;
}

export interface SampleEpisode {
  episode_id: string;
  split: string;
  start_day: string;
  duration_ms: number;
  end_reason: string;
  screen_width: number | null;
  screen_height: number | null;
  actions: SampleAction[];
  /** data: URIs of the frames the actions refer to. */
  frames: string[];
}

export interface SplitFigures {
  episodes: number;
  actions: number;
  frames: number;
}

export interface RuleCount {
  section: string;
  rule: string;
  count: number;
  text: string;
}

export interface ReportData {
  dataset: { name: string; schema_version: string; config_hash: string; created_at: string | null; formats: string[] };
  splits: Record<string, SplitFigures>;
  duration_minutes: Histogram;
  actions_per_episode: Histogram;
  events_per_episode: Histogram;
  action_kinds: Record<string, Record<string, number>>;
  end_reasons: Record<string, Record<string, number>>;
  /** episodes using each app, the `topApps` most used, the rest summed under `(other)`. */
  apps: Record<string, number>;
  redacted_actions: Record<string, number>;
  privacy: RuleCount[];
  /** records and episodes the pipeline left out (manifest `dropped`), with their words. */
  dropped_rules: RuleCount[];
  totals: Record<string, number>;
  sample: SampleEpisode[];
}

export interface ReportOptions {
  sampleSize: number;
  topApps: number;
  /** seeds the sample: the episodes whose keyed hash of their id is smallest. */
  seed: string;
  /** a frame's bytes as a data: URI, or undefined when it cannot be read (the action then shows none). */
  frameDataUri: (frameUri: string) => string | undefined;
  /** plain-language words for a privacy rule or drop reason. */
  ruleText: (section: string, rule: string) => string;
}

function histogram(bounds: readonly number[]): Histogram {
  const labels = bounds.map((b) => `≤ ${b.toLocaleString('en-US')}`);
  labels.push(`> ${bounds[bounds.length - 1].toLocaleString('en-US')}`);
  return { labels, counts: new Array(labels.length).fill(0) };
}

function addTo(h: Histogram, bounds: readonly number[], value: number): void {
  let i = 0;
  while (i < bounds.length && value > bounds[i]) i++;
  h.counts[i]++;
}

function bump(counts: Record<string, number>, key: string, n = 1): void {
  counts[key] = (counts[key] ?? 0) + n;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function dayString(value: unknown): string {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'number') return new Date(value).toISOString().slice(0, 10);
  return String(value ?? '');
}

interface Candidate {
  rank: string;
  build: () => SampleEpisode;
}

/** Accumulates shards one at a time; `finish` adds the manifest's figures. */
export class ReportBuilder {
  private readonly splits: Record<string, SplitFigures> = {};
  private readonly duration = histogram(DURATION_BINS_MIN);
  private readonly actionsPer = histogram(ACTIONS_BINS);
  private readonly eventsPer = histogram(EVENTS_BINS);
  private readonly kinds: Record<string, Record<string, number>> = {};
  private readonly endReasons: Record<string, Record<string, number>> = {};
  private readonly apps: Record<string, number> = {};
  private readonly redacted: Record<string, number> = {};
  /** the sample so far, by rank; kept at most sampleSize long. */
  private sample: { rank: string; episode: SampleEpisode }[] = [];

  constructor(private readonly options: ReportOptions) {}

  private rank(episodeId: string): string {
    return createHash('sha256').update(`${this.options.seed}\u0000${episodeId}`).digest('hex');
  }

  addTable(table: Table, splitOfShard: string): void {
    const col = (name: string) => table.getChild(name);
    const ids = col('episode_id');
    const splitCol = col('split');
    const days = col('start_day');
    const durations = col('duration_ms');
    const ends = col('end_reason');
    const widths = col('screen_width');
    const heights = col('screen_height');
    const appsCol = col('apps');
    const contexts = col('contexts');
    const nEvents = col('n_events');
    const actionsCol = col('actions');
    for (let i = 0; i < table.numRows; i++) {
      const split = String(splitCol?.get(i) ?? splitOfShard);
      const figures = (this.splits[split] ??= { episodes: 0, actions: 0, frames: 0 });
      const actions = actionsCol?.get(i);
      const n = actions ? actions.length : 0;
      figures.episodes++;
      figures.actions += n;
      addTo(this.duration, DURATION_BINS_MIN, Number(durations?.get(i) ?? 0) / 60_000);
      addTo(this.actionsPer, ACTIONS_BINS, n);
      addTo(this.eventsPer, EVENTS_BINS, Number(nEvents?.get(i) ?? 0));
      bump((this.endReasons[split] ??= {}), String(ends?.get(i)));
      const appList = appsCol?.get(i);
      if (appList) for (const app of appList) bump(this.apps, String(app));
      const kindsOfSplit = (this.kinds[split] ??= {});
      if (actions) {
        const kinds = actions.getChild('kind');
        const red = actions.getChild('redacted');
        const frames = actions.getChild('frame_uri');
        for (let j = 0; j < n; j++) {
          bump(kindsOfSplit, String(kinds.get(j)));
          const r = red?.get(j);
          if (r !== null && r !== undefined) bump(this.redacted, String(r));
          if (frames?.get(j) !== null && frames?.get(j) !== undefined) figures.frames++;
        }
      }
      const id = String(ids?.get(i));
      const rank = this.rank(id);
      if (this.sample.length >= this.options.sampleSize && rank >= this.sample[this.sample.length - 1].rank) continue;
      const episode = this.sampleEpisode({
        id,
        split,
        day: dayString(days?.get(i)),
        duration: Number(durations?.get(i) ?? 0),
        end: String(ends?.get(i)),
        width: num(widths?.get(i)),
        height: num(heights?.get(i)),
        contexts: contexts?.get(i),
        actions,
      });
      this.sample.push({ rank, episode });
      this.sample.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
      if (this.sample.length > this.options.sampleSize) this.sample.length = this.options.sampleSize;
    }
  }

  private sampleEpisode(row: {
    id: string;
    split: string;
    day: string;
    duration: number;
    end: string;
    width: number | null;
    height: number | null;
    contexts: any;
    actions: any;
  }): SampleEpisode {
    const appOfContext: string[] = [];
    if (row.contexts) for (const c of row.contexts) appOfContext.push(String(c.app));
    const frames: string[] = [];
    const frameIndex = new Map<string, number>();
    const actions: SampleAction[] = [];
    if (row.actions) {
      for (const a of row.actions) {
        let frame = -1;
        const uri = a.frame_uri;
        if (uri !== null && uri !== undefined) {
          const known = frameIndex.get(uri);
          if (known !== undefined) frame = known;
          else {
            const data = this.options.frameDataUri(String(uri));
            if (data !== undefined) {
              frame = frames.length;
              frames.push(data);
              frameIndex.set(uri, frame);
            }
          }
        }
        const path: [number, number][] = [];
        if (a.path) for (const p of a.path) path.push([Number(p.x), Number(p.y)]);
        const context = Number(a.context);
        actions.push({
          kind: String(a.kind),
          t_ms: Number(a.t_ms),
          duration_ms: Number(a.duration_ms),
          x: num(a.x),
          y: num(a.y),
          x2: num(a.x2),
          y2: num(a.y2),
          dx: num(a.dx),
          dy: num(a.dy),
          text: a.text ?? null,
          key: a.key ?? null,
          redacted: a.redacted ?? null,
          app: context >= 0 && context < appOfContext.length ? appOfContext[context] : null,
          path,
          frame,
        });
      }
    }
    return {
      episode_id: row.id,
      split: row.split,
      start_day: row.day,
      duration_ms: row.duration,
      end_reason: row.end,
      screen_width: row.width,
      screen_height: row.height,
      actions,
      frames,
    };
  }

  finish(manifest: Record<string, any>): ReportData {
    for (const split of Object.keys(manifest.splits ?? {})) this.splits[split] ??= { episodes: 0, actions: 0, frames: 0 };
    const apps = Object.entries(this.apps).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const topApps: Record<string, number> = {};
    let other = 0;
    apps.forEach(([app, n], i) => {
      if (i < this.options.topApps) topApps[app] = n;
      else other += n;
    });
    if (other > 0) topApps['(other)'] = other;
    const privacy: RuleCount[] = [];
    for (const [section, counts] of Object.entries(manifest.privacy ?? {})) {
      if (!counts || typeof counts !== 'object') continue;
      for (const [rule, count] of Object.entries(counts as Record<string, number>)) {
        privacy.push({ section, rule, count: Number(count), text: this.options.ruleText(section, rule) });
      }
    }
    const numbers = (o: unknown): Record<string, number> => {
      const out: Record<string, number> = {};
      if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) if (typeof v === 'number') out[k] = v;
      return out;
    };
    return {
      dataset: {
        name: String(manifest.dataset ?? ''),
        schema_version: String(manifest.schema_version ?? ''),
        config_hash: String(manifest.config_hash ?? ''),
        created_at: manifest.created_at ?? null,
        formats: Array.isArray(manifest.formats) ? manifest.formats.map(String) : [],
      },
      splits: this.splits,
      duration_minutes: this.duration,
      actions_per_episode: this.actionsPer,
      events_per_episode: this.eventsPer,
      action_kinds: this.kinds,
      end_reasons: this.endReasons,
      apps: topApps,
      redacted_actions: this.redacted,
      privacy,
      dropped_rules: Object.entries(numbers(manifest.dropped)).map(([rule, count]) => ({
        section: 'dropped',
        rule,
        count,
        text: this.options.ruleText('dropped', rule),
      })),
      totals: numbers(manifest.totals),
      sample: this.sample.map((s) => s.episode),
    };
  }
}
