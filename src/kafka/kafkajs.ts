// kafkajs, loaded on first use: a replay never talks to Kafka, and loading the client costs every
// process about 10 MiB of RSS. kafkajs is CommonJS, so a synchronous require keeps the callers as
// they are.
import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';

let loaded: typeof KafkaJs | undefined;

export function kafkajs(): typeof KafkaJs {
  return (loaded ??= createRequire(import.meta.url)('kafkajs') as typeof KafkaJs);
}
