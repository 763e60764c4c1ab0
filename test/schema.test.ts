// The dataset's schema is declared once, as Arrow types (src/shards/schema.ts); the places that
// must agree with it are written by hand for speed: the contract's row types
// (src/contract/episode.ts), the column builders (src/shards/columns.ts), the packed action log
// (src/actions/log.ts) and the column descriptions. These tests build values for every field the
// schema declares, whatever it declares, and fail naming the field any of them drops or changes,
// so a column added to the schema and forgotten in one of them cannot ship.
import test from 'ava';
import { Bool, DateDay, Float32, Int32, List, Struct, Utf8, type DataType, type Field } from 'apache-arrow';
import { ActionLog } from '../src/actions/log.ts';
import {
  ACTION_KINDS,
  blankAction,
  END_REASONS,
  SPLITS,
  type Action,
  type EpisodeContext,
  type EpisodeRow,
  type PathPoint,
} from '../src/contract/episode.ts';
import { encodeEpisodes } from '../src/shards/columns.ts';
import { ACTION_TYPE, CONTEXT_TYPE, COLUMN_DESCRIPTIONS, describeSchema, EPISODE_SCHEMA, PATH_POINT_TYPE } from '../src/shards/schema.ts';

// Every key of the contract's types, checked by the compiler both ways (`satisfies` refuses a
// missing key and an extra one); the tests below compare them with the schema's fields.
const ROW_KEYS = {
  episode_id: true, user: true, device: true, split: true, start_day: true, duration_ms: true, end_reason: true,
  continues: true, screen_width: true, screen_height: true, apps: true, contexts: true, n_events: true,
  n_actions: true, actions: true,
} as const satisfies Record<keyof EpisodeRow, true>;
const CONTEXT_KEYS = { app: true, title: true, url: true, eu_linked: true } as const satisfies Record<keyof EpisodeContext, true>;
const POINT_KEYS = { x: true, y: true, t_ms: true } as const satisfies Record<keyof PathPoint, true>;

const names = (fields: readonly Field[]) => fields.map((f) => f.name);

test('the contract types have exactly the fields the schema declares, in its order', (t) => {
  t.deepEqual(Object.keys(ROW_KEYS), names(EPISODE_SCHEMA.fields), 'EpisodeRow (src/contract/episode.ts) against EPISODE_SCHEMA');
  t.deepEqual(Object.keys(blankAction('click', 0)), names(ACTION_TYPE.children), 'Action and blankAction against ACTION_TYPE');
  t.deepEqual(Object.keys(CONTEXT_KEYS), names(CONTEXT_TYPE.children), 'EpisodeContext against CONTEXT_TYPE');
  t.deepEqual(Object.keys(POINT_KEYS), names(PATH_POINT_TYPE.children), 'PathPoint against PATH_POINT_TYPE');
});

test('every column has a description and every description a column', (t) => {
  const paths = describeSchema().map((c) => c.path);
  t.deepEqual(paths.filter((p) => !COLUMN_DESCRIPTIONS[p]), [], 'columns without a description in COLUMN_DESCRIPTIONS');
  t.deepEqual(Object.keys(COLUMN_DESCRIPTIONS).filter((p) => !paths.includes(p)), [], 'descriptions of columns the schema does not have');
});

// Values the contract restricts a string field to; any other string field takes a made-up one.
const ENUMERATED: Record<string, readonly string[]> = {
  split: SPLITS,
  end_reason: END_REASONS,
  'actions.kind': ACTION_KINDS,
  'actions.redacted': ['eu_context', 'secure_input'],
};

/**
 * A value for every field of `type`, none of them null or a default, each different from the
 * others where the type allows, so a field read into another's place shows. `big` puts pixel
 * values past 16 bits (the action log packs small path points in one word).
 */
function fill(type: DataType, path: string, seed: { n: number }, big: boolean): unknown {
  const n = ++seed.n;
  if (type instanceof Struct) {
    const value: Record<string, unknown> = {};
    for (const child of type.children) value[child.name] = fill(child.type, path ? `${path}.${child.name}` : child.name, seed, big);
    return value;
  }
  if (type instanceof List) return [fill(type.valueType, path, seed, big), fill(type.valueType, path, seed, big)];
  if (type instanceof Utf8) {
    const allowed = ENUMERATED[path];
    return allowed ? allowed[n % allowed.length] : `${path}-${n}`;
  }
  if (type instanceof Int32) return big && /\.(x|y|x2|y2)$/.test(path) ? 70_000 + n : 3 + n;
  if (type instanceof Float32) return 0.25 + n / 8; // exact in float32
  if (type instanceof Bool) return true;
  if (type instanceof DateDay) return '2026-03-02';
  throw new Error(`schema.test.ts cannot fill ${path} of type ${type}: teach fill() the new type`);
}

function fullAction(big: boolean): Action {
  const action = fill(ACTION_TYPE, 'actions', { n: 0 }, big) as Action;
  action.context = 0;
  return action;
}

for (const big of [false, true]) {
  test(`an action with every schema field set comes back whole from the packed action log${big ? ' (pixels past 16 bits)' : ''}`, (t) => {
    const action = fullAction(big);
    const log = new ActionLog();
    log.append(action);
    const out: Action[] = [];
    log.drainInto(out);
    for (const field of names(ACTION_TYPE.children)) {
      t.deepEqual((out[0] as unknown as Record<string, unknown>)[field], (action as unknown as Record<string, unknown>)[field], `actions.${field} (src/actions/log.ts)`);
    }
  });
}

test('an action with every nullable field null comes back null from the packed action log', (t) => {
  const action = blankAction('key', 5);
  const log = new ActionLog();
  log.append(action);
  const out: Action[] = [];
  log.drainInto(out);
  t.deepEqual(out[0], action);
});

/** The Arrow value as plain JS, the way the row was given (dates as `YYYY-MM-DD`). */
function plain(value: unknown, type: DataType): unknown {
  if (value === null) return null;
  if (type instanceof Struct) {
    const row = value as Record<string, unknown>;
    return Object.fromEntries(type.children.map((f) => [f.name, plain(row[f.name], f.type)]));
  }
  if (type instanceof List) return [...(value as Iterable<unknown>)].map((v) => plain(v, type.valueType));
  if (type instanceof DateDay) return new Date(value as number).toISOString().slice(0, 10);
  return value;
}

function readBack(row: EpisodeRow): Record<string, unknown> {
  const table = encodeEpisodes([row]);
  const got = table.get(0) as unknown as Record<string, unknown>;
  return Object.fromEntries(EPISODE_SCHEMA.fields.map((f) => [f.name, plain(got[f.name], f.type)]));
}

test('a row with every schema column set comes back whole from the episode columns', (t) => {
  const episode = fill(new Struct(EPISODE_SCHEMA.fields), '', { n: 0 }, false) as EpisodeRow;
  episode.actions = [fullAction(false), fullAction(true)];
  episode.n_actions = episode.actions.length;
  const got = readBack(episode);
  for (const field of EPISODE_SCHEMA.fields) {
    t.deepEqual(got[field.name], (episode as unknown as Record<string, unknown>)[field.name], `${field.name} (src/shards/columns.ts)`);
  }
});
