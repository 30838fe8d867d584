/**
 * npm run plan -- --stack <name> [--config-file <path>] [--json | --mermaid]
 *
 * Shows what `pulumi up` would create for a stack without the Pulumi CLI, provider plugins or
 * tenant credentials: the real program runs in preview mode, loaded as the Pulumi CLI loads it,
 * against a tenant whose values are placeholders.
 */
import * as path from "node:path";
import { PROJECT_DIR } from "../../engine/engine.mts";
import { makePlan, renderJson, renderMermaid, renderText, unstartableProblem } from "./offlinePlan.mts";
import {
    StackConfigError,
    listStacks,
    loadStackConfig,
    readFileCapped,
    readProjectFile,
    resolveStackConfig,
} from "../../engine/stackConfig.mts";
import { printableLine } from "../../components/redaction.ts";
import { EXIT_INVALID_INPUT, UserError, commandLine, refuseSharedPath, runTool, stackName } from "../shared/cli.mts";

/** The stack's configuration is refused, by the CLI's rules or the program's: `pulumi preview` would stop. */
const EXIT_REFUSED = 1;

const USAGE = `usage: npm run plan -- --stack <name> [--config-file <path>] [--json | --mermaid]

  --stack <name>         the stack to plan (reads Pulumi.<name>.yaml)
  --config-file <path>   read the stack configuration from this file instead (as pulumi --config-file)
  --json                 print the plan as JSON (stable order: two plans diff cleanly)
  --mermaid              print a Mermaid graph of the resources and their dependencies

The program runs as \`pulumi up\` runs it, on Node's own type stripping: no type checking (npm run typecheck).

exit codes: 0 planned, ${EXIT_REFUSED} the configuration is refused, ${EXIT_INVALID_INPUT} invalid input
`;

async function main(argv: string[]): Promise<number> {
    const args = commandLine(
        argv,
        {
            stack: { type: "string" },
            "config-file": { type: "string" },
            json: { type: "boolean", default: false },
            mermaid: { type: "boolean", default: false },
            "no-type-check": { type: "boolean", default: false },
        },
        USAGE,
    );
    if (!args) return 0;
    if (!args.stack)
        throw new UserError(`--stack is required (stacks here: ${listStacks(PROJECT_DIR).join(", ") || "none"}; --help lists the options)`);
    if (args.json && args.mermaid) throw new UserError("choose one of --json and --mermaid");
    const stack = stackName(args.stack, false);

    const file = args["config-file"];
    if (file !== undefined) refuseSharedPath(path.resolve(file), `--config-file ${file}`);
    let config;
    try {
        config = file
            ? resolveStackConfig(readProjectFile(PROJECT_DIR), stack, readFileCapped(path.resolve(file)), path.basename(file))
            : loadStackConfig(PROJECT_DIR, stack);
    } catch (e) {
        if (e instanceof StackConfigError) throw new UserError(e.message, e.unreadable ? EXIT_INVALID_INPUT : EXIT_REFUSED);
        throw e;
    }
    // Refused as the CLI's own refusals are: the program would not start (spawn E2BIG), under `pulumi up` either.
    const unstartable = unstartableProblem(config, file ?? `Pulumi.${stack}.yaml`);
    if (unstartable !== undefined) throw new UserError(unstartable, EXIT_REFUSED);

    // Accepted for scripts written when the plan type-checked the program as it loaded it; it has nothing to skip now.
    if (args["no-type-check"])
        process.stderr.write(
            "warning: --no-type-check has no effect: the program runs on Node's type stripping and is never type-checked as it runs (npm run typecheck checks it)\n",
        );
    const plan = await makePlan(config);
    if (args.json) process.stdout.write(renderJson(plan));
    else if (args.mermaid) {
        process.stdout.write(renderMermaid(plan));
        // The graph has no place for them (the text plan and JSON list them): a stray key or a program warning still shows.
        for (const w of plan.warnings) process.stderr.write(`warning: ${printableLine(w)}\n`);
    } else process.stdout.write(renderText(plan));
    if (plan.errors.length > 0) {
        // The text plan lists the errors; after JSON or Mermaid they go to standard error, on one line as every refusal.
        if (args.json || args.mermaid) throw new UserError(oneLine(plan.errors), EXIT_REFUSED);
        return EXIT_REFUSED;
    }
    return 0;
}

/** The program's errors (several lines each: a heading, one line per problem, the fix) as one line. */
function oneLine(errors: readonly string[]): string {
    return errors
        .flatMap((e) => e.split("\n"))
        .map((line) => line.trim())
        .filter((line) => line !== "")
        .join(" ");
}

await runTool(main);
