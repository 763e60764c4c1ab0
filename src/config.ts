// Pipeline config: everything an operator changes lives in one YAML file, validated on load.
// Unknown keys are errors (a typo must not silently fall back to a default), and every error
// names the key path and the line it is on.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { closest, distance } from 'fastest-levenshtein';
import { iso31661 } from 'iso-3166/1.js';
import { iso31661Reserved } from 'iso-3166/1-reserved.js';
import { parseDocument, LineCounter, isMap, isSeq, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { interpolateDocument } from './config-env.ts';
import { projectFile } from './project-files.ts';

const MiB = 1024 * 1024;
const MINUTE = 60_000;

/**
 * Where EU law (GDPR) applies, by the codes a device's `geo` may carry: the EU 27 and the EEA's IS,
 * LI, NO; Greece also as EL (the EU's own code for it); and the parts of member states with ISO
 * 3166 codes of their own: the outermost regions French Guiana GF, Guadeloupe GP, Martinique MQ,
 * Réunion RE, Mayotte YT, Saint-Martin MF, the Åland Islands AX, and the Canary Islands IC and Ceuta
 * and Melilla EA (exceptionally reserved codes some sources use).
 */
export const EU_EEA_REGIONS = [
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU',
  'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO',
  'EL', 'GF', 'GP', 'MQ', 'RE', 'YT', 'MF', 'AX', 'IC', 'EA',
];

/** ISO 3166-1 alpha-2 codes in use (the registry's home regions are these). */
export const ISO_REGIONS = iso31661.map((c) => c.alpha2).sort() as [string, ...string[]];
const ISO_REGION_SET = new Set<string>(ISO_REGIONS);

function regionProblem(input: unknown): string {
  if (typeof input !== 'string') return 'expected an ISO 3166-1 alpha-2 region code such as US or DE';
  const upper = input.toUpperCase();
  if (upper !== input && ISO_REGION_SET.has(upper)) return `'${input}' is not an ISO 3166-1 alpha-2 code: write it in capitals, '${upper}'`;
  const reserved = iso31661Reserved.find((r) => r.alpha2 === upper);
  if (reserved) return `'${input}' is reserved in ISO 3166-1 (${reserved.name}), not a country's code${upper === 'UK' ? '; the United Kingdom is GB' : ''}`;
  return `'${input}' is not an ISO 3166-1 alpha-2 region code (two capital letters such as US, DE, GB)`;
}

const regionCode = z
  .enum(ISO_REGIONS, { error: (issue) => regionProblem(issue.input) })
  .meta({ id: 'region_code', description: 'an ISO 3166-1 alpha-2 region code, in capitals' });

const positiveMs = z.number().int().positive();
const percent = z.number().min(0).max(100);

const KafkaConfig = z.strictObject({
  brokers: z.array(z.string().min(1)).min(1).default(['127.0.0.1:9092']).describe('Bootstrap brokers, `host:port`.'),
  client_id: z.string().default('episodic').describe('Kafka client id of every connection.'),
  group_id: z.string().default('episodic').describe('Consumer group; instances with the same group share the events partitions.'),
  topics: z
    .strictObject({
      events: z.string().default('input-events').describe('Input events, keyed by `device_id`, Avro values (`schemas/input-event.avsc`).'),
      registry: z.string().default('registry').describe('Registry records, compacted, keyed by what a record replaces: `person:<user_id>`, `exemption:<user_id>:<from>`, `erasure:<user_id>` (`schemas/registry-record.avsc`).'),
      dead_letter: z.string().default('input-events-dlq').describe('Where records that cannot be used go, with a reason.'),
    })
    .prefault({})
    .describe('Topic names.'),
  from_beginning: z.boolean().default(true).describe('A group without committed offsets starts at the beginning of the topics (else at their end).'),
  max_future_ms: positiveMs.default(10 * MINUTE).describe("Events stamped further ahead of the broker's clock than this are dead letters."),
  idle_close_ms: positiveMs
    .optional()
    .describe('A device quiet this long in wall-clock time has its episode closed (default: `session.inactivity_gap_ms + session.grace_ms`).'),
  commit_interval_ms: positiveMs
    .default(5000)
    .describe('How often closed episodes are written and offsets committed; shorter means smaller shards. `run --commit-interval-ms` overrides.'),
  session_timeout_ms: positiveMs
    .default(30_000)
    .describe('Consumer-group session timeout: how long a silent instance keeps its partitions. `run --session-timeout-ms` overrides.'),
  ssl: z
    .union([
      z.boolean(),
      z.strictObject({
        ca_file: z.string().optional().describe('PEM file of the CA certificates to trust.'),
        cert_file: z.string().optional().describe('PEM client certificate (mutual TLS).'),
        key_file: z.string().optional().describe('PEM client key (mutual TLS).'),
        reject_unauthorized: z.boolean().default(true).describe('Refuse brokers whose certificate does not verify.'),
      }),
    ])
    .default(false)
    .describe('TLS: `true` for the system CAs, or the files to use.'),
  sasl: z
    .strictObject({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism.'),
      username: z.string().describe('SASL user name.'),
      password_env: z.string().describe('Environment variable that holds the password (never in YAML); `run` stops naming it when unset.'),
    })
    .optional()
    .describe('SASL authentication; none when left out.'),
});

/** a UTC day as YYYY-MM-DD, years 0001-9999 (the dataset's `start_day` is a date). */
const utcDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a UTC day as YYYY-MM-DD')
  .refine((day) => day >= '0001-01-01' && !Number.isNaN(Date.parse(`${day}T00:00:00Z`)), 'a real UTC day as YYYY-MM-DD');

const TsRange = z
  .strictObject({
    from: utcDay.default('2000-01-01').describe('The first UTC day an event may be stamped with.'),
    until: utcDay.default('2100-01-01').describe('The first UTC day after the range: events stamped on or after it are dead letters.'),
  })
  .refine((r) => r.from < r.until, { message: 'from must be before until' });

const SourceConfig = z.strictObject({
  kind: z.enum(['file', 'kafka']).default('file').describe('`file`: replay a recording; `kafka`: `episodic run`.'),
  ts_range: TsRange.prefault({}).describe(
    'Events whose `ts` falls outside this range of UTC days are dead letters: a capture clock that ran away, not a recording.',
  ),
  input: z.string().optional().describe('Accepted but not read by any command: `replay --input` names the events file.'),
  registry: z.string().optional().describe('Accepted but not read by any command: `replay --registry` names the registry file.'),
  kafka: KafkaConfig.prefault({}).describe('The Kafka source (docs/operations/kafka.md).'),
});

const SessionConfig = z
  .strictObject({
    inactivity_gap_ms: positiveMs.default(5 * MINUTE).describe('This long without input (screen frames do not count) ends an episode.'),
    max_duration_ms: positiveMs
      .max(2_147_483_647, 'at most 2147483647 (24.8 days): action times are int32 ms in the dataset')
      .default(60 * MINUTE)
      .describe("An episode this long ends; the next one's `continues` names it. At most 2^31-1: action times are int32 ms. Must be above inactivity_gap_ms."),
    grace_ms: z
      .number()
      .int()
      .min(0)
      .default(30_000)
      .describe("How far out of order a device's events may arrive and still be placed in order; later ones are counted as late. Must be below inactivity_gap_ms."),
    min_actions: z.number().int().min(0).default(3).describe('Episodes with fewer actions are dropped and counted.'),
  })
  .superRefine((s, ctx) => {
    // an episode cut at max_duration before a gap could ever end it: the gap would close nothing
    if (s.max_duration_ms <= s.inactivity_gap_ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_duration_ms'],
        message: `${s.max_duration_ms} is not above inactivity_gap_ms (${s.inactivity_gap_ms}): every episode would be cut by length before a pause could end it`,
      });
    }
    // events held back for the whole gap: a pause would be seen only after its episode had to close
    if (s.grace_ms >= s.inactivity_gap_ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['grace_ms'],
        message: `${s.grace_ms} is not below inactivity_gap_ms (${s.inactivity_gap_ms}): out-of-order events may arrive a whole gap late, so no gap could be told apart from a late event`,
      });
    }
  });

const ActionsConfig = z.strictObject({
  multi_click_ms: positiveMs.default(500).describe('Clicks this close in time make a double or triple click.'),
  multi_click_px: z.number().positive().default(5).describe('... and this close in pixels.'),
  drag_px: z.number().positive().default(6).describe('A button moved further than this while held is a drag.'),
  typing_pause_ms: positiveMs.default(1000).describe('A pause this long between keystrokes starts a new `type` action.'),
  path_epsilon_px: z.number().min(0).default(3).describe('Ramer-Douglas-Peucker tolerance of the simplified mouse path.'),
});

const CaptureConfig = z.strictObject({
  regions: z
    .array(regionCode)
    .min(1)
    .default(['US'])
    .describe('Home regions (ISO 3166 alpha-2) of the people who are captured at all; everyone else is dropped.'),
});

const PrivacyConfig = z.strictObject({
  eu_regions: z
    .array(regionCode)
    .default(EU_EEA_REGIONS)
    .describe('Countries whose participants, or a device located there, make a window EU-linked (EU 27 + IS, LI, NO; Greece also as EL; GF, GP, MQ, RE, YT, MF, AX, IC, EA: territories with codes of their own).'),
  eu_tags: z.array(z.string()).default(['eu', 'eu-data', 'gdpr']).describe('Window tags that make a window EU-linked.'),
  max_pause_ms: positiveMs
    .max(30 * MINUTE)
    .default(30 * MINUTE)
    .describe('Longest a pause lasts without a `resume`; also the length of a pause with a missing or invalid duration.'),
  late_control_ms: positiveMs
    .default(24 * 60 * MINUTE)
    .describe(
      'How late (behind the device\'s newest event) a restrictive control record may come and still act without a dead letter; a later one still restricts what is open and what follows, and is a dead letter saying that episodes written before it were not corrected.',
    ),
  sensitive_contexts: z
    .strictObject({
      apps: z.array(z.string()).default([]).describe('App names, matched exactly (case-insensitive).'),
      url_prefixes: z.array(z.string()).default([]).describe('URL prefixes.'),
      tags: z.array(z.string()).default(['sensitive', 'hr', 'health', 'legal']).describe('Window tags.'),
    })
    .prefault({})
    .describe('Windows in which nothing is written, mouse included; entering one ends the episode.'),
  pseudonym_key_env: z
    .string()
    .default('EPISODIC_PSEUDONYM_KEY')
    .describe('Environment variable that holds the pseudonym key (at least 32 characters; never in YAML).'),
});

const OutputConfig = z.strictObject({
  dir: z.string().default('out/dataset').describe('The dataset directory; `--out` overrides.'),
  formats: z
    .array(z.enum(['parquet', 'arrow']))
    .min(1)
    .default(['parquet'])
    .describe('Parquet is streamed to disk; `arrow` adds Arrow IPC files, held whole per shard until the shard closes.'),
  shard_target_bytes: z
    .number()
    .int()
    .positive()
    .default(128 * MiB)
    .describe("A split's shard closes once its rows reach this many uncompressed bytes (file size, not memory, for Parquet)."),
  row_group_bytes: z
    .number()
    .int()
    .positive()
    .max(64 * MiB)
    .default(64 * MiB)
    .describe('Uncompressed bytes per Parquet row group; the row group being encoded takes up to about this in wasm memory.'),
  splits: z
    .strictObject({
      train: percent.default(90).describe('Percent of people in train.'),
      validation: percent.default(5).describe('Percent of people in validation.'),
      test: percent.default(5).describe('Percent of people in test.'),
    })
    .prefault({})
    .refine((s) => Math.abs(s.train + s.validation + s.test - 100) < 1e-9, {
      message: 'train + validation + test must add up to 100',
    })
    .describe('Split by a hash of the user pseudonym, so no person is in two splits; must add up to 100.'),
  dead_letter: z.string().optional().describe('Dead letters of file sources (default `OUT.dead-letter.jsonl`); `replay --dead-letter` overrides.'),
  s3: z
    .strictObject({
      endpoint: z
        .string()
        .regex(/^https?:\/\/[^\s/]+(\/.*)?$/, 'must be an http(s):// URL')
        .optional()
        .describe('URL of an S3-compatible server; unset: `EPISODIC_S3_ENDPOINT`, else AWS itself.'),
      region: z.string().default('us-east-1').describe('Region the client signs for.'),
      force_path_style: z.boolean().default(true).describe('Address buckets as `endpoint/bucket` (what most S3-compatible servers need) rather than `bucket.endpoint`.'),
    })
    .prefault({})
    .describe('Object storage, when `dir` (or `--out`, `--dataset`) is `s3://bucket/prefix`. Credentials come from the environment or the usual AWS chain, never from YAML.'),
});

/** `host:port`, a port from 0 (any free one) to 65535; IPv6 hosts in brackets. */
const hostPort = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9464 (0.0.0.0:9464 listens on every interface)')
  .refine((value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65_535, 'the port is above 65535');

const ObservabilityConfig = z.strictObject({
  http: hostPort
    .optional()
    .describe('`host:port` where `run` (and `replay`) serve `/metrics` (Prometheus), `/healthz` and `/readyz`; off unless set. Port 0 takes a free port.'),
});

export const PipelineConfigSchema = z.strictObject({
  version: z.literal(1).default(1).describe('Config format version.'),
  name: z.string().default('episodic').describe('Name of the pipeline, recorded in the manifest.'),
  source: SourceConfig.prefault({}).describe('Where events come from.'),
  session: SessionConfig.prefault({}).describe('How a device stream is cut into episodes.'),
  actions: ActionsConfig.prefault({}).describe('How raw events become actions.'),
  capture: CaptureConfig.prefault({}).describe('Who is captured at all.'),
  privacy: PrivacyConfig.prefault({}).describe('The privacy rules (docs/PRIVACY.md).'),
  output: OutputConfig.prefault({}).describe('What is written where.'),
  observability: ObservabilityConfig.prefault({}).describe('Metrics and health over HTTP (docs/operations/monitoring.md).'),
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

/** The keys a strict object of the schema takes at `path` (defaults, unions and optionals looked through). */
export function knownKeysAt(path: readonly PropertyKey[], schema: z.ZodType = PipelineConfigSchema): string[] {
  type Def = { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType>; options?: z.ZodType[]; in?: z.ZodType };
  const objects = (node: z.ZodType | undefined): Record<string, z.ZodType>[] => {
    const def = node?._zod.def as Def | undefined;
    if (!def) return [];
    if (def.type === 'object') return [def.shape!];
    if (def.innerType) return objects(def.innerType);
    if (def.type === 'union') return def.options!.flatMap(objects);
    if (def.type === 'pipe') return objects(def.in);
    return [];
  };
  let shapes = objects(schema);
  for (const key of path) shapes = shapes.flatMap((shape) => objects(shape[String(key)]));
  return [...new Set(shapes.flatMap((shape) => Object.keys(shape)))];
}

/** The known key a typo most likely meant, if one is close enough to be a fair guess. */
export function didYouMean(unknown: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const guess = closest(unknown, known as string[]);
  return distance(unknown, guess) <= Math.max(2, Math.floor(guess.length / 3)) ? guess : undefined;
}

/** A config from YAML text; an empty text is every default (a file that is empty is refused by loadConfig). */
export function parseConfig(text: string, file = '<config>', env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split('\n')[0]}`),
    );
  }
  const interpolation = interpolateDocument(doc, lineCounter, env);
  if (interpolation.length) {
    throw new ConfigError(file, interpolation.map((p) => `${p.path}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`));
  }
  const raw = doc.toJS() ?? {};
  const result = PipelineConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    let path = issue.path;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...issue.path, issue.keys[0]];
      const known = knownKeysAt(issue.path);
      const guesses = issue.keys.map((k) => didYouMean(k, known)).filter((g): g is string => g !== undefined);
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
      message += guesses.length ? `; did you mean ${guesses.map((g) => `'${g}'`).join(', ')}?` : `; known keys here: ${known.join(', ')}`;
    }
    const node = nodeAt(doc.contents as YamlNode, path);
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    const where = path.length ? path.join('.') : '(top level)';
    return `${where}${line ? ` (line ${line})` : ''}: ${message}`;
  });
  throw new ConfigError(file, problems);
}

export function loadConfig(path = DEFAULT_CONFIG_PATH, env: NodeJS.ProcessEnv = process.env): PipelineConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file (--config takes a pipeline YAML such as pipelines/default.yaml)'
        : code === 'EISDIR'
          ? 'is a directory, not a pipeline YAML file'
          : code === 'EACCES'
            ? 'cannot be read: permission denied'
            : `cannot be read: ${(error as Error).message}`;
    throw new ConfigError(path, [why]);
  }
  // an empty file is more likely a failed copy or the wrong path than a wish for every default
  if (text.trim() === '') throw new ConfigError(path, ['the file is empty: a pipeline config needs at least `version: 1` (everything else has a default)']);
  if (parseDocument(text).contents === null) throw new ConfigError(path, ['the file holds only comments: a pipeline config needs at least `version: 1`']);
  return parseConfig(text, path, env);
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
