// kafkajs, loaded on first use: a replay never talks to Kafka, and loading the client costs every
// process about 10 MiB of RSS. kafkajs is CommonJS, so a synchronous require keeps the callers as
// they are. Its record batch decoder is replaced first (lean-records.ts, which patches kafkajs
// 2.2.4's internals); where that cannot be done safely kafkajs' own decoder stays, with a warning.
import { createRequire } from 'node:module';
import type * as KafkaJs from 'kafkajs';
import { installLeanRecords } from './lean-records.ts';

let loaded: typeof KafkaJs | undefined;

export function kafkajs(): typeof KafkaJs {
  if (loaded === undefined) {
    const state = installLeanRecords();
    if (state.startsWith('stock: kafkajs')) process.emitWarning(`${state}: kafkajs' own record decoder is used (correct, slower)`, 'EpisodicKafkaJs');
    loaded = createRequire(import.meta.url)('kafkajs') as typeof KafkaJs;
  }
  return loaded;
}
