// `episodic run` and `episodic produce`, added to the CLI's command table by cli.ts.
import { resolve } from 'node:path';
import { configFrom, inputFile, numberFlag, parseFlags } from '../flags.ts';
import { pseudonymKeyFromEnv } from '../privacy/pseudonym.ts';
import { UsageError } from '../usage-error.ts';
import { runKafka } from './run.ts';
import { DEFAULT_EVENT_PARTITIONS, produceFixture } from './produce.ts';

export const KAFKA_USAGE = `  episodic run --config C [--out DIR] [--exit-when-idle SECONDS] [--commit-interval-ms N] [--session-timeout-ms N]
      consume source.kafka (source.kind: kafka) as one instance of its consumer group; SIGTERM
      writes what is closed and commits; --exit-when-idle also closes open episodes and stops
  episodic produce --config C --input FILE [--registry FILE] [--partitions N]
      load a recording into the Kafka topics as the capture agents would (creates missing topics)`;

const WHOLE_MS = { integer: true, min: 1 };


export const kafkaCommands: Record<string, (argv: string[]) => Promise<number>> = { run: (argv) => run(argv), produce: (argv) => produce(argv) };

async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string' },
    out: { type: 'string' },
    'exit-when-idle': { type: 'string' },
    'commit-interval-ms': { type: 'string' },
    'session-timeout-ms': { type: 'string' },
  });
  const exitWhenIdle = numberFlag('--exit-when-idle', values['exit-when-idle'], { positive: true });
  const commitIntervalMs = numberFlag('--commit-interval-ms', values['commit-interval-ms'], WHOLE_MS);
  const sessionTimeoutMs = numberFlag('--session-timeout-ms', values['session-timeout-ms'], WHOLE_MS);
  const config = configFrom(values.config);
  if (config.source.kind !== 'kafka') {
    throw new UsageError(`run reads Kafka: the config's source.kind is '${config.source.kind}' (see pipelines/kafka.yaml), or use replay for files`);
  }
  const summary = await runKafka({
    config,
    out: resolve(values.out ?? config.output.dir),
    pseudonymKey: pseudonymKeyFromEnv(config.privacy.pseudonym_key_env),
    exitWhenIdleMs: exitWhenIdle === undefined ? undefined : exitWhenIdle * 1000,
    commitIntervalMs: commitIntervalMs ?? config.source.kafka.commit_interval_ms,
    sessionTimeoutMs: sessionTimeoutMs ?? config.source.kafka.session_timeout_ms,
  });
  console.log(`stopped by:   ${summary.stopped_by === 'idle' ? 'exit-when-idle (open episodes written)' : 'signal (open episodes resume from Kafka)'}`);
  console.log(`records read: ${summary.records_in.toLocaleString('en-US')} (${summary.dead_letters} dead letters, ${summary.replay_skipped} already written)`);
  console.log(`episodes:     ${summary.episodes_written} written in ${summary.shards_written} shard file(s)`);
  return 0;
}

async function produce(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    config: { type: 'string' },
    input: { type: 'string' },
    registry: { type: 'string' },
    partitions: { type: 'string' },
  });
  if (!values.input) throw new UsageError('produce needs --input FILE (.jsonl or .avro)');
  const input = inputFile('--input', values.input);
  const registry = inputFile('--registry', values.registry);
  const partitions = numberFlag('--partitions', values.partitions, { integer: true, min: 1 }, DEFAULT_EVENT_PARTITIONS);
  const config = configFrom(values.config);
  const settings = config.source.kafka;
  const summary = await produceFixture({
    settings,
    input,
    registry,
    partitions,
  });
  if (summary.created_topics.length) console.log(`created:      ${summary.created_topics.join(', ')}`);
  console.log(`events:       ${summary.events.toLocaleString('en-US')} -> ${settings.topics.events}`);
  if (values.registry) console.log(`registry:     ${summary.registry_records.toLocaleString('en-US')} -> ${settings.topics.registry}`);
  if (summary.skipped) console.log(`skipped:      ${summary.skipped} unreadable or unencodable input record(s)`);
  return 0;
}
