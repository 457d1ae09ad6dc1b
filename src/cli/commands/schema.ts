/** `neo4j-ecs schema`: the JSON Schema of the Neo4jCluster document, generated from the zod schema. */
import { Command } from 'commander';
import { clusterJsonSchema } from '../../model/index.js';

export function schemaCommand(): Command {
  return new Command('schema')
    .description('print the JSON Schema of the Neo4jCluster document (for editor completion)')
    .action(() => {
      console.log(JSON.stringify(clusterJsonSchema(), null, 2));
    });
}
