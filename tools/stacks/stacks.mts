/**
 * npm run -s stacks -- [<project directory>]: the tenant stacks CI deploys (tools/stacks/tenantStacks.mts), as a
 * JSON array for a GitHub Actions matrix. A stack file CI cannot use is reported on standard error (as a
 * GitHub annotation under Actions) without changing the exit code: an unreadable one is listed all the
 * same, so its own job fails and the other tenants go on; one CI cannot give its own environment is left out.
 */
import { printable } from "../../components/redaction.ts";
import { PROJECT_DIR } from "../../engine/engine.mts";
import { EXIT_INVALID_INPUT, UserError, commandLineWithArguments, refuseSharedPath, runTool } from "../shared/cli.mts";
import { readShard, shardOf, shardsFor, tenantStacks } from "./tenantStacks.mts";

const USAGE = `usage: npm run stacks -- [--rotating] [--shard <k/n> | --shards <size>] [<project directory>]

Prints the tenant stacks (each Pulumi.<stack>.yaml that sets azuread:tenantId) as a JSON array, for the
workflows' matrix. Run it as npm run -s stacks, so that npm adds nothing to standard output.

  --rotating                only the stacks whose certificates are rotated in them: customer stacks
                            (exo-cba:home) are left out, their home is watched (the expiry workflow)
  --shard <k/n>             only the k-th of n contiguous parts of the sorted list (a fleet beyond one
                            matrix's 256 jobs: docs/ci.md)
  --shards <size>           instead of the stacks, the parts ("1/n", ...) of at most <size> stacks each
  <project directory>       the directory of Pulumi.yaml (default: this project's)

Stack files CI cannot use are reported on standard error, one line each (::error annotations under
GitHub Actions): an unreadable file is listed all the same, so its own job fails; a name GitHub's
environments reserve (expiry, <stack>-preview, in any letter case), a name Pulumi refuses, a .yml file,
or names that differ only in letter case are left out.

exit codes: 0 the list was printed (also with problems in stack files), ${EXIT_INVALID_INPUT} invalid input (an option, or not a project directory)
`;

function main(argv: string[]): Promise<number> {
    const args = commandLineWithArguments(
        argv,
        { rotating: { type: "boolean", default: false }, shard: { type: "string" }, shards: { type: "string" } },
        USAGE,
        {
            max: 1,
            what: "the project directory",
        },
    );
    if (!args) return Promise.resolve(0);
    const dir = args.positionals[0];
    if (dir !== undefined) refuseSharedPath(dir, `the project directory ${dir}`);
    const { stacks: all, problems, leftOut, homes } = tenantStacks(dir ?? PROJECT_DIR);
    const o = args.values;
    if (o.shard !== undefined && o.shards !== undefined) throw new UserError("choose one of --shard and --shards");
    const shard = o.shard === undefined ? undefined : readShard(o.shard, "--shard");
    const size = o.shards === undefined ? undefined : /^[0-9]{1,3}$/.test(o.shards) ? Number(o.shards) : NaN;
    if (size !== undefined && !(size >= 1 && size <= 256)) {
        throw new UserError(`--shards must be the most stacks in one part, 1 to 256 (got ${printable(o.shards!)})`);
    }
    const rotating = o.rotating ? all.filter((s) => !Object.hasOwn(homes, s)) : all;
    const stacks = shard === undefined ? rotating : shardOf(rotating, shard);
    const actions = process.env["GITHUB_ACTIONS"] === "true";
    for (const p of problems) {
        // One line: a file name with a line break must not start a workflow command of its own.
        const line = printable(p).replace(/[\r\n]+/g, " ");
        const title = leftOut.includes(p) ? "Stack file left out" : "Unreadable stack file";
        process.stderr.write(actions ? `::error title=${title}::${line.replace(/%/g, "%25")}\n` : `warning: ${line}\n`);
    }
    process.stdout.write(`${JSON.stringify(size === undefined ? stacks : shardsFor(stacks.length, size))}\n`);
    return Promise.resolve(0);
}

await runTool(main);
