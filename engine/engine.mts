/**
 * The recording engine: runs the real program once, exactly as `pulumi up`/`pulumi preview` start it,
 * against a simulated tenant, and returns what it registered. The offline plan and the test suite
 * both use it.
 *
 * The Pulumi CLI starts a nodejs program through the language host, which runs
 *   node <project>/node_modules/@pulumi/pulumi/cmd/run --monitor <addr> --engine <addr> --project <p>
 *        --root-directory <dir> --stack <s> --pwd <dir> [--dry-run] --parallel <n> .
 * with the configuration in PULUMI_CONFIG (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs).
 * This does the same, with the engine's two gRPC services played by RecordingMonitor, and reads
 * Pulumi.yaml's runtime options as the language host does (typescript: ts-node or Node's own type
 * stripping; nodeargs). So the loader, the stack wrapper and the SDK's error reporting are the real ones.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { privateSubdirectory } from "../tools/shared/privatePaths.cjs";
import { type PriorState, type Recording, RecordingMonitor } from "./monitor.mts";
import { type ResolvedConfig, type RuntimeOptions, readProjectFile, runtimeOptions } from "./stackConfig.mts";
import { type ForeignApplication, SimulatedTenant, type TenantData } from "./tenant.mts";
import { type Value, reveal } from "./wireValues.mts";

export type { LogLine, PriorState, RecordedAlias, RecordedInvoke, RecordedResource, Recording, Step } from "./monitor.mts";

export const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface EvaluateOptions {
    readonly config: ResolvedConfig;
    readonly tenant: TenantData;
    /** Dry run, like `pulumi preview`: new resources have no ids and computed outputs are unknown. */
    readonly preview: boolean;
    /**
     * The stack's state: the recording of the last deployment. Resources found there keep their
     * outputs (keys, certificates, ids) and each registration gets the step the engine would take.
     */
    readonly prior?: PriorState | undefined;
    readonly projectDir?: string;
    readonly organization?: string;
    /**
     * Extra environment for the program's process (e.g. NODE_OPTIONS with a --require: unlike node's command
     * line, it does not change which loader hooks Pulumi's loader registers for ts-node).
     */
    readonly env?: Readonly<Record<string, string>>;
    /**
     * How the language host starts the program: by default Pulumi.yaml's runtime options in projectDir (ts-node
     * or Node's own type stripping, and `nodeargs`), or Pulumi's defaults where there is no Pulumi.yaml.
     */
    readonly runtime?: RuntimeOptions;
    /**
     * The other stacks the program may read the outputs of, by full name (org/project/stack), each as its last
     * deployment: its outputs are what pulumi:pulumi:readStackOutputs answers, and the applications it registered are what
     * another tenant's Graph can find, when they are multitenant. A name not here is an unknown stack.
     */
    readonly otherStacks?: Readonly<Record<string, Evaluation>>;
    /** Upper bound for one evaluation; a hung program fails instead of blocking. */
    readonly timeoutMs?: number;
    /**
     * Keep V8's compiled code of the program and its packages between evaluations (NODE_COMPILE_CACHE), in
     * this account's own directory of the OS's temporary directory: a test suite that runs the program a
     * hundred times loads it faster. The program gets the same code; the benchmark leaves it off, as the CLI does.
     */
    readonly compileCache?: boolean;
}

export interface Evaluation {
    readonly recording: Recording;
    /** Stack outputs as the engine would store them (secrets marked); undefined when the program failed. */
    readonly outputs: Record<string, Value> | undefined;
    /** The error lines `pulumi up` would print, without the "error: " prefix. */
    readonly errors: string[];
    readonly warnings: string[];
    /** What the program process wrote to stdout/stderr. */
    readonly stdout: string;
    readonly stderr: string;
    readonly exitCode: number;
    /** True when `pulumi up` would fail: a non-zero exit or an error logged. */
    readonly failed: boolean;
}

export async function evaluate(options: EvaluateOptions): Promise<Evaluation> {
    const projectDir = options.projectDir ?? PROJECT_DIR;
    const { project, stack } = options.config;
    const others = Object.entries(options.otherStacks ?? {});
    const tenant = new SimulatedTenant({
        tenant: options.tenant,
        preview: options.preview,
        foreignApplications: others.flatMap(([, ev]) => applicationsOf(ev)),
    });
    const outputsOf = others.map(([name, ev]): [string, Record<string, Value>] => {
        if (ev.outputs === undefined || ev.recording.preview) throw new Error(`otherStacks: ${name} is not a deployment`);
        return [name, ev.outputs];
    });
    // The stack itself, as the backend has it: its last deployment's outputs (a stack's state keeps them on the
    // stack resource), or none for a stack never deployed.
    const self = `${options.organization ?? "organization"}/${project}/${stack}`;
    const stackState = options.prior?.resources.find((r) => r.type === "pulumi:pulumi:Stack") as
        { outputs: Record<string, Value>; registeredOutputs?: Record<string, Value> } | undefined;
    const ownOutputs: [string, Record<string, Value>] = [self, stackState?.registeredOutputs ?? stackState?.outputs ?? {}];
    const monitor = new RecordingMonitor(
        projectDir,
        project,
        stack,
        options.preview,
        tenant,
        options.prior,
        Object.fromEntries([ownOutputs, ...outputsOf]),
    );
    const address = await monitor.start();
    try {
        const { exitCode, stdout, stderr } = await runProgram(projectDir, address, options);
        monitor.finish();
        const { recording } = monitor;
        const errors = recording.logs.filter((l) => l.severity === "error").map((l) => l.message);
        const warnings = recording.logs.filter((l) => l.severity === "warning").map((l) => l.message);
        const stackResource = recording.resources.find((r) => r.type === "pulumi:pulumi:Stack");
        const failed = exitCode !== 0 || errors.length > 0;
        return {
            recording,
            outputs: failed ? undefined : (stackResource?.registeredOutputs ?? {}),
            errors,
            warnings,
            stdout,
            stderr,
            exitCode,
            failed,
        };
    } finally {
        monitor.stop();
    }
}

/** The applications a deployment registered, as another tenant's Graph sees them. */
function applicationsOf(ev: Evaluation): ForeignApplication[] {
    const text = (v: Value | undefined, fallback: string): string => {
        const plain = v === undefined ? undefined : reveal(v);
        return typeof plain === "string" ? plain : fallback;
    };
    const tenantId = text(ev.outputs?.["tenantId"], "");
    return ev.recording.resources
        .filter((r) => r.type === "azuread:index/applicationRegistration:ApplicationRegistration" && r.failure === undefined)
        .map((r) => ({
            clientId: text(r.outputs["clientId"], ""),
            displayName: text(r.inputs["displayName"], ""),
            signInAudience: text(r.inputs["signInAudience"], "AzureADMyOrg"),
            tenantId,
        }));
}

function runProgram(
    projectDir: string,
    address: string,
    options: EvaluateOptions,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const { project, stack } = options.config;
    const runPath = path.dirname(createRequire(path.join(projectDir, "package.json")).resolve("@pulumi/pulumi/cmd/run"));
    const runtime = options.runtime ?? projectRuntime(projectDir);
    const args = [
        ...runtime.nodeargs,
        runPath,
        "--monitor",
        address,
        "--engine",
        address,
        "--organization",
        options.organization ?? "organization",
        "--project",
        project,
        "--root-directory",
        projectDir,
        "--stack",
        stack,
        "--pwd",
        projectDir,
        ...(options.preview ? ["--dry-run"] : []),
        "--parallel",
        "16",
        ".",
    ];
    const env = {
        ...scrubbedEnv(),
        ...programConfigEnvironment(options.config),
        // As the language host sets it (pulumi-language-nodejs main.go): only when ts-node is to be registered.
        ...(runtime.typescript ? { PULUMI_NODEJS_TYPESCRIPT: "true" } : {}),
        ...(options.compileCache ? cacheEnvironment() : {}),
        ...options.env,
    };
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, { cwd: projectDir, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const limit = options.timeoutMs ?? 120_000;
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`evaluating stack ${stack} took longer than ${limit} ms\n${stderr}`));
        }, limit);
        child.on("error", reject);
        child.on("exit", (code, signal) => {
            clearTimeout(timer);
            resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr });
        });
    });
}

/**
 * The configuration as the language host hands it to the program: two environment variables
 * (sdk/nodejs/cmd/pulumi-language-nodejs main.go, execRuntime and constructConfig), keys written
 * "<namespace>:config:<key>", serialised as Go's json.Marshal does (keys sorted; <, >, &, U+2028 and
 * U+2029 escaped: pkg.go.dev/encoding/json, Marshal), so the variables are as long as the CLI's and the
 * same value to JSON.parse.
 */
export function programConfigEnvironment(config: ResolvedConfig): { PULUMI_CONFIG: string; PULUMI_CONFIG_SECRET_KEYS: string } {
    const values: Record<string, string> = {};
    for (const key of Object.keys(config.config).sort()) {
        const i = key.indexOf(":");
        values[`${key.slice(0, i)}:config:${key.slice(i + 1)}`] = config.config[key] ?? "";
    }
    return { PULUMI_CONFIG: goJson(values), PULUMI_CONFIG_SECRET_KEYS: goJson(config.secretKeys) };
}

/**
 * The compile cache's variable (EvaluateOptions.compileCache), or none when this account has no private
 * directory for it (tools/shared/privatePaths.cjs: a cache another account can write would run its code as ours).
 */
function cacheEnvironment(): Record<string, string> {
    const compile = privateSubdirectory("compile-cache");
    return compile.dir === undefined ? {} : { NODE_COMPILE_CACHE: compile.dir };
}

/** Pulumi.yaml's runtime options in `projectDir`, or the language host's defaults where there is none. */
function projectRuntime(projectDir: string): RuntimeOptions {
    return fs.existsSync(path.join(projectDir, "Pulumi.yaml"))
        ? runtimeOptions(readProjectFile(projectDir))
        : { typescript: true, nodeargs: [] };
}

/** JSON as Go's json.Marshal writes it: these characters only occur inside strings, where the escape means the same. */
function goJson(value: unknown): string {
    return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The environment without a developer's Pulumi or Azure session, so every evaluation starts alike, and
 * without the NODE_OPTIONS npm adds for this project's own scripts (.npmrc): the Pulumi CLI starts the
 * program outside npm. A compile cache is used only when asked (EvaluateOptions.compileCache).
 */
function scrubbedEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (v !== undefined && !/^(PULUMI_|ARM_|AZURE_|NODE_OPTIONS$|NODE_COMPILE_CACHE$)/.test(k)) env[k] = v;
    }
    return env;
}
