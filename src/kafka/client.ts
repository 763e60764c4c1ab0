// The kafkajs client from the pipeline's `source.kafka` settings: brokers, TLS and SASL pass
// through from the YAML; the SASL password comes from the environment variable the YAML names.
import { readFileSync } from 'node:fs';
import type { Kafka, KafkaConfig, SASLOptions } from 'kafkajs';
import { kafkajs } from './kafkajs.ts';
import type { ConnectionOptions } from 'node:tls';
import type { KafkaSettings } from '../config.ts';
import { kafkaLogCreator, kafkaLogLevel, type LogLevel, type LogSink } from '../observability/log.ts';

/** Where kafkajs' own log lines go, and our level they follow (EPISODIC_KAFKA_LOG_LEVEL overrides it). */
export interface KafkaLogging {
  sink: LogSink;
  level: LogLevel;
}

export class KafkaSettingsError extends Error {}

/** kafkajs connection options; throws KafkaSettingsError naming what is missing (a password variable, a file). */
export function kafkaClientConfig(settings: KafkaSettings, env: NodeJS.ProcessEnv = process.env, logging?: KafkaLogging): KafkaConfig {
  const levels = kafkajs().logLevel;
  const config: KafkaConfig = {
    clientId: settings.client_id,
    brokers: settings.brokers,
    logLevel: kafkaLogLevel(logging?.level ?? 'info', env, levels),
    retry: { retries: 8 },
  };
  if (logging) config.logCreator = kafkaLogCreator(logging.sink, levels);
  const ssl = settings.ssl;
  if (ssl === true) config.ssl = true;
  else if (ssl && typeof ssl === 'object') {
    const tls: ConnectionOptions = { rejectUnauthorized: ssl.reject_unauthorized };
    if (ssl.ca_file) tls.ca = [readSettingFile(ssl.ca_file, 'source.kafka.ssl.ca_file')];
    if (ssl.cert_file) tls.cert = readSettingFile(ssl.cert_file, 'source.kafka.ssl.cert_file');
    if (ssl.key_file) tls.key = readSettingFile(ssl.key_file, 'source.kafka.ssl.key_file');
    config.ssl = tls;
  }
  if (settings.sasl) {
    const { mechanism, username, password_env } = settings.sasl;
    const password = env[password_env];
    if (!password) {
      throw new KafkaSettingsError(
        `source.kafka.sasl.password_env names ${password_env}, which is not set; export ${password_env}=<the SASL password for ${username}>`,
      );
    }
    config.sasl = { mechanism, username, password } as SASLOptions;
  }
  return config;
}

export function createKafka(settings: KafkaSettings, env: NodeJS.ProcessEnv = process.env, logging?: KafkaLogging): Kafka {
  return new (kafkajs().Kafka)(kafkaClientConfig(settings, env, logging));
}

function readSettingFile(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new KafkaSettingsError(`${key}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The errors an error was caused by (kafkajs wraps the connection's own in its retry errors), outermost first. */
function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  for (let e = error; e instanceof Error && chain.length < 8; e = (e as { cause?: unknown; originalError?: unknown }).cause ?? (e as { originalError?: unknown }).originalError) {
    chain.push(e);
  }
  return chain;
}

/**
 * A broker that wants TLS or SASL the client did not offer just closes the connection, and
 * kafkajs reports that as "Closed connection" or a connection error. When the settings offer
 * less than such a listener may want, the error names the settings to add; any other error is
 * returned as it is.
 */
export function explainConnectionFailure(error: unknown, settings: KafkaSettings): Error {
  const chain = causes(error);
  const original = chain[0] ?? new Error(String(error));
  const connection = chain.some((e) => /^KafkaJSConnection(Closed)?Error$/.test(e.name) || /Closed connection|ECONNRESET|EPIPE/.test(e.message));
  if (!connection || (settings.ssl && settings.sasl)) return original;
  const brokers = settings.brokers.join(',');
  const missing = settings.ssl
    ? 'SASL authentication, and source.kafka.sasl is not set: add sasl: { mechanism, username, password_env } as the listener wants'
    : settings.sasl
      ? 'TLS, and source.kafka.ssl is not set: add ssl: true (system CAs) or ssl: { ca_file } for the listener'
      : 'TLS and/or SASL, and neither source.kafka.ssl nor source.kafka.sasl is set: add what the listener wants (ssl: { ca_file }, sasl: { mechanism, username, password_env })';
  return new KafkaSettingsError(`the broker ${brokers} closed the connection (${original.message}): its listener probably requires ${missing}`, {
    cause: error,
  });
}
