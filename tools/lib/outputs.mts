/**
 * Reading a deployed stack's outputs for the tools, by the names components/outputs.ts declares: from
 * the Pulumi CLI (`pulumi stack output --json [--show-secrets]`), or the same JSON from a file or
 * standard input, so the tools work where the CLI is elsewhere (and in tests). The --stack /
 * --outputs-file contract is in cli.mts.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import { isAbsolute, join } from "node:path";
import { X509Certificate } from "node:crypto";
import { promisify } from "node:util";
import { thumbprintOf } from "../../components/certificate.ts";
import { isGuid } from "../../components/microsoft.ts";
import { CLOUDS, CLOUD_NAMES, type CloudName, isCloudName } from "../../components/clouds.ts";
import type { ManagedIdentityOutput, OutputName } from "../../components/outputs.ts";
import { parseJson } from "../../components/json.ts";
import { show } from "../../components/redaction.ts";
import { isBlank } from "../../components/rules/values.ts";
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

/** A stack's outputs, read by name; every accessor names the output in its error. */
export class StackOutputs {
    readonly values: Readonly<Record<string, unknown>>;
    /** Where they came from, for messages. */
    readonly origin: string;

    constructor(values: Readonly<Record<string, unknown>>, origin: string) {
        this.values = values;
        this.origin = origin;
    }

    has(name: OutputName): boolean {
        return this.values[name] !== undefined;
    }

    raw(name: OutputName): unknown {
        return this.values[name];
    }

    /** A non-empty string output, or a UserError naming it. */
    string(name: OutputName): string {
        const value = this.values[name];
        if (typeof value !== "string" || isBlank(value)) {
            throw new UserError(
                value === undefined
                    ? `the stack has no output ${name}; is this an exo-cba stack, deployed with \`pulumi up\`?`
                    : `output ${name} should be a string that is not blank`,
            );
        }
        return value;
    }

    /** Like string(), but undefined when the output is absent. */
    optionalString(name: OutputName): string | undefined {
        return this.values[name] === undefined ? undefined : this.string(name);
    }

    /**
     * The stack's cloud: its `cloud` output, the worldwide cloud for a stack deployed before that output
     * existed. A name of no cloud, or an exchangeEnvironmentName of another cloud (outputs stitched from
     * two deployments), is refused: what the tool prints or asks for would go to another cloud.
     */
    cloud(): CloudName {
        const name = this.values["cloud"];
        if (name !== undefined && (typeof name !== "string" || !isCloudName(name))) {
            throw new UserError(`output cloud should be one of ${CLOUD_NAMES.join(", ")} (got ${show(name)})`);
        }
        const cloud: CloudName = name ?? "global";
        const environment = this.values["exchangeEnvironmentName"];
        const expected = CLOUDS[cloud].exchangeEnvironmentName;
        if (environment !== undefined && environment !== expected) {
            throw new UserError(
                `output exchangeEnvironmentName is ${show(environment)}, but ${name === undefined ? "without a cloud output the stack is worldwide, which" : `cloud ${cloud}`} connects with ${expected}; read the outputs again from one deployment`,
            );
        }
        return cloud;
    }

    /** The managedIdentities output ([] when absent): a name, the service principal's object id and, user-assigned only, a client id. */
    managedIdentities(): Omit<ManagedIdentityOutput, "connectCommand">[] {
        const value = this.values["managedIdentities"];
        if (value === undefined) return [];
        const invalid = () =>
            new UserError(
                'output managedIdentities should be a list of {"name", "objectId": <GUID>, "clientId": <GUID, user-assigned only>}',
            );
        if (!Array.isArray(value)) throw invalid();
        return value.map((item: unknown) => {
            if (item === null || typeof item !== "object" || Array.isArray(item)) throw invalid();
            const { name, objectId, clientId } = item as Record<string, unknown>;
            const guid = (v: unknown): v is string => typeof v === "string" && isGuid(v);
            if (typeof name !== "string" || isBlank(name) || !guid(objectId) || (clientId !== undefined && !guid(clientId)))
                throw invalid();
            return { name, objectId, ...(clientId === undefined ? {} : { clientId }) };
        });
    }
}

/** The certificatePem output, parsed; a UserError when it is not a certificate. */
export function certificateOutput(pem: string): X509Certificate {
    try {
        return new X509Certificate(pem);
    } catch {
        throw new UserError("output certificatePem is not a readable PEM certificate");
    }
}

/**
 * Why the thumbprint output does not name the certificatePem output, or undefined when it does: the two
 * come from one deployment, or the tool would act on one certificate and report another.
 */
export function thumbprintMismatch(thumbprint: string, certificate: X509Certificate): string | undefined {
    const actual = thumbprintOf(certificate);
    return actual === thumbprint.toUpperCase()
        ? undefined
        : `output thumbprint ${show(thumbprint)} is not the thumbprint of output certificatePem (${actual}); ` +
              "the outputs do not come from one deployment: read them again";
}

/** Reads the outputs as OutputsSource says; every failure is a UserError that never quotes a value. */
export async function readOutputs(source: OutputsSource): Promise<StackOutputs> {
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
    return new StackOutputs(outputs, origin);
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
