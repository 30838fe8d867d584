/**
 * Reading a stack's outputs for the command-line tools: from the Pulumi CLI
 * (`pulumi stack output --json --show-secrets`), or the same JSON from a file or standard input, so
 * the tools work where the CLI is elsewhere (and in tests).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { promisify } from "node:util";

/** A problem with the outputs a user can fix; the message never quotes secret values. */
export class OutputsError extends Error {}

export interface OutputsSource {
    /** Stack name for `pulumi stack output`. */
    readonly stack?: string | undefined;
    /** A file with the JSON of `pulumi stack output --json --show-secrets`, or "-" for standard input. */
    readonly outputsFile?: string | undefined;
    /**
     * Whether the tool needs secret outputs (the private key). Without, the CLI is not asked to
     * reveal them and "[secret]" placeholders are fine.
     * @default true
     */
    readonly secrets?: boolean;
}

export type Outputs = Readonly<Record<string, unknown>>;

export async function readOutputs(source: OutputsSource): Promise<Outputs> {
    let text: string;
    let origin: string;
    if (source.outputsFile !== undefined) {
        origin = source.outputsFile === "-" ? "standard input" : source.outputsFile;
        try {
            text = source.outputsFile === "-" ? await readStdin() : fs.readFileSync(source.outputsFile, "utf8");
        } catch (e) {
            throw new OutputsError(`cannot read ${origin}: ${(e as Error).message}`);
        }
    } else if (source.stack !== undefined) {
        origin = `pulumi stack output --stack ${source.stack}`;
        text = await fromPulumi(source.stack, source.secrets ?? true);
    } else {
        throw new OutputsError(
            "say which stack: --stack <name>, or --outputs-file <file|-> with the JSON of `pulumi stack output --json --show-secrets`",
        );
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        throw new OutputsError(`${origin} is not JSON; expected the output of \`pulumi stack output --json --show-secrets\``);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new OutputsError(`${origin} is not a JSON object of stack outputs`);
    }
    const outputs = parsed as Record<string, unknown>;
    // Without --show-secrets the CLI prints "[secret]" in place of secret values.
    for (const [key, value] of Object.entries(outputs)) {
        if (value === "[secret]" && (source.secrets ?? true)) {
            throw new OutputsError(
                `output ${key} is hidden as "[secret]": read the outputs with \`pulumi stack output --json --show-secrets\``,
            );
        }
    }
    return outputs;
}

/** The string output `name`, or an error naming it. */
export function stringOutput(outputs: Outputs, name: string): string {
    const value = outputs[name];
    if (typeof value !== "string" || value === "") {
        throw new OutputsError(
            value === undefined
                ? `the stack has no output ${name}; is this an exo-cba stack, deployed with \`pulumi up\`?`
                : `output ${name} should be a non-empty string`,
        );
    }
    return value;
}

/** Like stringOutput, but undefined when the output is absent. */
export function optionalStringOutput(outputs: Outputs, name: string): string | undefined {
    return outputs[name] === undefined ? undefined : stringOutput(outputs, name);
}

async function fromPulumi(stack: string, secrets: boolean): Promise<string> {
    try {
        const args = ["stack", "output", "--json", ...(secrets ? ["--show-secrets"] : []), "--stack", stack];
        const { stdout } = await promisify(execFile)("pulumi", args, {
            maxBuffer: 16 * 1024 * 1024,
        });
        return stdout;
    } catch (e) {
        const err = e as NodeJS.ErrnoException & { stderr?: string };
        if (err.code === "ENOENT") {
            throw new OutputsError(
                "the Pulumi CLI is not installed here. Run `pulumi stack output --json --show-secrets --stack <name> > outputs.json` " +
                    "where it is, and pass --outputs-file outputs.json (or pipe it and pass --outputs-file -)",
            );
        }
        throw new OutputsError(`pulumi stack output failed: ${(err.stderr ?? err.message).trim()}`);
    }
}

async function readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
}
