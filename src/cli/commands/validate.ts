/**
 * `neo4j-ecs validate FILE...`: prints OK or every problem of every document, with path, line and
 * column. Exit code 0: all valid (warnings allowed); 1: a document is invalid; 2: a file is unreadable.
 */
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { formatPath, formatProblem, parseClusterText } from '../../model/index.js';
import type { DocumentResult } from '../../model/index.js';

export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_UNREADABLE = 2;

export interface ValidateOutcome {
  exitCode: number;
  lines: string[];
}

function describe(r: DocumentResult, multi: boolean): string {
  const name = r.cluster?.metadata.name;
  const which = multi ? ` (document ${r.index + 1})` : '';
  return `${r.source}${which}${name ? `: ${name}` : ''}`;
}

/** Validates files; returns what to print and the exit code (no I/O on stdout here). */
export async function validateFiles(files: readonly string[], json = false): Promise<ValidateOutcome> {
  const lines: string[] = [];
  const report: unknown[] = [];
  let exitCode = EXIT_OK;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      lines.push(`${file}: unreadable: ${why}`);
      report.push({ source: file, readable: false, error: why });
      exitCode = EXIT_UNREADABLE;
      continue;
    }
    const results = parseClusterText(text, file);
    for (const r of results) {
      const ok = r.cluster !== undefined;
      if (!ok && exitCode === EXIT_OK) exitCode = EXIT_INVALID;
      lines.push(`${ok ? 'OK' : 'INVALID'} ${describe(r, results.length > 1)}`);
      for (const p of r.problems) lines.push(`  ${formatProblem(p, file)}`);
      report.push({
        source: file,
        index: r.index,
        valid: ok,
        name: r.cluster?.metadata.name,
        problems: r.problems.map((p) => ({ ...p, pathText: formatPath(p.path) })),
      });
    }
  }
  return { exitCode, lines: json ? [JSON.stringify(report, null, 2)] : lines };
}

export function validateCommand(): Command {
  return new Command('validate')
    .description(
      'check Neo4jCluster documents (YAML or JSON) and print every problem with its path, line and column',
    )
    .argument('<files...>', 'documents to check')
    .option('--json', 'print the result as JSON')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const out = await validateFiles(files, opts.json ?? false);
      for (const l of out.lines) console.log(l);
      process.exitCode = out.exitCode;
    });
}
