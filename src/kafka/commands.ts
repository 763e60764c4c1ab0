// `episodic run` and `episodic produce`, added to the CLI's command table by cli.ts.
import { resolve } from 'node:path';
import { configHash, DEFAULT_CONFIG_PATH } from '../config.ts';
import { configFrom, inputFile, numberFlag, parseFlags } from '../flags.ts';
import type { Logger, LogLevel } from '../observability/log.ts';
import { version } from '../version.ts';
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


interface Context {
  logger: Logger;
  logLevel: LogLevel;
}

export const kafkaCommands: Record<string, (argv: string[], context: Context) => Promise<number>> = {
  run: (argv, context) => run(argv, context),
  produce: (argv, context) => produce(argv, context),
};

async function run(argv: string[], { logger, logLevel }: Context): Promise<number> {
  const { values } = parseFlags(argv, {
      config: { type: 'string' },
      out: { type: 'string' },
      'exit-when-idle': { type: 'string' },
      'commit-interval-ms': { type: 'string' },
      'session-timeout-ms': { type: 'string' },
  });
  const config = configFrom(values.config);
  if (config.source.kind !== 'kafka') {
    throw new UsageError(`run reads Kafka: the config's source.kind is '${config.source.kind}' (see pipelines/kafka.yaml), or use replay for files`);
  }
  const exitWhenIdle = numberFlag('--exit-when-idle', values['exit-when-idle'], { positive: true });
  const out = resolve(values.out ?? config.output.dir);
  const commitIntervalMs = numberFlag('--commit-interval-ms', values['commit-interval-ms'], WHOLE_MS) ?? config.source.kafka.commit_interval_ms;
  const sessionTimeoutMs = numberFlag('--session-timeout-ms', values['session-timeout-ms'], WHOLE_MS) ?? config.source.kafka.session_timeout_ms;
  const pseudonymKey = pseudonymKeyFromEnv(config.privacy.pseudonym_key_env);
  const kafka = config.source.kafka;
  logger.info(
    {
      version: version(),
      config: values.config ? resolve(values.config) : DEFAULT_CONFIG_PATH,
      config_hash: configHash(config),
      name: config.name,
      brokers: kafka.brokers,
      group_id: kafka.group_id,
      topics: kafka.topics,
      out,
      commit_interval_ms: commitIntervalMs,
      session_timeout_ms: sessionTimeoutMs,
      exit_when_idle_s: exitWhenIdle ?? null,
      formats: config.output.formats,
      node: process.version,
      pid: process.pid,
    },
    'episodic run starting',
  );
  const summary = await runKafka({
    config,
    out,
    pseudonymKey,
    exitWhenIdleMs: exitWhenIdle === undefined ? undefined : exitWhenIdle * 1000,
    commitIntervalMs,
    sessionTimeoutMs,
    logger,
    logLevel,
  });
  logger.info({ ...summary }, 'episodic run stopped');
  console.log(`stopped by:   ${summary.stopped_by === 'idle' ? 'exit-when-idle (open episodes written)' : 'signal (open episodes resume from Kafka)'}`);
  console.log(`records read: ${summary.records_in.toLocaleString('en-US')} (${summary.dead_letters} dead letters, ${summary.replay_skipped} already written)`);
  console.log(`episodes:     ${summary.episodes_written} written in ${summary.shards_written} shard file(s)`);
  return 0;
}

async function produce(argv: string[], { logger, logLevel }: Context): Promise<number> {
  const { values } = parseFlags(argv, {
      config: { type: 'string' },
      input: { type: 'string' },
      registry: { type: 'string' },
      partitions: { type: 'string' },
  });
  if (!values.input) throw new UsageError('produce needs --input FILE (.jsonl or .avro)');
  const config = configFrom(values.config);
  const settings = config.source.kafka;
  const summary = await produceFixture({
    settings,
    input: inputFile('--input', values.input),
    registry: inputFile('--registry', values.registry),
    partitions: numberFlag('--partitions', values.partitions, { integer: true, min: 1 }, DEFAULT_EVENT_PARTITIONS),
    logger,
    logLevel,
  });
  if (summary.created_topics.length) console.log(`created:      ${summary.created_topics.join(', ')}`);
  console.log(`events:       ${summary.events.toLocaleString('en-US')} -> ${settings.topics.events}`);
  if (values.registry) console.log(`registry:     ${summary.registry_records.toLocaleString('en-US')} -> ${settings.topics.registry}`);
  if (summary.skipped) console.log(`skipped:      ${summary.skipped} unreadable or unencodable input record(s)`);
  return 0;
}
