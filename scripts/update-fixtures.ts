// `npm run fixtures:update`: (re)records the generated fixtures and the expected results of every
// fixture. Run it after a deliberate change of behaviour, and review the diff of expected.json.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateEvents, generateRegistry } from '../src/generate/generator.ts';
import { writeEventsAvro, writeEventsJsonl, writeRegistryJsonl } from '../src/sources/file.ts';
import { FIXTURES_DIR, listFixtures, replayFixture } from '../test/helpers/fixtures.ts';

const OFFICE = { seed: 11, devices: 5, events: 15_000 };

async function recordGenerated(): Promise<void> {
  for (const [name, format] of [['office-jsonl', 'jsonl'], ['office-avro', 'avro']] as const) {
    const dir = join(FIXTURES_DIR, name);
    if (existsSync(join(dir, `events.${format}`)) && !process.argv.includes('--regenerate')) continue;
    mkdirSync(dir, { recursive: true });
    await writeRegistryJsonl(join(dir, 'registry.jsonl'), generateRegistry(OFFICE));
    if (format === 'avro') await writeEventsAvro(join(dir, 'events.avro'), generateEvents(OFFICE), 'deflate');
    else await writeEventsJsonl(join(dir, 'events.jsonl'), generateEvents(OFFICE));
    writeFileSync(
      join(dir, 'fixture.json'),
      JSON.stringify(
        {
          description: `generated office stream (seed ${OFFICE.seed}, ${OFFICE.devices} devices, ${OFFICE.events} events) as ${format === 'avro' ? 'an Avro object container file' : 'JSON Lines'}`,
          input: `events.${format}`,
          registry: 'registry.jsonl',
        },
        null,
        2,
      ) + '\n',
    );
  }
}

await recordGenerated();
for (const spec of listFixtures()) {
  const result = await replayFixture(spec);
  writeFileSync(join(spec.dir, spec.expected), JSON.stringify({ ...result.summary, dead_letters: result.deadLetters }, null, 1) + '\n');
  console.log(`${spec.name}: ${result.summary.episodes.length} episodes, ${result.deadLetters.length} dead letters`);
}
