/**
 * The tenant stacks CI deploys: a stack takes part when its Pulumi.<stack>.yaml pins the tenant with
 * azuread:tenantId; the example stack (Pulumi.dev.yaml) does not, so it is left out. A stack file that
 * cannot be read is listed all the same, with the reason: its own CI job then fails with it, and the
 * other tenants go on. A file CI cannot give a stack's own environment (a reserved name, a name Pulumi
 * refuses, a name that differs from another only in letter case) is left out, with the reason.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { show } from "../../components/redaction.ts";
import { CONFIG_NAMESPACE } from "../../components/settings.ts";
import { STACK_FILE, StackConfigError, parseYaml, readFileCapped } from "../../engine/stackConfig.mts";
import { STACK_NAME_RULE, isStackName } from "../../components/stackNames.ts";
import { UserError, describeFsError } from "../shared/cli.mts";

export interface TenantStacks {
    /** Stacks that pin a tenant, and stacks whose file could not be read. */
    readonly stacks: string[];
    /** One line per stack file CI cannot use as it is: unreadable (listed all the same) or left out. */
    readonly problems: string[];
    /** The lines of `problems` about files CI leaves out (the others are unreadable files, still listed). */
    readonly leftOut: string[];
    /** The customer stacks among `stacks` (exo-cba:home set), each with its home's full name. */
    readonly homes: Readonly<Record<string, string>>;
}

/**
 * Names CI cannot give a tenant: GitHub environments are named after stacks, so a stack called
 * "<other>-preview" or "expiry" would run in another tenant's preview environment or in the expiry one.
 * Compared in any letter case: "Environment names are not case sensitive"
 * (https://docs.github.com/en/actions/how-tos/deploy/configure-and-manage-deployments/manage-environments).
 */
function reservedName(stack: string): string | undefined {
    const lower = stack.toLowerCase();
    if (lower === "expiry") return "is the name of the expiry workflow's environment";
    if (lower.endsWith("-preview"))
        return `ends in -preview, the suffix of every stack's preview environment (${stack} would be the preview environment of ${stack.slice(0, -8)})`;
    return undefined;
}

/** Pulumi.<stack>.yml: never read by the CLI (see STACK_FILE), however it looks. */
const IGNORED_FILE = /^Pulumi\.(.*)\.yml$/s;

/** The tenant stacks of the project in `projectDir`; a directory that is not a Pulumi project is a UserError. */
export function tenantStacks(projectDir: string): TenantStacks {
    const stacks: string[] = [];
    const homeOf = new Map<string, string>();
    const problems: string[] = [];
    const leftOut: string[] = [];
    const leave = (line: string) => {
        problems.push(line);
        leftOut.push(line);
    };
    /** Listed stacks by their environment's name (GitHub compares it in any case): the files that claim it. */
    const environments = new Map<string, string[]>();
    const files = projectFiles(projectDir);
    for (const file of files) {
        const ignored = IGNORED_FILE.exec(file)?.[1];
        if (ignored !== undefined) {
            const stack = validStackName(ignored);
            const advice =
                stack === undefined ? "" : files.includes(`Pulumi.${stack}.yaml`) ? ", delete it" : `, rename it to Pulumi.${stack}.yaml`;
            leave(
                `${stack === undefined ? show(file) : file}: not a stack file: Pulumi reads Pulumi.<stack>.yaml ` +
                    `(the extension of Pulumi.yaml)${advice}; CI leaves it out.`,
            );
            continue;
        }
        const candidate = STACK_FILE.exec(file)?.[1];
        if (candidate === undefined) continue;
        const stack = validStackName(candidate);
        if (stack === undefined) {
            // Only the quoted, escaped and shortened name: a file name can hold line breaks and terminal escapes.
            leave(`${show(file)}: not a usable stack name (${STACK_NAME_RULE}); CI leaves it out.`);
            continue;
        }
        const reserved = reservedName(stack);
        if (reserved) {
            // Left out: its jobs would run in an environment that holds another stack's credentials.
            leave(`${file}: the stack name ${reserved}; rename the stack (pulumi stack rename) and its file. CI leaves it out.`);
            continue;
        }
        try {
            const config = parseYaml(readFileCapped(path.join(projectDir, file)), file)["config"];
            const tenant =
                config !== null && typeof config === "object" ? (config as Record<string, unknown>)["azuread:tenantId"] : undefined;
            if (!(typeof tenant === "string" && tenant !== "")) continue;
            const home = (config as Record<string, unknown>)[`${CONFIG_NAMESPACE}:home`];
            if (typeof home === "string" && home !== "") homeOf.set(stack, home);
        } catch (e) {
            if (!(e instanceof StackConfigError)) throw e;
            problems.push(e.message);
        }
        const environment = stack.toLowerCase();
        environments.set(environment, [...(environments.get(environment) ?? []), stack]);
    }
    for (const claims of environments.values()) {
        if (claims.length === 1) {
            stacks.push(claims[0]);
            continue;
        }
        // Which stack's credentials and reviewers the shared environment would hold is anyone's guess.
        const claimed = claims.map((s) => `Pulumi.${s}.yaml`);
        leave(
            `${claimed.slice(0, -1).join(", ")} and ${claimed.at(-1)}: stack names that differ only in letter case share one GitHub ` +
                "environment (GitHub compares environment names in any case); rename all but one. CI leaves them out.",
        );
    }
    const homes = Object.fromEntries(stacks.filter((s) => homeOf.has(s)).map((s) => [s, homeOf.get(s)!]));
    return { stacks: stacks.sort(), problems, leftOut, homes };
}

/** The name when Pulumi would accept it as a simple stack name. */
function validStackName(name: string): string | undefined {
    return isStackName(name) ? name : undefined;
}

/** The directory's file names, sorted; a path that is not a project directory is a UserError naming it. */
function projectFiles(projectDir: string): string[] {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(projectDir);
    } catch (e) {
        throw new UserError(`cannot read the project directory ${projectDir}: ${describeFsError(e)}`);
    }
    if (!stat.isDirectory()) throw new UserError(`the project directory ${projectDir} is not a directory`);
    let files: string[];
    try {
        files = fs.readdirSync(projectDir);
    } catch (e) {
        throw new UserError(`cannot read the project directory ${projectDir}: ${describeFsError(e)}`);
    }
    if (!files.includes("Pulumi.yaml")) {
        throw new UserError(`${projectDir} has no Pulumi.yaml: not a Pulumi project directory`);
    }
    return files.sort();
}

/**
 * A part of the tenant stacks, for fleets larger than one GitHub Actions matrix holds (256 jobs): "k/n" is
 * the k-th of n contiguous parts of the sorted list, each of at most ceil(length / n) stacks.
 */
export interface Shard {
    readonly index: number;
    readonly count: number;
}

/** Shards beyond this make no sense for a matrix (256 jobs) and are refused as a typo. */
export const MAX_SHARDS = 256;

/** Reads "k/n" (1 ≤ k ≤ n ≤ MAX_SHARDS); `flag` names the option in the refusal. */
export function readShard(text: string, flag: string): Shard {
    const m = /^([0-9]{1,3})\/([0-9]{1,3})$/.exec(text);
    const index = Number(m?.[1]);
    const count = Number(m?.[2]);
    if (!m || !(index >= 1 && index <= count && count <= MAX_SHARDS)) {
        throw new UserError(`${flag} must be k/n, the k-th of n parts (1 ≤ k ≤ n ≤ ${MAX_SHARDS}), such as 2/4 (got ${show(text)})`);
    }
    return { index, count };
}

export function shardOf<T>(items: readonly T[], shard: Shard): T[] {
    const size = Math.ceil(items.length / shard.count);
    return items.slice((shard.index - 1) * size, shard.index * size);
}

/** The shards ("k/n") that split `length` stacks into parts of at most `size`: none for no stacks. */
export function shardsFor(length: number, size: number): string[] {
    const count = Math.ceil(length / size);
    return Array.from({ length: count }, (_, i) => `${i + 1}/${count}`);
}
