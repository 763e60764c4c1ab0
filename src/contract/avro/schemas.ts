// The reader schemas of the contract (schemas/*.avsc), loaded once: what every Avro read resolves to.
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { projectFile } from '../../project-files.ts';

export type AvroType = avro.Type;
export type AvroResolver = ReturnType<AvroType['createResolver']>;

function loadSchema(fileName: string): AvroType {
  const text = readFileSync(projectFile(`schemas/${fileName}`), 'utf8');
  return avro.Type.forSchema(JSON.parse(text));
}

/** Reader schema of `InputEvent` (schemas/input-event.avsc). */
export const inputEventType: AvroType = loadSchema('input-event.avsc');
/** Reader schema of `RegistryRecord` (schemas/registry-record.avsc). */
export const registryRecordType: AvroType = loadSchema('registry-record.avsc');
