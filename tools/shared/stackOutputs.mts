/**
 * Reading a deployed stack's outputs for the tools, by the names components/outputs.ts declares: from
 * the Pulumi CLI (`pulumi stack output --json [--show-secrets]`), or the same JSON from a file or
 * standard input, so the tools work where the CLI is elsewhere (and in tests). The --stack /
 * --outputs-file contract is in cli.mts.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { type OutputName, type StackOutputs } from "../../components/outputs.ts";
import { type Needs, missingOutput, parseOutputs } from "../../components/outputsReader.ts";

export type { StackOutputs };
import { parseJson } from "../../components/json.ts";
import { UserError, decodeText, readInputFile, stackName } from "./cli.mts";
import { pathProblem } from "./privatePaths.cjs";

/** `pulumi stack output --json` of a real stack is a few kilobytes; more is not a stack's outputs. */
export const MAX_OUTPUTS_BYTES = 4 * 1024 * 1024;

export interface OutputsSource {
    /** --stack: the stack, for `pulumi stack output` (and, with outputsFile, its name only). */
    readonly stack?: string | undefined;
    /** --outputs-file: the JSON of `pulumi stack output --json [--show-secrets]`, or "-" for standard input. */
    readonly outputsFile?: string | undefined;
    /**
     * Whether the tool needs secret outputs (the private key). Without, the CLI is not asked to reveal
     * them and "[secret]" placeholders are fine.
     */
    readonly secrets: boolean;
}

/** The output a tool cannot do without, or a UserError saying the stack lacks it. */
export function need<K extends OutputName>(outputs: StackOutputs, name: K): NonNullable<StackOutputs[K]> {
    const value = outputs[name];
    if (value === undefined) throw new UserError(missingOutput(name));
    return value;
}

/** Every problem at once, in one line: one alone as it is, several counted and joined. */
export function problemsError(problems: readonly string[]): UserError {
    return new UserError(problems.length === 1 ? problems[0] : `${problems.length} problems in the outputs: ${problems.join("; ")}`);
}

/**
 * Reads the outputs as OutputsSource says, strictly and cross-checked (components/outputs.ts parseOutputs);
 * every failure is a UserError that never quotes a secret, every problem of the outputs in it at once.
 */
export async function readOutputs(source: OutputsSource, needs?: Needs): Promise<StackOutputs> {
    let text: string;
    let origin: string;
    if (source.outputsFile !== undefined) {
        origin = source.outputsFile === "-" ? "standard input" : source.outputsFile;
        text = decodeText(await readInputFile(source.outputsFile, "--outputs-file", MAX_OUTPUTS_BYTES), `--outputs-file ${origin}`);
    } else if (source.stack !== undefined) {
        const stack = stackName(source.stack);
        origin = `pulumi stack output --stack ${stack}`;
        text = await fromPulumi(stack, source.secrets);
    } else {
        throw new UserError(`say which stack: --stack <name>, or --outputs-file <file|-> with the JSON of \`${command(source.secrets)}\``);
    }
    const json = parseJson(text);
    if ("problem" in json) {
        throw new UserError(
            json.problem === "not JSON"
                ? `${origin} is not JSON; expected the output of \`${command(source.secrets)}\``
                : `${origin} is JSON ${json.problem}, which no stack's outputs are; expected the output of \`${command(source.secrets)}\``,
        );
    }
    const parsed = json.value;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new UserError(`${origin} is not a JSON object of stack outputs; expected the output of \`${command(source.secrets)}\``);
    }
    const outputs = parsed as Record<string, unknown>;
    // Without --show-secrets the CLI prints "[secret]" in place of secret values.
    if (source.secrets) {
        for (const [key, value] of Object.entries(outputs)) {
            if (value === "[secret]") {
                throw new UserError(`output ${key} is hidden as "[secret]": read the outputs with \`${command(true)}\``);
            }
        }
    }
    const read = parseOutputs(outputs, needs);
    if (read.problems.length > 0) throw problemsError(read.problems);
    return read.outputs;
}

function command(secrets: boolean): string {
    return `pulumi stack output --json${secrets ? " --show-secrets" : ""}`;
}

/**
 * The Pulumi CLI as the shell would find it, but only in PATH's absolute directories, and only a program
 * nobody else can replace (privatePaths.cjs): the tools run where the person typed the command, so an
 * empty or relative PATH entry would run a `pulumi` another account left in the current directory, with
 * the passphrase and the cloud credentials of the environment. Undefined when there is none.
 */
export function pulumiCli(path: string | undefined, platform: NodeJS.Platform = process.platform): string | undefined {
    if (platform === "win32") return "pulumi";
    for (const dir of (path ?? "").split(":")) {
        if (!isAbsolute(dir)) continue;
        const candidate = join(dir, "pulumi");
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
        } catch {
            continue;
        }
        const problem = pathProblem(candidate, "the Pulumi CLI");
        if (problem !== undefined)
            throw new UserError(`${problem}, so it may not be the Pulumi CLI; put a pulumi only you and root can change first in PATH`);
        return candidate;
    }
    return undefined;
}

async function fromPulumi(stack: string, secrets: boolean): Promise<string> {
    const pulumi = pulumiCli(process.env["PATH"]);
    try {
        if (pulumi === undefined) throw Object.assign(new Error("not found"), { code: "ENOENT" });
        const args = ["stack", "output", "--json", ...(secrets ? ["--show-secrets"] : []), "--stack", stack];
        const { stdout } = await promisify(execFile)(pulumi, args, { maxBuffer: MAX_OUTPUTS_BYTES });
        return stdout;
    } catch (e) {
        const err = e as NodeJS.ErrnoException & { stderr?: string };
        if (err.code === "ENOENT") {
            throw new UserError(
                `the Pulumi CLI is not installed here. Run \`${command(secrets)} --stack <name> > outputs.json\` ` +
                    "where it is, and pass --outputs-file outputs.json (or pipe it and pass --outputs-file -)",
            );
        }
        // The CLI's own message (its first line): which stack, which login. Never the outputs.
        throw new UserError(`pulumi stack output failed: ${(err.stderr ?? err.message).trim().split("\n")[0] ?? ""}`);
    }
}
