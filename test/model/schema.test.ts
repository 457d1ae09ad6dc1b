import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { clusterJsonSchema } from '../../src/model/index.js';
import { REPO, runCli } from '../helpers/cli.js';

/** The example as loosely typed JSON, to break on purpose. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- documents are mutated freely here
type Doc = any;

const example = (name: string): Record<string, unknown> =>
  parse(readFileSync(join(REPO, 'examples', name), 'utf8')) as Record<string, unknown>;

describe('JSON Schema of the document', () => {
  // A fresh Ajv per compile: the schema has an $id, which Ajv registers once per instance.
  const ajvFor = (): Ajv2020 => new Ajv2020({ allErrors: true, strict: false });

  it('`neo4j-ecs schema` prints a draft 2020-12 schema that ajv compiles', async () => {
    const out = await runCli(['schema']);
    expect(out.code).toBe(0);
    const schema = JSON.parse(out.stdout) as Record<string, unknown>;
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema).toEqual(clusterJsonSchema());
    expect(typeof ajvFor().compile(schema)).toBe('function');
  });

  it('accepts the examples', () => {
    const validate = ajvFor().compile(clusterJsonSchema());
    for (const name of ['minimal.yaml', 'larger.yaml']) {
      expect(validate(example(name))).toBe(true);
    }
  });

  it.each([
    ['an unknown key', (d: Doc) => void (d.spec.volume.sise = 3), '/spec/volume'],
    ['a wrong type', (d: Doc) => void (d.spec.primaries.count = 'three'), '/spec/primaries/count'],
    ['a missing section', (d: Doc) => void delete d.spec.credentials, '/spec'],
    ['a bad enum', (d: Doc) => void (d.spec.volume.type = 'gp5'), '/spec/volume/type'],
    ['a bad pattern', (d: Doc) => void (d.metadata.name = 'Bad_Name'), '/metadata/name'],
    ['a wrong kind', (d: Doc) => void (d.kind = 'Other'), '/kind'],
  ])('rejects %s', (_what, mutate, where) => {
    const validate = ajvFor().compile(clusterJsonSchema());
    const doc = example('minimal.yaml');
    mutate(doc);
    expect(validate(doc)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain(where);
  });
});
