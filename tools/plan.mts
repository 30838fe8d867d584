/**
 * npm run plan -- --stack <name> [--config-file <path>] [--json | --mermaid] [--no-type-check]
 *
 * Shows what `pulumi up` would create for a stack without the Pulumi CLI, provider plugins or
 * tenant credentials: the real program runs in preview mode, loaded as the Pulumi CLI loads it,
 * against a tenant whose values are placeholders.
 */
import * as path from "node:path";
import { commandLine } from "./lib/cli.mts";
import { PROJECT_DIR } from "./lib/engine.mts";
import { makePlan, renderJson, renderMermaid, renderText } from "./lib/plan.mts";
import { StackConfigError, listStacks, loadStackConfig, readProjectFile, resolveStackConfig } from "./lib/stackConfig.mts";
import * as fs from "node:fs";

const USAGE = `usage: npm run plan -- --stack <name> [--config-file <path>] [--json | --mermaid] [--no-type-check]

  --stack <name>         the stack to plan (reads Pulumi.<name>.yaml)
  --config-file <path>   read the stack configuration from this file instead (as pulumi --config-file)
  --json                 print the plan as JSON (stable order: two plans diff cleanly)
  --mermaid              print a Mermaid graph of the resources and their dependencies
  --no-type-check        skip TypeScript type checking (PULUMI_NODEJS_TRANSPILE_ONLY=true), about twice as fast
`;

async function main(argv: string[]): Promise<number> {
    const parsed = commandLine(
        argv,
        {
            stack: { type: "string" },
            "config-file": { type: "string" },
            json: { type: "boolean", default: false },
            mermaid: { type: "boolean", default: false },
            "no-type-check": { type: "boolean", default: false },
        },
        USAGE,
        2,
    );
    if ("exit" in parsed) return parsed.exit;
    const args = parsed.values;
    if (!args.stack) {
        process.stderr.write(`error: --stack is required (stacks here: ${listStacks(PROJECT_DIR).join(", ") || "none"})\n\n${USAGE}`);
        return 2;
    }
    if (args.json && args.mermaid) {
        process.stderr.write(`error: choose one of --json and --mermaid\n\n${USAGE}`);
        return 2;
    }

    let config;
    try {
        const file = args["config-file"];
        config = file
            ? resolveStackConfig(readProjectFile(PROJECT_DIR), args.stack, fs.readFileSync(path.resolve(file), "utf8"))
            : loadStackConfig(PROJECT_DIR, args.stack);
    } catch (e) {
        if (e instanceof StackConfigError || (e as NodeJS.ErrnoException).code === "ENOENT") {
            process.stderr.write(`error: ${(e as Error).message}\n`);
            return 1;
        }
        throw e;
    }

    const plan = await makePlan(config, { typeCheck: !args["no-type-check"] });
    if (args.json) process.stdout.write(renderJson(plan));
    else if (args.mermaid) process.stdout.write(renderMermaid(plan));
    else process.stdout.write(renderText(plan));
    if (plan.errors.length > 0) {
        if (args.json || args.mermaid) for (const e of plan.errors) process.stderr.write(`error: ${e}\n`);
        return 1;
    }
    return 0;
}

process.exitCode = await main(process.argv.slice(2));
