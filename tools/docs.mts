/**
 * npm run docs: rewrites the README's generated blocks (configuration table, outputs table, resource
 * diagram, rotation advice) and Pulumi.yaml's config block from the declarations they document
 * (tools/lib/docs.mts).
 */
import { runTool } from "./lib/cli.mts";
import { updateDocs } from "./lib/docs.mts";

async function main(): Promise<number> {
    for (const { file, updated } of await updateDocs()) process.stdout.write(`${file} ${updated ? "updated" : "is up to date"}\n`);
    return 0;
}

await runTool(main);
