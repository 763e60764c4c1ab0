// `episodic generate`: writes a synthetic stream and its registry to files a replay can read.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InputEvent } from '../contract/events.ts';
import { writeEventsAvro, writeEventsJsonl, writeRegistryJsonl } from '../sources/file.ts';
import { generateEvents, generateRegistry, type GenerateOptions } from './generator.ts';

export interface GenerateToFilesOptions extends GenerateOptions {
  out: string;
  format: 'jsonl' | 'avro';
}

export interface GeneratedFiles {
  eventsPath: string;
  registryPath: string;
  events: number;
  devices: number;
}

export async function generateToFiles(options: GenerateToFilesOptions): Promise<GeneratedFiles> {
  mkdirSync(options.out, { recursive: true });
  const eventsPath = join(options.out, `events.${options.format}`);
  const registryPath = join(options.out, 'registry.jsonl');
  await writeRegistryJsonl(registryPath, generateRegistry(options));
  let count = 0;
  function* counted(): Generator<InputEvent> {
    for (const event of generateEvents(options)) {
      count++;
      yield event;
    }
  }
  if (options.format === 'avro') await writeEventsAvro(eventsPath, counted(), 'deflate');
  else await writeEventsJsonl(eventsPath, counted());
  return { eventsPath, registryPath, events: count, devices: options.devices };
}
