// The JSON Schema of a pipeline config, made from the zod schema that validates it (one source of
// the keys, types and defaults). schemas/pipeline.schema.json is this, written by
// `npm run docs` and checked by test/docs.test.ts; pipelines/*.yaml name it in a `yaml-language-server`
// header so editors complete and check keys as they are typed.
import { z } from 'zod';
import { PipelineConfigSchema } from './config.ts';

export const PIPELINE_SCHEMA_FILE = 'schemas/pipeline.schema.json';

export function pipelineJsonSchema(): Record<string, unknown> {
  // input: what a YAML file may say (keys with defaults are optional there)
  const schema = z.toJSONSchema(PipelineConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = schema;
  return {
    $schema,
    title: 'episodic pipeline config',
    description:
      'A pipeline config for episodic (pipelines/*.yaml). Generated from the zod schema in src/config.ts by `npm run docs`; `episodic validate` also checks what JSON Schema cannot say (session lengths against the gap, environment references).',
    ...rest,
  };
}

/** The file's text: stable key order as zod emits it, two-space indent, trailing newline. */
export function pipelineJsonSchemaText(): string {
  return `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`;
}
