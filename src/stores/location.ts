// Where a dataset lives: a directory on disk, or a prefix in an S3-compatible bucket
// (`s3://bucket/prefix`). One parser, so every command reads `--out`/`--dataset` the same way.

export type DatasetLocation = { kind: 'disk'; path: string } | { kind: 's3'; uri: string; bucket: string; prefix: string };

/** Bucket names as S3 allows them (3-63 characters of lowercase letters, digits, dots, hyphens). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseDatasetLocation(value: string): DatasetLocation {
  if (!/^s3:\/\//i.test(value)) return { kind: 'disk', path: value };
  const rest = value.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = (slash < 0 ? '' : rest.slice(slash + 1)).replace(/\/+$/, '');
  if (!BUCKET.test(bucket)) throw new Error(`${value}: '${bucket}' is not an S3 bucket name`);
  if (prefix.split('/').some((part) => part === '..' || part === '.' || (part === '' && prefix !== ''))) {
    throw new Error(`${value}: the prefix must be a plain path (no empty, '.' or '..' parts)`);
  }
  return { kind: 's3', uri: `s3://${bucket}${prefix ? `/${prefix}` : ''}`, bucket, prefix };
}

/** The object key of a dataset file (`manifest.json`, `data/train/x.parquet`) under a prefix. */
export function objectKey(prefix: string, relativePath: string): string {
  return prefix ? `${prefix}/${relativePath}` : relativePath;
}
