// Arrow record batches to Parquet bytes with parquet-wasm, streamed: batches are encoded while the
// caller yields to the event loop and the file comes out row group by row group, so neither the
// caller nor wasm memory (which never shrinks) holds a whole file. The Node build instantiates the
// wasm module synchronously on import, so no init call is needed. For one library version the
// output is a pure function of the batches (their rows and where one ends) and the row group size:
// parquet-rs writes no timestamps or random ids, and cuts row groups at exactly `maxRowGroupRows`
// rows (test/shards.test.ts checks both).
import { tableToIPC, type Table } from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, WriterVersion, transformParquetStream } from 'parquet-wasm';
import { SCHEMA_VERSION, SCHEMA_VERSION_KEY } from './schema.ts';

export const PARQUET_COMPRESSION = 'zstd';

/**
 * One Parquet file being encoded. `write` queues a batch without waiting; the file's bytes go to
 * `onBytes` in order as row groups finish, and `close` resolves once the last of them (the footer)
 * has. A failure in wasm or in `onBytes` rejects `close` (and `done`).
 *
 * Queued batches wait as Arrow IPC bytes in JS memory, and one at a time is copied into wasm when
 * the encoder asks for it: a burst of rows that arrives without the caller yielding (the last
 * episodes at the end of a replay) then costs memory that is given back, not wasm memory that
 * never shrinks.
 */
export class ParquetStreamWriter {
  /** settles when the file has been written out or the encoding failed. */
  readonly done: Promise<void>;
  private controller!: ReadableStreamDefaultController<unknown>;
  private readonly queue: Uint8Array[] = [];
  /** the encoder asked for a batch while none was queued. */
  private wanted = false;
  private closing = false;
  private ended = false;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly maxRowGroupRows: number, onBytes: (bytes: Uint8Array) => void) {
    if (!Number.isInteger(maxRowGroupRows) || maxRowGroupRows < 1) {
      throw new RangeError(`maxRowGroupRows must be a positive integer, got ${maxRowGroupRows}`);
    }
    const input = new ReadableStream<unknown>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        // with no high water mark, called only when the encoder waits for its next batch
        pull: () => {
          this.wanted = true;
          this.handOver();
        },
      },
      { highWaterMark: 0 },
    );
    // resolves only once the first batch is handed over, so it is chained, never awaited here
    this.done = transformParquetStream(input, writerProperties(maxRowGroupRows)).then(async (output: ReadableStream<Uint8Array>) => {
      for await (const bytes of output as unknown as AsyncIterable<Uint8Array>) onBytes(bytes);
    });
    // a failure is reported through close(); this keeps it from counting as unhandled meanwhile
    this.done.catch(() => {});
  }

  /** batches queued that the encoder has not taken yet. */
  get queuedBatches(): number {
    return this.queue.length;
  }

  /** Queues the batch (as IPC bytes: the table may be dropped right after). */
  write(batch: Table): void {
    if (this.closing || this.ended) throw new Error('parquet stream is closed');
    this.queue.push(tableToIPC(batch, 'stream'));
    if (this.wanted) this.handOver();
  }

  /** Resolves once the encoder has taken every batch queued so far. */
  taken(): Promise<void> {
    if (this.queue.length === 0 || this.ended) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Ends the file after the queued batches; resolves when all its bytes are out. */
  close(): Promise<void> {
    this.closing = true;
    if (this.wanted) this.handOver();
    return this.done;
  }

  /** Gives up the file: queued batches are dropped; the caller ignores whatever bytes still come. */
  abort(): void {
    this.queue.length = 0;
    this.end();
    this.controller.error(new Error('parquet stream discarded'));
  }

  private handOver(): void {
    const ipc = this.queue.shift();
    if (ipc !== undefined) {
      this.wanted = false;
      const wasmTable = WasmTable.fromIPCStream(ipc);
      try {
        // the stream takes ownership of each record batch; the table itself is ours to free
        for (const recordBatch of wasmTable.recordBatches()) this.controller.enqueue(recordBatch);
      } finally {
        wasmTable.free();
      }
    } else if (this.closing && !this.ended) {
      this.end();
      this.controller.close();
    }
    if (this.queue.length === 0) for (const wake of this.waiting.splice(0)) wake();
  }

  private end(): void {
    this.ended = true;
    for (const wake of this.waiting.splice(0)) wake();
  }
}

function writerProperties(maxRowGroupRows: number) {
  return (
    new WriterPropertiesBuilder()
      .setCompression(Compression.ZSTD)
      // V1 data pages: older readers (some Spark/Hive builds) do not read V2 pages
      .setWriterVersion(WriterVersion.V1)
      .setMaxRowGroupSize(maxRowGroupRows)
      // No dictionaries in the nested columns: a dictionary-encoded page of a list<struct> leaf
      // buffers 8-byte indices and its nesting levels for up to 20k rows before it is cut, and the
      // actions' twenty-odd leaves held ~90 MiB of wasm memory (which never shrinks) for a 64 MiB
      // row group; plain pages held ~70, and ZSTD compresses them to files ~20% smaller, encoded
      // faster (docs/PERFORMANCE.md). The top-level columns with few distinct values keep theirs,
      // for readers that filter on them (parquet-wasm 0.8 cannot name nested columns here).
      .setDictionaryEnabled(false)
      .setColumnDictionaryEnabled('user', true)
      .setColumnDictionaryEnabled('device', true)
      .setColumnDictionaryEnabled('split', true)
      .setColumnDictionaryEnabled('end_reason', true)
      // 1 MiB data pages (parquet-rs' default): plain values compress better in larger pages
      .setDataPageSizeLimit(1024 * 1024)
      // also as plain Parquet metadata, for readers that ignore the embedded Arrow schema
      .setKeyValueMetadata(new Map([[SCHEMA_VERSION_KEY, SCHEMA_VERSION]]))
      .build()
  );
}
