#!/usr/bin/env node
/** Entry point of the `neo4j-ecs` CLI. */
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    console.error(`neo4j-ecs: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  });
