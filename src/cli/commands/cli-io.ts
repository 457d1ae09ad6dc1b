/**
 * Where CLI commands write and how they set the exit code, injectable so tests can run a command
 * object with commander's parseAsync and read what it printed.
 */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  setExitCode(code: number): void;
}

export const processIo: CliIo = {
  out: (line) => {
    process.stdout.write(line + '\n');
  },
  err: (line) => {
    process.stderr.write(line + '\n');
  },
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/** Left-aligned columns, two spaces apart. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
