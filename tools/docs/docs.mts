/**
 * npm run docs: rewrites the README's generated blocks (configuration table, outputs table, runner
 * table, resource diagram, rotation advice), docs/runners.md's table and Pulumi.yaml's config block from
 * the declarations they document (tools/docs/generatedBlocks.mts).
 */
import { commandLine, runTool } from "../shared/cli.mts";
import { updateDocs } from "./generatedBlocks.mts";

const USAGE = `usage: npm run docs

Rewrites README.md's generated blocks (the configuration, outputs and runner tables, the resource
diagram, the rotation advice), docs/runners.md's table and Pulumi.yaml's config block from
components/settings.ts, components/outputs.ts, components/runners.ts, components/rotation.ts and the dev
stack's plan, and says which file changed.

exit codes: 0 done, 2 invalid input
`;

async function main(argv: string[]): Promise<number> {
    if (!commandLine(argv, {}, USAGE)) return 0;
    for (const { file, updated } of await updateDocs()) process.stdout.write(`${file} ${updated ? "updated" : "is up to date"}\n`);
    return 0;
}

await runTool(main);
