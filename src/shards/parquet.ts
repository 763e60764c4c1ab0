// Arrow table to Parquet bytes with parquet-wasm. Its Node build instantiates the wasm module
// synchronously on import, so no init call is needed. For one library version the output is a pure
// function of the table: parquet-rs writes no timestamps or random ids (test/shards.test.ts checks).
import { tableToIPC, type Table } from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, WriterVersion, writeParquet } from 'parquet-wasm';
import { SCHEMA_VERSION, SCHEMA_VERSION_KEY } from './schema.ts';

export const PARQUET_COMPRESSION = 'zstd';

/**
 * Parquet file bytes for `table`, ZSTD-compressed, in row groups of at most `maxRowGroupRows`.
 * The whole file is built in wasm memory: keep tables well under 2 GB.
 */
export function tableToParquet(table: Table, maxRowGroupRows: number): Uint8Array {
  if (!Number.isInteger(maxRowGroupRows) || maxRowGroupRows < 1) {
    throw new RangeError(`maxRowGroupRows must be a positive integer, got ${maxRowGroupRows}`);
  }
  const properties = new WriterPropertiesBuilder()
    .setCompression(Compression.ZSTD)
    // V1 data pages: older readers (some Spark/Hive builds) do not read V2 pages
    .setWriterVersion(WriterVersion.V1)
    .setMaxRowGroupSize(maxRowGroupRows)
    // also as plain Parquet metadata, for readers that ignore the embedded Arrow schema
    .setKeyValueMetadata(new Map([[SCHEMA_VERSION_KEY, SCHEMA_VERSION]]))
    .build();
  // writeParquet takes ownership of (and frees) both wasm objects
  return writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')), properties);
}
