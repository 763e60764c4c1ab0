// The command line: thin wrappers that parse flags, load config and call the shells.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, configHash, DEFAULT_CONFIG_PATH, loadConfig, type PipelineConfig } from './config.ts';
import { configFrom, inputFile, numberFlag, parseFlags as parse } from './flags.ts';
import { pseudonymKeyFromEnv } from './privacy/pseudonym.ts';
import { replay, type ReplaySummary } from './replay.ts';
import { generateToFiles } from './generate/files.ts';
import { inspectPath, formatInspection } from './inspect.ts';
import { eraseCommand } from './privacy/erase.ts';
import { defaultReportPath, reportCommand, writeReport } from './report/command.ts';
import { KAFKA_USAGE, kafkaCommands } from './kafka/commands.ts';
import { UsageError } from './usage-error.ts';
import { createLogger, defaultLogLevel, isLogFormat, isLogLevel, LOG_FORMATS, LOG_LEVELS, type Logger, type LogFormat, type LogLevel } from './observability/log.ts';
import { version } from './version.ts';
import { dominantDrop } from './drop-summary.ts';
import { parseDatasetLocation } from './stores/location.ts';
import { readRemoteDataset, writeRemoteDataset } from './stores/remote-dataset.ts';

const USAGE = `episodic: human input events -> privacy-safe task episodes as Parquet shards

Usage:
  episodic demo [--events N] [--out DIR]
      generate a synthetic stream, replay it with the default pipeline, print what was made
  episodic generate [--seed N] [--devices N] [--events N] [--out DIR] [--format jsonl|avro]
      write a synthetic, human-like stream (events + registry)
  episodic replay [--config C] --input FILE [--registry FILE] [--out DIR] [--dead-letter FILE]
      run the pipeline over a recorded stream (.jsonl or .avro); needs EPISODIC_PSEUDONYM_KEY
  episodic validate CONFIG...
      check pipeline configs; errors name the key and the line
  episodic inspect DIR|FILE [--privacy] [--json]
      summarize a dataset or one shard (aggregate counts only)
  episodic erase --dataset DIR --user RAW_ID [--config C] [--dead-letter FILE]
      remove every episode and dead letter of one person from a dataset; needs EPISODIC_PSEUDONYM_KEY
  episodic report DIR [--out FILE] [--sample N] [--seed S]
      write a self-contained HTML report of a dataset (aggregates, privacy audit, episode player)
${KAFKA_USAGE}

--config defaults to pipelines/default.yaml.

Every command also takes:
  --log-level fatal|error|warn|info|debug|trace|silent   (default info; debug when EPISODIC_DEBUG is set)
  --log-format auto|json|pretty   log lines on stderr: JSON lines unless stderr is a terminal (auto)
  episodic --version   prints the version`;

/** What every command is handed besides its own flags. */
export interface CommandContext {
  logger: Logger;
  logLevel: LogLevel;
}

type Handler = (argv: string[], context: CommandContext) => Promise<number>;

export interface GlobalOptions {
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** the command's own arguments, without the global ones. */
  rest: string[];
}

/** Takes --log-level and --log-format out of a command's arguments, wherever they stand. */
export function takeGlobalOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): GlobalOptions {
  const { tokens } = parseArgs({
    args: argv,
    options: { 'log-level': { type: 'string' }, 'log-format': { type: 'string' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  let logLevel = defaultLogLevel(env);
  let logFormat: LogFormat = 'auto';
  const taken = new Set<number>();
  for (const token of tokens) {
    if (token.kind !== 'option' || (token.name !== 'log-level' && token.name !== 'log-format')) continue;
    const value = token.value;
    if (value === undefined) throw new UsageError(`${token.rawName} needs a value`);
    taken.add(token.index);
    if (!token.inlineValue) taken.add(token.index + 1);
    if (token.name === 'log-level') {
      if (!isLogLevel(value)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not '${value}'`);
      logLevel = value;
    } else {
      if (!isLogFormat(value)) throw new UsageError(`--log-format must be one of ${LOG_FORMATS.join(', ')}, not '${value}'`);
      logFormat = value;
    }
  }
  return { logLevel, logFormat, rest: argv.filter((_, i) => !taken.has(i)) };
}

/** The usage lines of one command (`episodic NAME --help`), taken from USAGE so the two never disagree. */
export function commandUsage(name: string): string {
  const lines: string[] = [];
  let inBlock = false;
  for (const line of USAGE.split('\n')) {
    const start = /^ {2}episodic (\S+)/.exec(line);
    if (start) inBlock = start[1] === name;
    else if (!line.startsWith('      ')) inBlock = false;
    if (inBlock) lines.push(line);
  }
  const config = lines.some((line) => line.includes('[--config C]')) ? '\n\n--config defaults to pipelines/default.yaml.' : '';
  return `Usage:\n${lines.join('\n')}${config}`;
}

/** Dead letters of a replay into object storage: on this machine (they hold raw input), under out/s3/. */
function remoteDeadLetterPath(bucket: string, prefix: string): string {
  return resolve('out', 's3', bucket, `${prefix || 'dataset'}.dead-letter.jsonl`);
}

function isTTY(): boolean {
  return Boolean(process.stderr.isTTY) && Boolean(process.stdout.isTTY);
}

function progressPrinter(label: string): { update: (n: number) => void; done: () => void } {
  if (!isTTY()) return { update: () => {}, done: () => {} };
  const started = Date.now();
  let last = 0;
  return {
    update(n) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      const rate = n / Math.max(0.001, (now - started) / 1000);
      process.stderr.write(`\r${label}: ${n.toLocaleString('en-US')} records  ${Math.round(rate).toLocaleString('en-US')}/s   `);
    },
    done() {
      process.stderr.write('\r\x1b[K');
    },
  };
}

function printSummary(summary: ReplaySummary): void {
  const c = summary.counters;
  console.log(`dataset:      ${summary.out}`);
  console.log(`records read: ${c.records_in.toLocaleString('en-US')} (${c.dead_letters} dead letters)`);
  console.log(`episodes:     ${c.episodes_written} written, ${c.too_few_actions} too short, ${c.duplicate} duplicate and ${c.late} late events dropped`);
  console.log(`actions:      ${c.actions_written.toLocaleString('en-US')}`);
  if (c.unwritable_episodes > 0) console.log(`unwritable:   ${c.unwritable_episodes} episode(s) left out: a value no dataset column can hold`);
  if (c.dead_letters > 0) console.log(`dead letters: ${summary.deadLetterPath}`);
  const dominant = dominantDrop(c, summary.privacy);
  if (dominant) console.error(`WARNING: ${dominant}`);
}

async function runReplay(config: PipelineConfig, input: string, registry: string | undefined, out: string, key: string, deadLetter?: string) {
  const progress = progressPrinter('replay');
  try {
    return await replay({
      config,
      input,
      registry,
      out,
      pseudonymKey: key,
      deadLetterPath: deadLetter,
      onProgress: progress.update,
      onLockWait: (lock) => console.error(`waiting for another writer of ${out} to finish (${lock})`),
      onWarning: (message) => console.error(`WARNING: ${message}`),
    });
  } finally {
    progress.done();
  }
}

const commands: Record<string, Handler> = {
  async demo(argv) {
    const { values } = parse(argv, { events: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } });
    const events = numberFlag('--events', values.events, { integer: true, min: 1 }, 500_000);
    const seed = numberFlag('--seed', values.seed, { integer: true, min: 0 }, 7);
    const base = resolve(values.out ?? 'out/demo');
    const config = configFrom(undefined);
    const streamDir = join(base, 'stream');
    mkdirSync(streamDir, { recursive: true });
    const generated = await generateToFiles({ out: streamDir, seed, devices: 20, events, format: 'avro' });
    console.log(`generated:    ${generated.events.toLocaleString('en-US')} events from ${generated.devices} devices -> ${generated.eventsPath}`);
    let key = process.env[config.privacy.pseudonym_key_env];
    if (!key) {
      key = randomBytes(32).toString('hex');
      console.log(`pseudonyms:   ${config.privacy.pseudonym_key_env} is not set; using a throwaway key for this demo (ids cannot be linked across runs)`);
    }
    const summary = await runReplay(config, generated.eventsPath, generated.registryPath, join(base, 'dataset'), key);
    printSummary(summary);
    console.log('');
    console.log(formatInspection(inspectPath(summary.out)));
    console.log('\nLoad it in Python:');
    console.log('  import pyarrow.dataset as ds');
    console.log(`  table = ds.dataset("${join(summary.out, 'data')}", format="parquet").to_table()`);
    console.log('  print(table.num_rows, table.schema)');
    console.log(`\nreport:       ${writeReport(summary.out, defaultReportPath(summary.out))}  (open it in a browser)`);
    return 0;
  },

  async generate(argv) {
    const { values } = parse(argv, {
      seed: { type: 'string' },
      devices: { type: 'string' },
      events: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
    });
    const format = values.format ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'avro') throw new UsageError(`--format must be jsonl or avro, not '${format}'`);
    const result = await generateToFiles({
      out: resolve(values.out ?? 'out/stream'),
      seed: numberFlag('--seed', values.seed, { integer: true, min: 0 }, 1),
      devices: numberFlag('--devices', values.devices, { integer: true, min: 1 }, 8),
      events: numberFlag('--events', values.events, { integer: true, min: 1 }, 100_000),
      format,
    });
    console.log(`${result.events} events from ${result.devices} devices -> ${result.eventsPath}`);
    console.log(`registry -> ${result.registryPath}`);
    return 0;
  },

  async replay(argv, { logger }) {
    const { values } = parse(argv, {
      config: { type: 'string' },
      input: { type: 'string' },
      registry: { type: 'string' },
      out: { type: 'string' },
      'dead-letter': { type: 'string' },
    });
    if (!values.input) throw new UsageError('replay needs --input FILE (.jsonl or .avro)');
    const input = inputFile('--input', values.input);
    const registry = inputFile('--registry', values.registry);
    const config = configFrom(values.config);
    const key = pseudonymKeyFromEnv(config.privacy.pseudonym_key_env);
    const location = parseDatasetLocation(values.out ?? config.output.dir);
    const out = location.kind === 's3' ? location.uri : resolve(location.path);
    logger.info(
      { version: version(), config: resolve(values.config ?? DEFAULT_CONFIG_PATH), config_hash: configHash(config), name: config.name, input, out },
      'episodic replay starting',
    );
    let summary: ReplaySummary;
    if (location.kind === 's3') {
      // built whole in a local scratch copy, then published; dead letters stay on this machine
      const deadLetter = values['dead-letter'] ?? config.output.dead_letter ?? remoteDeadLetterPath(location.bucket, location.prefix);
      summary = { ...(await writeRemoteDataset(location, config, (dir) => runReplay(config, input, registry, dir, key, deadLetter))), out };
    } else {
      summary = await runReplay(config, input, registry, out, key, values['dead-letter']);
    }
    logger.info({ ...summary.counters, manifest: location.kind === 's3' ? `${out}/manifest.json` : summary.manifestPath }, 'episodic replay done');
    printSummary(summary);
    return 0;
  },

  async validate(argv) {
    const { positionals } = parse(argv, {}, true);
    const files: string[] = positionals.length ? positionals : [DEFAULT_CONFIG_PATH];
    let failed = 0;
    for (const file of files) {
      try {
        if (!existsSync(resolve(file))) throw new Error(`${file}: no such file`);
        loadConfig(resolve(file));
        console.log(`${file}: ok`);
      } catch (error) {
        failed++;
        console.error(error instanceof Error ? error.message : String(error));
      }
    }
    return failed ? 1 : 0;
  },

  async inspect(argv) {
    const { values, positionals } = parse(argv, { privacy: { type: 'boolean' }, json: { type: 'boolean' } }, true);
    if (positionals.length !== 1) throw new UsageError('inspect needs one dataset directory or shard file');
    const location = parseDatasetLocation(positionals[0]);
    const inspection =
      location.kind === 's3'
        ? await readRemoteDataset(location, configFrom(undefined), (dir) => ({ ...inspectPath(dir), path: location.uri }))
        : inspectPath(resolve(location.path));
    if (values.json) console.log(JSON.stringify(inspection, null, 2));
    else console.log(formatInspection(inspection, { privacy: values.privacy ?? false }));
    return 0;
  },

  erase: eraseCommand,
  report: reportCommand,
  ...kafkaCommands,
};


/** Commands that run as a service: their failures are log lines too, so a JSON log stays JSON. */
const SERVICES = new Set(['run']);

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`episodic ${version()}`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const handler = commands[name];
  if (!handler) {
    console.error(`unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(commandUsage(name));
    return 0;
  }
  let options: GlobalOptions;
  try {
    options = takeGlobalOptions(args);
  } catch (error) {
    console.error(`episodic ${name}: ${(error as Error).message}`);
    return 2;
  }
  const logger = createLogger({ level: options.logLevel, format: options.logFormat, base: { cmd: name } });
  const fail = (message: string, error?: unknown): void => {
    if (SERVICES.has(name)) logger.fatal(message);
    else console.error(message);
    if (error !== undefined && logger.isLevelEnabled('debug')) logger.debug({ stack: (error as Error).stack }, 'stack of the failure');
  };
  try {
    return await handler(options.rest, { logger, logLevel: options.logLevel });
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(error.message);
      return 1;
    }
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      fail(`episodic ${name}: ${(error as Error).message}`);
      return 2;
    }
    fail(`episodic ${name}: ${(error as Error).message}`, error);
    return 1;
  } finally {
    logger.flush();
  }
}
