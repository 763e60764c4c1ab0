// Episode rows to Arrow columns. Values go straight into growable typed arrays and offset arrays,
// which become Arrow Data with makeData: per-row builder.append is ~20x slower on nested rows.
// EpisodeColumns is local mutable state; from outside, encodeEpisodes is a pure function.
// A builder that refills its arrays (the shard writer's) keeps them from one batch to the next:
// made afresh, each batch grew its ~40 arrays from 256 slots to megabytes again, and those arrays,
// alive for as long as the batch filled, died in the old generation, where V8 counts their bytes
// towards starting a full collection (docs/PERFORMANCE.md, "Memory").
import { makeData, RecordBatch, Table, Struct, List, type Data, type DataType, type Field } from 'apache-arrow';
import { datasetInt32, UnwritableRowError, type EpisodeRow } from '../contract/episode.ts';
import { EPISODE_SCHEMA } from './schema.ts';

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Validity bitmap, created only once a null shows up (most columns never have one). */
class Validity {
  bits: Uint8Array;
  nullCount = 0;

  constructor(validBefore: number) {
    this.bits = new Uint8Array(Math.max(64, (validBefore >> 3) + 1) * 2);
    this.bits.fill(0xff, 0, validBefore >> 3);
    for (let i = validBefore & ~7; i < validBefore; i++) this.bits[i >> 3] |= 1 << (i & 7);
  }

  set(index: number, valid: boolean): void {
    const byte = index >> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(this.bits.length * 2);
      grown.set(this.bits);
      this.bits = grown;
    }
    if (valid) this.bits[byte] |= 1 << (index & 7);
    else {
      this.bits[byte] &= ~(1 << (index & 7));
      this.nullCount++;
    }
  }

  finish(length: number): Uint8Array {
    return this.bits.subarray(0, (length + 7) >> 3);
  }
}

abstract class Column {
  length = 0;
  protected validity: Validity | null = null;
  private committedLength = 0;
  private committedNulls = 0;

  constructor(readonly name: string, readonly nullable: boolean) {}

  /** Empties the column for the next batch, keeping its arrays (the last batch's Data views them). */
  clear(): void {
    this.length = 0;
    this.validity = null;
    this.committedLength = 0;
    this.committedNulls = 0;
  }

  /** the values so far belong to complete rows. */
  commit(): void {
    this.committedLength = this.length;
    this.committedNulls = this.validity ? this.validity.nullCount : 0;
  }

  /** drops values pushed since the last commit (a row that failed half way). */
  rollback(): void {
    this.length = this.committedLength;
    if (this.validity) this.validity.nullCount = this.committedNulls;
  }

  protected markNull(): void {
    if (!this.nullable) throw new TypeError(`episode column ${this.name} cannot be null`);
    this.validity ??= new Validity(this.length);
    this.validity.set(this.length, false);
  }

  protected markValid(): void {
    if (this.validity) this.validity.set(this.length, true);
  }

  protected nullProps(): { nullCount: number; nullBitmap?: Uint8Array } {
    if (!this.validity || this.validity.nullCount === 0) return { nullCount: 0 };
    return { nullCount: this.validity.nullCount, nullBitmap: this.validity.finish(this.length) };
  }

  abstract bytes(): number;
  abstract finish(type: DataType): Data;
}

/** A column of 32-bit numbers: values in a growable typed array, nulls as zeros plus the bitmap. */
abstract class Numeric32Column<A extends Int32Array | Float32Array> extends Column {
  protected abstract values: A;

  /** how a present value is stored (a range check, rounding). */
  protected abstract store(value: number): number;

  push(value: number | null | undefined): void {
    if (this.length === this.values.length) this.values = grow32(this.values, this.length + 1);
    if (value == null) {
      this.markNull();
      this.values[this.length] = 0;
    } else {
      const stored = this.store(value);
      this.markValid();
      this.values[this.length] = stored;
    }
    this.length++;
  }

  bytes(): number {
    return this.length * 4;
  }

  finish(type: DataType): Data {
    return makeData({ type, length: this.length, ...this.nullProps(), data: this.values.subarray(0, this.length) } as never);
  }
}

class Int32Column extends Numeric32Column<Int32Array> {
  protected values = new Int32Array(256);

  protected store(value: number): number {
    return datasetInt32(value, 'episode column', this.name);
  }
}

class Float32Column extends Numeric32Column<Float32Array> {
  protected values = new Float32Array(256);

  protected store(value: number): number {
    return value;
  }
}

class BoolColumn extends Column {
  private values = new Uint8Array(64);

  push(value: boolean): void {
    const byte = this.length >> 3;
    if (byte >= this.values.length) {
      const grown = new Uint8Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    if (value) this.values[byte] |= 1 << (this.length & 7);
    else this.values[byte] &= ~(1 << (this.length & 7));
    this.length++;
  }

  bytes(): number {
    return (this.length + 7) >> 3;
  }

  finish(type: DataType): Data {
    return makeData({ type, length: this.length, nullCount: 0, data: this.values.subarray(0, (this.length + 7) >> 3) } as never);
  }
}

class Utf8Column extends Column {
  private offsets = new Int32Array(256);
  private data = Buffer.alloc(4096);
  private end = 0;

  push(value: string | null | undefined): void {
    if (this.length + 1 === this.offsets.length) this.offsets = grow32(this.offsets, this.length + 2);
    if (value == null) {
      this.markNull();
    } else {
      if (typeof value !== 'string') throw new TypeError(`episode column ${this.name} must be a string`);
      this.markValid();
      const worstCase = this.end + value.length * 3;
      if (worstCase > this.data.length) {
        const grown = Buffer.alloc(Math.max(this.data.length * 2, worstCase));
        this.data.copy(grown, 0, 0, this.end);
        this.data = grown;
      }
      // most strings here are short ASCII (kinds, keys, ids): a JS loop beats a native call
      const data = this.data;
      const start = this.end;
      const n = value.length;
      let i = 0;
      for (; i < n; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        data[start + i] = code;
      }
      this.end = i === n ? start + n : start + i + data.write(i === 0 ? value : value.slice(i), start + i, 'utf8');
    }
    this.length++;
    this.offsets[this.length] = this.end;
  }

  override rollback(): void {
    super.rollback();
    this.end = this.offsets[this.length];
  }

  override clear(): void {
    super.clear();
    this.end = 0;
  }

  bytes(): number {
    return this.end + this.length * 4;
  }

  finish(type: DataType): Data {
    return makeData({
      type,
      length: this.length,
      ...this.nullProps(),
      valueOffsets: this.offsets.subarray(0, this.length + 1),
      data: new Uint8Array(this.data.buffer, this.data.byteOffset, this.end),
    } as never);
  }
}

/** Offsets (and validity) of a list column; the values live in child columns. */
class ListOffsets extends Column {
  private offsets = new Int32Array(256);

  /** closes the current list at `childLength`, or marks it null (it must then be empty). */
  push(childLength: number, isNull = false): void {
    if (this.length + 1 === this.offsets.length) this.offsets = grow32(this.offsets, this.length + 2);
    if (isNull) this.markNull();
    else this.markValid();
    this.length++;
    this.offsets[this.length] = childLength;
  }

  bytes(): number {
    return this.length * 4;
  }

  finish(type: DataType, child?: Data): Data {
    return makeData({
      type,
      length: this.length,
      ...this.nullProps(),
      valueOffsets: this.offsets.subarray(0, this.length + 1),
      child,
    } as never);
  }
}

function grow32<T extends Int32Array | Float32Array>(values: T, atLeast: number): T {
  const grown = new (values.constructor as new (n: number) => T)(Math.max(values.length * 2, atLeast));
  grown.set(values);
  return grown;
}

/** Builds a struct's Data from its type, taking each child by field name so order follows the schema. */
function structData(type: Struct, length: number, children: Record<string, (field: Field) => Data>): Data {
  const data = type.children.map((field) => {
    const make = children[field.name];
    if (!make) throw new Error(`no column for schema field ${field.name}`);
    return make(field);
  });
  return makeData({ type, length, nullCount: 0, children: data });
}

function listItemType(field: Field): DataType {
  if (!(field.type instanceof List)) throw new Error(`schema field ${field.name} is not a list`);
  return field.type.valueType;
}

/** days since 1970-01-01 of a `YYYY-MM-DD` UTC date. */
export function dayNumber(day: string): number {
  const ms = DAY_PATTERN.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
  if (Number.isNaN(ms)) throw new RangeError(`start_day must be a YYYY-MM-DD date, got ${JSON.stringify(day)}`);
  return ms / DAY_MS;
}

/**
 * Appends episode rows column by column; `finish()` hands the columns over as an Arrow table and
 * starts empty again. `byteLength` is the uncompressed size of what is buffered: the shard writer
 * rotates on it. With `refill`, the next rows go into the same arrays: a table `finish` returned is
 * valid only until the next `append` (the shard writer serializes each one at once).
 */
export class EpisodeColumns {
  private rows = 0;
  private actionCount = 0;
  private lastDay = '';
  private lastDayNumber = 0;

  private episode_id = new Utf8Column('episode_id', false);
  private user = new Utf8Column('user', false);
  private device = new Utf8Column('device', false);
  private split = new Utf8Column('split', false);
  private start_day = new Int32Column('start_day', false);
  private duration_ms = new Int32Column('duration_ms', false);
  private end_reason = new Utf8Column('end_reason', false);
  private continues = new Utf8Column('continues', true);
  private screen_width = new Int32Column('screen_width', true);
  private screen_height = new Int32Column('screen_height', true);
  private apps = new ListOffsets('apps', false);
  private app = new Utf8Column('apps.element', false);
  private contexts = new ListOffsets('contexts', false);
  /** the columns of the fields of each context (`contexts.app`, ...). */
  private ctx = {
    app: new Utf8Column('contexts.app', false),
    title: new Utf8Column('contexts.title', true),
    url: new Utf8Column('contexts.url', true),
    eu_linked: new BoolColumn('contexts.eu_linked', false),
  };
  private n_events = new Int32Column('n_events', false);
  private n_actions = new Int32Column('n_actions', false);
  private actions = new ListOffsets('actions', false);
  /** the columns of the fields of each action (`actions.kind`, ...). */
  private act = {
    kind: new Utf8Column('actions.kind', false),
    t_ms: new Int32Column('actions.t_ms', false),
    duration_ms: new Int32Column('actions.duration_ms', false),
    x: new Int32Column('actions.x', true),
    y: new Int32Column('actions.y', true),
    nx: new Float32Column('actions.nx', true),
    ny: new Float32Column('actions.ny', true),
    x2: new Int32Column('actions.x2', true),
    y2: new Int32Column('actions.y2', true),
    nx2: new Float32Column('actions.nx2', true),
    ny2: new Float32Column('actions.ny2', true),
    dx: new Float32Column('actions.dx', true),
    dy: new Float32Column('actions.dy', true),
    text: new Utf8Column('actions.text', true),
    key: new Utf8Column('actions.key', true),
    key_times_ms: new ListOffsets('actions.key_times_ms', true),
    key_time: new Int32Column('actions.key_times_ms.element', false),
    path: new ListOffsets('actions.path', false),
    frame_uri: new Utf8Column('actions.frame_uri', true),
    context: new Int32Column('actions.context', false),
    redacted: new Utf8Column('actions.redacted', true),
  };
  private point = {
    x: new Int32Column('actions.path.x', false),
    y: new Int32Column('actions.path.y', false),
    t_ms: new Int32Column('actions.path.t_ms', false),
  };

  private readonly columnList: Column[] = [
    ...Object.values(this).filter((v): v is Column => v instanceof Column),
    ...Object.values(this.ctx),
    ...Object.values(this.act),
    ...Object.values(this.point),
  ];

  constructor(private readonly refill = false) {}

  get rowCount(): number {
    return this.rows;
  }

  get actionsCount(): number {
    return this.actionCount;
  }

  /** uncompressed bytes of the buffered columns. */
  get byteLength(): number {
    let total = 0;
    for (const column of this.columnList) total += column.bytes();
    return total;
  }

  /** Appends the row whole, or not at all: a row that breaks the contract throws and leaves no trace. */
  append(row: EpisodeRow): void {
    try {
      this.appendColumns(row);
    } catch (error) {
      for (const column of this.columnList) column.rollback();
      throw new UnwritableRowError(`episode ${row.episode_id}: ${(error as Error).message}`, { cause: error });
    }
    for (const column of this.columnList) column.commit();
    this.actionCount += row.actions.length;
    this.rows++;
  }

  private appendColumns(row: EpisodeRow): void {
    this.episode_id.push(row.episode_id);
    this.user.push(row.user);
    this.device.push(row.device);
    this.split.push(row.split);
    if (row.start_day !== this.lastDay) {
      this.lastDayNumber = dayNumber(row.start_day);
      this.lastDay = row.start_day;
    }
    this.start_day.push(this.lastDayNumber);
    this.duration_ms.push(row.duration_ms);
    this.end_reason.push(row.end_reason);
    this.continues.push(row.continues);
    this.screen_width.push(row.screen_width);
    this.screen_height.push(row.screen_height);

    for (const app of row.apps) this.app.push(app);
    this.apps.push(this.app.length);

    const { ctx } = this;
    for (const context of row.contexts) {
      ctx.app.push(context.app);
      ctx.title.push(context.title);
      ctx.url.push(context.url);
      ctx.eu_linked.push(context.eu_linked === true);
    }
    this.contexts.push(ctx.app.length);

    this.n_events.push(row.n_events);
    this.n_actions.push(row.n_actions);

    const { act, point } = this;
    for (const action of row.actions) {
      act.kind.push(action.kind);
      act.t_ms.push(action.t_ms);
      act.duration_ms.push(action.duration_ms);
      act.x.push(action.x);
      act.y.push(action.y);
      act.nx.push(action.nx);
      act.ny.push(action.ny);
      act.x2.push(action.x2);
      act.y2.push(action.y2);
      act.nx2.push(action.nx2);
      act.ny2.push(action.ny2);
      act.dx.push(action.dx);
      act.dy.push(action.dy);
      act.text.push(action.text);
      act.key.push(action.key);
      const keyTimes = action.key_times_ms;
      if (keyTimes) for (let i = 0; i < keyTimes.length; i++) act.key_time.push(keyTimes[i]);
      act.key_times_ms.push(act.key_time.length, keyTimes == null);
      const path = action.path;
      for (let i = 0; i < path.length; i++) {
        const p = path[i];
        point.x.push(p.x);
        point.y.push(p.y);
        point.t_ms.push(p.t_ms);
      }
      act.path.push(point.x.length);
      act.frame_uri.push(action.frame_uri);
      act.context.push(action.context);
      act.redacted.push(action.redacted);
    }
    this.actions.push(act.kind.length);
  }

  /** The buffered rows as one record batch; this builder is empty afterwards. */
  finish(): Table {
    const schema = EPISODE_SCHEMA;
    const { ctx, act, point } = this;
    const plain = (column: Column) => (field: Field) => column.finish(field.type);
    const actionsField = schema.fields.find((f) => f.name === 'actions')!;
    const actionType = listItemType(actionsField) as Struct;
    const pathField = actionType.children.find((f) => f.name === 'path')!;

    const columns: Record<string, (field: Field) => Data> = {
      episode_id: plain(this.episode_id),
      user: plain(this.user),
      device: plain(this.device),
      split: plain(this.split),
      start_day: plain(this.start_day),
      duration_ms: plain(this.duration_ms),
      end_reason: plain(this.end_reason),
      continues: plain(this.continues),
      screen_width: plain(this.screen_width),
      screen_height: plain(this.screen_height),
      apps: (field) => this.apps.finish(field.type, this.app.finish(listItemType(field))),
      contexts: (field) =>
        this.contexts.finish(
          field.type,
          structData(listItemType(field) as Struct, ctx.app.length, {
            app: plain(ctx.app),
            title: plain(ctx.title),
            url: plain(ctx.url),
            eu_linked: plain(ctx.eu_linked),
          }),
        ),
      n_events: plain(this.n_events),
      n_actions: plain(this.n_actions),
      actions: (field) =>
        this.actions.finish(
          field.type,
          structData(actionType, act.kind.length, {
            kind: plain(act.kind),
            t_ms: plain(act.t_ms),
            duration_ms: plain(act.duration_ms),
            x: plain(act.x),
            y: plain(act.y),
            nx: plain(act.nx),
            ny: plain(act.ny),
            x2: plain(act.x2),
            y2: plain(act.y2),
            nx2: plain(act.nx2),
            ny2: plain(act.ny2),
            dx: plain(act.dx),
            dy: plain(act.dy),
            text: plain(act.text),
            key: plain(act.key),
            key_times_ms: (f) => act.key_times_ms.finish(f.type, act.key_time.finish(listItemType(f))),
            path: (f) =>
              act.path.finish(
                f.type,
                structData(listItemType(pathField) as Struct, point.x.length, {
                  x: plain(point.x),
                  y: plain(point.y),
                  t_ms: plain(point.t_ms),
                }),
              ),
            frame_uri: plain(act.frame_uri),
            context: plain(act.context),
            redacted: plain(act.redacted),
          }),
        ),
    };
    const batchData = structData(new Struct(schema.fields), this.rows, columns);
    const table = new Table(schema, [new RecordBatch(schema, batchData as Data<Struct>)]);
    this.reset();
    return table;
  }

  private reset(): void {
    if (!this.refill) {
      Object.assign(this, new EpisodeColumns());
      return;
    }
    // the day's number stays cached: it is a function of the day
    this.rows = 0;
    this.actionCount = 0;
    for (const column of this.columnList) column.clear();
  }
}

/** Rows to one Arrow table with EPISODE_SCHEMA, in the given order. */
export function encodeEpisodes(rows: readonly EpisodeRow[]): Table {
  const columns = new EpisodeColumns();
  for (const row of rows) columns.append(row);
  return columns.finish();
}
