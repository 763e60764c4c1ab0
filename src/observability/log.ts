// Structured logs: one pino logger per process, on stderr (stdout carries a command's own output).
// JSON lines (time, level, msg, fields) when stderr is not a terminal or with --log-format json;
// readable lines on a terminal. kafkajs logs through the same logger (kafkaLogCreator).
//
// What may be logged: counts, partitions, offsets, topic and group names, file paths, settings.
// Never a raw id (user, device, window, URL) or any captured content: log lines leave the
// privacy boundary the dataset keeps (fixtures/privacy-canaries is checked against every line).
import { pino, stdTimeFunctions, type Level, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { logLevel as KafkaLogLevel, LogEntry } from 'kafkajs';

export type { Logger };
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  /** auto: readable on a terminal, JSON lines otherwise. */
  format?: LogFormat;
  /** where lines go; stderr by default. */
  fd?: number;
  /** for tests: the stream pino writes to. */
  stream?: NodeJS.WritableStream;
  /** fields on every line (the command). */
  base?: Record<string, unknown>;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

/** The level when no --log-level is given: EPISODIC_DEBUG asks for debug (stack traces included), else info. */
export function defaultLogLevel(env: NodeJS.ProcessEnv = process.env): LogLevel {
  return env.EPISODIC_DEBUG ? 'debug' : 'info';
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const fd = options.fd ?? 2;
  const format = options.format ?? 'auto';
  const tty = fd === 2 ? Boolean(process.stderr.isTTY) : fd === 1 ? Boolean(process.stdout.isTTY) : false;
  const readable = format === 'pretty' || (format === 'auto' && tty && !options.stream);
  const stream =
    options.stream ??
    (readable
      ? pretty({ destination: fd, sync: true, colorize: tty, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true })
      : pino.destination({ fd, sync: true }));
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? {},
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // an Error logged as `err` keeps its message; its stack only where the level is debug
      serializers: { err: (error: Error) => ({ type: error.name, message: error.message }) },
    },
    stream,
  );
}

/**
 * kafkajs' levels from ours, unless EPISODIC_KAFKA_LOG_LEVEL (nothing|error|warn|info|debug) sets
 * them apart: kafkajs at info is chatty (every join and fetch session), so it stays at warn
 * unless the run itself logs at debug.
 */
export function kafkaLogLevel(level: LogLevel, env: NodeJS.ProcessEnv, levels: typeof KafkaLogLevel): KafkaLogLevel {
  switch (env.EPISODIC_KAFKA_LOG_LEVEL?.toLowerCase()) {
    case 'nothing':
      return levels.NOTHING;
    case 'error':
      return levels.ERROR;
    case 'warn':
      return levels.WARN;
    case 'info':
      return levels.INFO;
    case 'debug':
      return levels.DEBUG;
  }
  if (level === 'silent' || level === 'fatal') return levels.NOTHING;
  if (level === 'error') return levels.ERROR;
  if (level === 'debug' || level === 'trace') return levels.DEBUG;
  return levels.WARN;
}

/**
 * What a group rebalance looks like in kafkajs' logs: it reports them at ERROR (the heartbeat's
 * REBALANCE_IN_PROGRESS, the runner's re-join), yet for a consumer group they are routine.
 */
const ROUTINE = /rebalanc|not aware of this member|The coordinator is not aware|re-joining|REBALANCE_IN_PROGRESS|UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION/i;

/** kafkajs' entry, as one of our lines: its namespace and its fields, routine rebalances at info. */
export function kafkaLine(namespace: string, level: KafkaLogLevel, entry: LogEntry['log'], levels: typeof KafkaLogLevel): { level: Level; msg: string; fields: Record<string, unknown> } {
  const { message, timestamp: _timestamp, logger: _logger, ...rest } = entry as LogEntry['log'] & { timestamp?: string; logger?: string };
  const routine = ROUTINE.test(message) || ROUTINE.test(String((rest as { error?: unknown }).error ?? ''));
  let ours: Level;
  if (level === levels.ERROR) ours = routine ? 'info' : 'error';
  else if (level === levels.WARN) ours = routine ? 'info' : 'warn';
  else if (level === levels.INFO) ours = 'info';
  else ours = 'debug';
  const fields: Record<string, unknown> = { component: 'kafkajs', namespace };
  for (const [key, value] of Object.entries(rest)) {
    // stacks are for debug; what kafkajs logs is broker, group, topic and partition metadata
    if (key === 'stack' && ours !== 'debug') continue;
    fields[key] = value;
  }
  return { level: ours, msg: message, fields };
}

/** Where a line goes: a logger, or a thread's channel to the logger on the main thread. */
export type LogSink = (level: Level, fields: Record<string, unknown>, msg: string) => void;

export function sinkOf(logger: Logger): LogSink {
  return (level, fields, msg) => logger[level](fields, msg);
}

/** A kafkajs `logCreator` that writes through `sink`. */
export function kafkaLogCreator(sink: LogSink, levels: typeof KafkaLogLevel) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const line = kafkaLine(namespace, level, log, levels);
      sink(line.level, line.fields, line.msg);
    };
}

/** Shells that were handed no logger log nowhere (library use, tests). */
export const silentLogger: Logger = pino({ level: 'silent' });
