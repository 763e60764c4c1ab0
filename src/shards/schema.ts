// The dataset's Arrow schema: one row per episode, actions nested in it. Plain types only (no
// dictionaries, no unions, no large/view variants) so pyarrow, DuckDB, Polars and HF datasets all
// read it as is. A field is nullable exactly where EpisodeRow allows null.
// This is the one declaration of the dataset's columns. The hand-written places that must follow it
// (EpisodeRow and Action in contract/episode.ts, shards/columns.ts, actions/log.ts, the
// descriptions below) are checked against it by test/schema.test.ts, which names what disagrees.
import { Field, Schema, Struct, List, Utf8, Int32, Float32, DateDay, Bool, type DataType } from 'apache-arrow';

export const SCHEMA_VERSION = '1';
export const SCHEMA_VERSION_KEY = 'episodic.schema_version';

/** Parquet's LIST spec names the element `element`; using it keeps strict readers (Spark, Hive) happy. */
const LIST_ITEM = 'element';

const listOf = (type: DataType, nullableItems = false) => new List(new Field(LIST_ITEM, type, nullableItems));
const str = () => new Utf8();
const i32 = () => new Int32();
const f32 = () => new Float32();

export const PATH_POINT_TYPE = new Struct([
  new Field('x', i32(), false),
  new Field('y', i32(), false),
  new Field('t_ms', i32(), false),
]);

export const CONTEXT_TYPE = new Struct([
  new Field('app', str(), false),
  new Field('title', str(), true),
  new Field('url', str(), true),
  new Field('eu_linked', new Bool(), false),
]);

export const ACTION_TYPE = new Struct([
  new Field('kind', str(), false),
  new Field('t_ms', i32(), false),
  new Field('duration_ms', i32(), false),
  new Field('x', i32(), true),
  new Field('y', i32(), true),
  new Field('nx', f32(), true),
  new Field('ny', f32(), true),
  new Field('x2', i32(), true),
  new Field('y2', i32(), true),
  new Field('nx2', f32(), true),
  new Field('ny2', f32(), true),
  // wheel deltas can be fractional (trackpads), so float rather than int
  new Field('dx', f32(), true),
  new Field('dy', f32(), true),
  new Field('text', str(), true),
  new Field('key', str(), true),
  new Field('key_times_ms', listOf(i32()), true),
  new Field('path', listOf(PATH_POINT_TYPE), false),
  new Field('frame_uri', str(), true),
  new Field('context', i32(), false),
  new Field('redacted', str(), true),
]);

export const EPISODE_SCHEMA = new Schema(
  [
    new Field('episode_id', str(), false),
    new Field('user', str(), false),
    new Field('device', str(), false),
    new Field('split', str(), false),
    new Field('start_day', new DateDay(), false),
    new Field('duration_ms', i32(), false),
    new Field('end_reason', str(), false),
    new Field('continues', str(), true),
    new Field('screen_width', i32(), true),
    new Field('screen_height', i32(), true),
    new Field('apps', listOf(str()), false),
    new Field('contexts', listOf(CONTEXT_TYPE), false),
    new Field('n_events', i32(), false),
    new Field('n_actions', i32(), false),
    new Field('actions', listOf(ACTION_TYPE), false),
  ],
  new Map([[SCHEMA_VERSION_KEY, SCHEMA_VERSION]]),
);

/**
 * What each column means, keyed by its dotted path (list elements are skipped: `actions.path.x`).
 * The dataset card renders its schema table from the schema itself and these words, so a column
 * added without a description fails the card test rather than shipping undocumented.
 */
export const COLUMN_DESCRIPTIONS: Readonly<Record<string, string>> = {
  episode_id: 'Episode id, deterministic: a replay of the same events gives the same id.',
  user: 'Pseudonym of the person (keyed hash; never the employee id).',
  device: 'Pseudonym of the device.',
  split: 'train, validation or test (also the folder under data/).',
  start_day: 'UTC day the episode started (no time of day is kept).',
  duration_ms: 'Episode length in milliseconds (at most the configured maximum, 60 min by default).',
  end_reason:
    'Why the episode ended: gap (inactivity), lock, pause, max_duration, sensitive, exempt, user_change (another person on the device) or end_of_stream.',
  continues: 'episode_id of the episode this one continues after hitting the maximum duration, else null.',
  screen_width: 'Screen width in pixels the normalized coordinates refer to; null when unknown.',
  screen_height: 'Screen height in pixels; null when unknown.',
  apps: 'Distinct applications used in the episode, in order of first use.',
  contexts: 'Window contexts the actions happened in; actions refer to them by index.',
  'contexts.app': 'Application name.',
  'contexts.title': 'Window title; null when removed by the privacy gate or unknown.',
  'contexts.url': 'Page URL for browsers; null otherwise or when removed.',
  'contexts.eu_linked': 'True when the context is linked to EU data; its content fields are then removed.',
  n_events: 'Input events the episode was built from (after deduplication and the privacy gate).',
  n_actions: 'Number of actions (length of `actions`).',
  actions: 'The agent-level actions, in time order.',
  'actions.kind':
    'click, double_click, triple_click, right_click, middle_click, drag, scroll, type, key or hotkey.',
  'actions.t_ms': 'Start of the action, milliseconds from the episode start.',
  'actions.duration_ms': 'How long the action took (press to release, first to last keystroke).',
  'actions.x': 'Pointer x in virtual-desktop pixels; null for keyboard actions.',
  'actions.y': 'Pointer y in virtual-desktop pixels; null for keyboard actions.',
  'actions.nx': 'x normalized to [0, 1] of the screen width.',
  'actions.ny': 'y normalized to [0, 1] of the screen height.',
  'actions.x2': 'Drag end x in pixels (drag only).',
  'actions.y2': 'Drag end y in pixels (drag only).',
  'actions.nx2': 'Drag end x normalized to [0, 1].',
  'actions.ny2': 'Drag end y normalized to [0, 1].',
  'actions.dx': 'Horizontal scroll amount summed over the merged wheel events (scroll only).',
  'actions.dy': 'Vertical scroll amount summed over the merged wheel events (scroll only).',
  'actions.text': 'Typed text (type only); null when redacted.',
  'actions.key': 'Key name (key, e.g. `Enter`) or chord (hotkey, e.g. `ctrl+c`).',
  'actions.key_times_ms':
    'Offset of each keystroke from the action start (type); null when stripped, as keystroke timing can identify a person.',
  'actions.path': 'Simplified mouse path that led to the action (may be empty).',
  'actions.path.x': 'Path vertex x in pixels.',
  'actions.path.y': 'Path vertex y in pixels.',
  'actions.path.t_ms': 'Path vertex time, milliseconds from the episode start.',
  'actions.frame_uri': 'URI of the last screen frame captured before the action began; null when none.',
  'actions.context': 'Index into `contexts` of the window the action happened in; -1 when unknown.',
  'actions.redacted': 'Why content was removed from this action: eu_context or secure_input; null when nothing was.',
};

export interface ColumnDoc {
  /** dotted path, list elements skipped: `actions.path.x`. */
  path: string;
  /** readable type: `int32`, `list<struct>`, `date32`. */
  type: string;
  nullable: boolean;
  description: string | undefined;
}

/** Every column and nested field, depth first, with a readable type. */
export function describeSchema(schema: Schema = EPISODE_SCHEMA): ColumnDoc[] {
  const docs: ColumnDoc[] = [];
  const visit = (field: Field, prefix: string) => {
    const path = prefix ? `${prefix}.${field.name}` : field.name;
    docs.push({ path, type: typeName(field.type), nullable: field.nullable, description: COLUMN_DESCRIPTIONS[path] });
    let inner: DataType = field.type;
    while (inner instanceof List) inner = inner.valueType;
    if (inner instanceof Struct) for (const child of inner.children) visit(child, path);
  };
  for (const field of schema.fields) visit(field, '');
  return docs;
}

function typeName(type: DataType): string {
  if (type instanceof List) return `list<${typeName(type.valueType)}>`;
  if (type instanceof Struct) return 'struct';
  if (type instanceof Utf8) return 'string';
  if (type instanceof Int32) return 'int32';
  if (type instanceof Float32) return 'float32';
  if (type instanceof DateDay) return 'date32';
  if (type instanceof Bool) return 'bool';
  return String(type);
}
