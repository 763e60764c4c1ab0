// Pipeline config: everything an operator changes lives in one YAML file, validated on load.
// Unknown keys are errors (a typo must not silently fall back to a default), and every error
// names the key path and the line it is on.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseDocument, LineCounter, isMap, isSeq, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { projectFile } from './project-files.ts';

const MiB = 1024 * 1024;
const MINUTE = 60_000;

export const EU_EEA_REGIONS = [
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU',
  'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO',
];

const positiveMs = z.number().int().positive();
const percent = z.number().min(0).max(100);

const KafkaConfig = z.strictObject({
  brokers: z.array(z.string().min(1)).min(1).default(['127.0.0.1:9092']),
  client_id: z.string().default('episodic'),
  group_id: z.string().default('episodic'),
  topics: z
    .strictObject({
      events: z.string().default('input-events'),
      registry: z.string().default('registry'),
      dead_letter: z.string().default('input-events-dlq'),
    })
    .prefault({}),
  from_beginning: z.boolean().default(true),
  /** events stamped further ahead of the broker's clock than this are dead letters. */
  max_future_ms: positiveMs.default(10 * MINUTE),
  /** a partition quiet this long in wall-clock time closes its open episodes. */
  idle_close_ms: positiveMs.optional(),
  /** how often closed episodes are written and offsets committed; shorter means smaller shards. */
  commit_interval_ms: positiveMs.default(5000),
  /** consumer-group session timeout: how long a silent instance keeps its partitions. */
  session_timeout_ms: positiveMs.default(30_000),
  ssl: z
    .union([
      z.boolean(),
      z.strictObject({
        ca_file: z.string().optional(),
        cert_file: z.string().optional(),
        key_file: z.string().optional(),
        reject_unauthorized: z.boolean().default(true),
      }),
    ])
    .default(false),
  sasl: z
    .strictObject({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      username: z.string(),
      /** the password comes from this environment variable, never from YAML. */
      password_env: z.string(),
    })
    .optional(),
});

const SourceConfig = z.strictObject({
  kind: z.enum(['file', 'kafka']).default('file'),
  /** file source: events (.jsonl or .avro) and registry (.jsonl); CLI flags override. */
  input: z.string().optional(),
  registry: z.string().optional(),
  kafka: KafkaConfig.prefault({}),
});

const SessionConfig = z.strictObject({
  inactivity_gap_ms: positiveMs.default(5 * MINUTE),
  // action times are int32 milliseconds from the episode start in the dataset
  max_duration_ms: positiveMs.max(2_147_483_647, 'at most 2147483647 (24.8 days): action times are int32 ms in the dataset').default(60 * MINUTE),
  /** how far out of order a device's events may arrive and still be placed in order. */
  grace_ms: z.number().int().min(0).default(30_000),
  min_actions: z.number().int().min(0).default(3),
});

const ActionsConfig = z.strictObject({
  multi_click_ms: positiveMs.default(500),
  multi_click_px: z.number().positive().default(5),
  drag_px: z.number().positive().default(6),
  typing_pause_ms: positiveMs.default(1000),
  path_epsilon_px: z.number().min(0).default(3),
});

const CaptureConfig = z.strictObject({
  /** home regions of the people who are captured at all. */
  regions: z.array(z.string().length(2)).min(1).default(['US']),
});

const PrivacyConfig = z.strictObject({
  eu_regions: z.array(z.string().length(2)).default(EU_EEA_REGIONS),
  eu_tags: z.array(z.string()).default(['eu', 'eu-data', 'gdpr']),
  max_pause_ms: positiveMs.max(30 * MINUTE).default(30 * MINUTE),
  sensitive_contexts: z
    .strictObject({
      apps: z.array(z.string()).default([]),
      url_prefixes: z.array(z.string()).default([]),
      tags: z.array(z.string()).default(['sensitive', 'hr', 'health', 'legal']),
    })
    .prefault({}),
  /** environment variable that holds the pseudonym key. */
  pseudonym_key_env: z.string().default('EPISODIC_PSEUDONYM_KEY'),
});

const OutputConfig = z.strictObject({
  dir: z.string().default('out/dataset'),
  /** parquet is streamed to disk; arrow (Arrow IPC files) is held whole per shard until the shard closes. */
  formats: z.array(z.enum(['parquet', 'arrow'])).min(1).default(['parquet']),
  /** a split's shard closes once its rows reach this many uncompressed bytes (file size, not memory, for Parquet). */
  shard_target_bytes: z.number().int().positive().default(128 * MiB),
  /** uncompressed bytes per Parquet row group; the row group being encoded takes up to about this in wasm memory. */
  row_group_bytes: z.number().int().positive().max(64 * MiB).default(64 * MiB),
  splits: z
    .strictObject({ train: percent.default(90), validation: percent.default(5), test: percent.default(5) })
    .prefault({})
    .refine((s) => Math.abs(s.train + s.validation + s.test - 100) < 1e-9, {
      message: 'train + validation + test must add up to 100',
    }),
  /** dead letters from file sources; default OUT/dead-letter.jsonl. */
  dead_letter: z.string().optional(),
});

export const PipelineConfigSchema = z.strictObject({
  version: z.literal(1).default(1),
  name: z.string().default('episodic'),
  source: SourceConfig.prefault({}),
  session: SessionConfig.prefault({}),
  actions: ActionsConfig.prefault({}),
  capture: CaptureConfig.prefault({}),
  privacy: PrivacyConfig.prefault({}),
  output: OutputConfig.prefault({}),
});

export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;
export type SessionSettings = PipelineConfig['session'];
export type ActionSettings = PipelineConfig['actions'];
export type PrivacySettings = PipelineConfig['privacy'] & { capture_regions: string[] };
export type OutputSettings = PipelineConfig['output'];
export type KafkaSettings = PipelineConfig['source']['kafka'];

export const DEFAULT_CONFIG_PATH = fileURLToPath(projectFile('pipelines/default.yaml'));

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid pipeline config\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Finds the YAML node a zod issue path points at, or the deepest one that exists. */
function nodeAt(root: YamlNode | null | undefined, path: PropertyKey[]): YamlNode | null {
  let node: unknown = root;
  let found: YamlNode | null = (root as YamlNode) ?? null;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown })?.value === key);
      if (!pair) break;
      // an unknown key's own line is more useful than its value's
      found = (pair.key as YamlNode) ?? found;
      node = pair.value;
      if (node) found = node as YamlNode;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      if (!node) break;
      found = node as YamlNode;
    } else break;
  }
  return found;
}

export function parseConfig(text: string, file = '<config>'): PipelineConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  const raw = doc.toJS() ?? {};
  const result = PipelineConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    let path = issue.path;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...issue.path, issue.keys[0]];
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    }
    const node = nodeAt(doc.contents as YamlNode, path);
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    const where = path.length ? path.join('.') : '(top level)';
    return `${where}${line ? ` (line ${line})` : ''}: ${message}`;
  });
  throw new ConfigError(file, problems);
}

export function loadConfig(path = DEFAULT_CONFIG_PATH): PipelineConfig {
  return parseConfig(readFileSync(path, 'utf8'), path);
}

/** Stable hash of the effective config: recorded in the manifest so a dataset says what made it. */
export function configHash(config: PipelineConfig): string {
  return createHash('sha256').update(stableStringify(config)).digest('hex').slice(0, 16);
}

export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function privacySettings(config: PipelineConfig): PrivacySettings {
  return { ...config.privacy, capture_regions: config.capture.regions };
}
