// The reference pages the code can generate are generated (scripts/docs.ts); these tests fail when a
// committed page, or the defaults written out in pipelines/default.yaml, drift from the code.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PipelineConfigSchema } from '../src/config.ts';
import { describeConfig, GENERATED_DOCS, repoPath } from '../scripts/docs.ts';

for (const doc of GENERATED_DOCS) {
  test(`${doc.path} is what npm run docs generates from the code`, (t) => {
    const committed = readFileSync(repoPath(doc.path), 'utf8');
    t.true(committed === doc.render(), `${doc.path} is out of date with the code: run npm run docs and commit the result`);
  });
}

test('every config key is described in the schema, so the configuration reference explains it', (t) => {
  const undescribed = describeConfig().filter((key) => !key.description?.trim()).map((key) => key.path);
  t.deepEqual(undescribed, [], 'add .describe(...) to these keys in src/config.ts');
});

test("every value pipelines/default.yaml writes out is the schema's default", (t) => {
  const written = parse(readFileSync(repoPath('pipelines/default.yaml'), 'utf8')) as Record<string, unknown>;
  const defaults = PipelineConfigSchema.parse({}) as unknown as Record<string, unknown>;
  const differing: string[] = [];
  const compare = (have: unknown, want: unknown, path: string) => {
    if (have && typeof have === 'object' && !Array.isArray(have)) {
      for (const [name, value] of Object.entries(have)) compare(value, (want as Record<string, unknown> | undefined)?.[name], path ? `${path}.${name}` : name);
    } else if (JSON.stringify(have) !== JSON.stringify(want)) {
      differing.push(`${path}: ${JSON.stringify(have)} in the YAML, ${JSON.stringify(want)} in src/config.ts`);
    }
  };
  const { name: _name, ...rest } = written;
  compare(rest, defaults, '');
  t.deepEqual(differing, []);
});
