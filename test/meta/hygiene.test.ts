/** Rules of the house that a linter does not check: no skipped or focused tests; src/ never imports twin/. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO } from '../helpers/cli.js';

function files(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'target') files(p, out);
    else if (e.isFile() && e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

describe('house rules', () => {
  it('no test is skipped or focused', () => {
    const pattern = new RegExp(
      ['\\b(it|test|describe)\\.(only|skip)\\(', '\\bx(it|describe|test)\\(', '\\bf(it|describe)\\('].join(
        '|',
      ),
    );
    const offenders = files(join(REPO, 'test'))
      .concat(files(join(REPO, 'twin')), files(join(REPO, 'src')))
      .filter((f) => pattern.test(readFileSync(f, 'utf8')))
      .map((f) => relative(REPO, f));
    expect(offenders).toEqual([]);
  });

  it('nothing in src/ imports twin/, except the CLI commands that start it', () => {
    const offenders = files(join(REPO, 'src'))
      .filter((f) => !relative(REPO, f).startsWith('src/cli/'))
      .filter((f) => /from\s+['"][^'"]*\/twin\//.test(readFileSync(f, 'utf8')))
      .map((f) => relative(REPO, f));
    expect(offenders).toEqual([]);
  });
});
