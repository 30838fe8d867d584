/**
 * Test helpers: evaluate the program through the recording engine, and an openssl oracle.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { makeTemporaryDirectory } from "../../tools/shared/privatePaths.cjs";
import { type Evaluation, PROJECT_DIR, type PriorState, type RecordedResource, evaluate } from "../../engine/engine.mts";
import { type ResolvedConfig, type RuntimeOptions, readProjectFile, resolveStackConfig } from "../../engine/stackConfig.mts";
import type { TenantData } from "../../engine/tenant.mts";
import { type Value, isSecret, reveal } from "../../engine/wireValues.mts";
import { contoso } from "./contoso.mts";

export { PROJECT_DIR };

/** Stack configuration resolved the way the CLI resolves it (Pulumi.yaml defaults, type checks). */
export function stackConfig(values: Record<string, unknown>, stack = "test"): ResolvedConfig {
    const yaml = stringify({ config: values });
    return resolveStackConfig(readProjectFile(PROJECT_DIR), stack, yaml);
}

/**
 * Configuration handed to the program verbatim, without the CLI's schema defaults or type checks
 * (as the Automation API or an older CLI would): for testing the program's own validation.
 */
export function rawConfig(values: Record<string, string>, stack = "test"): ResolvedConfig {
    return { project: "exo-cba", stack, config: values, secretKeys: [], secureKeys: [], defaultedKeys: [] };
}

export interface RunOptions {
    readonly preview?: boolean;
    readonly tenant?: TenantData;
    /** The previous deployment of the same stack (its state). */
    readonly prior?: Evaluation | PriorState;
    readonly projectDir?: string;
    /** Deployed stacks a stack reference may name, by full name (engine.mts otherStacks). */
    readonly otherStacks?: Readonly<Record<string, Evaluation>>;
    /** How the language host starts the program: by default projectDir's Pulumi.yaml (engine.mts). */
    readonly runtime?: RuntimeOptions;
    /** Record the modules the program's process loaded (bench/usage.cjs), as `modules`: files relative to the project. */
    readonly recordModules?: boolean;
}

export type Run = Evaluation & {
    /** With recordModules: every module (CommonJS or ES) the program's process had loaded when it exited. */
    readonly modules?: readonly string[];
};

export async function run(config: ResolvedConfig, options: RunOptions = {}): Promise<Run> {
    const projectDir = options.projectDir ?? PROJECT_DIR;
    const usageFile = options.recordModules ? path.join(tempDir("modules-"), "usage.json") : undefined;
    const ev = await evaluate({
        config,
        tenant: options.tenant ?? contoso(),
        preview: options.preview ?? false,
        prior: options.prior && "recording" in options.prior ? options.prior.recording : options.prior,
        projectDir,
        ...(options.runtime ? { runtime: options.runtime } : {}),
        ...(options.otherStacks ? { otherStacks: options.otherStacks } : {}),
        compileCache: true,
        // The probe through NODE_OPTIONS, as the bench gives it: on the command line it would change which
        // loader hooks Pulumi's loader chooses (bench/run.mts says why).
        env: usageFile
            ? {
                  EXO_CBA_BENCH_USAGE_FILE: usageFile,
                  NODE_OPTIONS: `--require ${JSON.stringify(path.join(PROJECT_DIR, "bench", "usage.cjs"))}`,
              }
            : {},
    });
    if (!usageFile) return ev;
    const { modules } = JSON.parse(fs.readFileSync(usageFile, "utf8")) as { modules: string[] };
    return { ...ev, modules: modules.map((m) => path.relative(projectDir, m).split(path.sep).join("/")) };
}

/** Each resource's step, as `pulumi preview` would list it: "create exo-key", ... (stack and "same" left out unless asked). */
export function steps(ev: Evaluation, options: { includeSame?: boolean } = {}): string[] {
    const changes = ev.recording.resources
        .filter((r) => r.type !== "pulumi:pulumi:Stack" && (options.includeSame || r.step !== "same"))
        .map((r) => `${r.step} ${r.name}`);
    const deleted = ev.recording.deleted.map((urn) => `delete ${urn.split("::").pop() ?? urn}`);
    return [...changes, ...deleted].sort();
}

/** Custom resources of one type, in registration order. */
export function ofType(ev: Evaluation, type: string): RecordedResource[] {
    return ev.recording.resources.filter((r) => r.type === type);
}

export function only(ev: Evaluation, type: string): RecordedResource {
    const found = ofType(ev, type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0];
}

/** A plain string input or output (secrets revealed); throws if it is not a string. */
export function str(v: Value | undefined): string {
    const plain = v === undefined ? undefined : reveal(v);
    if (typeof plain !== "string") throw new Error(`expected a string, got ${JSON.stringify(v)}`);
    return plain;
}

export { isSecret, reveal };

// One scratch directory per test process, in this account's private directory (tools/shared/privatePaths.cjs),
// removed when it exits (it holds test keys).
const scratch = makeTemporaryDirectory("test-");
process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));

export function tempDir(prefix: string): string {
    return fs.mkdtempSync(path.join(scratch, prefix));
}

/**
 * A copy of the files `pulumi up` needs (node_modules linked), with `files` written into it (stack files, a
 * changed module): a project to run or plan as it is on disk.
 */
export function projectCopy(files: Readonly<Record<string, string>> = {}): string {
    const dir = tempDir("project-");
    for (const entry of ["index.ts", "components", "package.json", "tsconfig.json", "Pulumi.yaml"]) {
        fs.cpSync(path.join(PROJECT_DIR, entry), path.join(dir, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
}

/** Runs openssl with `input` on stdin and returns stdout. */
export function openssl(args: string[], input?: string | Buffer): string {
    return execFileSync("openssl", args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

/** Runs openssl and returns what it wrote to stdout and stderr together (some reports go to stderr). */
export function opensslReport(args: string[], input?: string | Buffer): string {
    const r = spawnSync("openssl", args, { input, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args[0] ?? ""} failed: ${r.stderr}`);
    return `${r.stdout}${r.stderr}`;
}

/** openssl's SHA-1 fingerprint of a PEM certificate, as 40 hex digits without colons. */
export function opensslThumbprint(pem: string): string {
    const out = openssl(["x509", "-noout", "-fingerprint", "-sha1"], pem);
    const m = /Fingerprint=([0-9A-F:]+)/i.exec(out);
    if (!m?.[1]) throw new Error(`unexpected openssl output: ${out}`);
    return m[1].replaceAll(":", "").toUpperCase();
}

/** openssl's NotAfter of a PEM certificate as a Date. */
export function opensslNotAfter(pem: string): Date {
    const out = openssl(["x509", "-noout", "-enddate"], pem);
    return new Date(out.trim().replace(/^notAfter=/, ""));
}

export interface MadeCertificate {
    readonly certPem: string;
    readonly keyPem: string;
}

/** A self-signed certificate made by openssl: `bits`-bit RSA (or EC when bits is "ec"), valid `days` from now. */
export function opensslCertificate(options: { bits?: number | "ec"; days?: number; cn?: string } = {}): MadeCertificate {
    const dir = tempDir("openssl-");
    const key = path.join(dir, "key.pem");
    const cert = path.join(dir, "cert.pem");
    const keyArgs =
        options.bits === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", `rsa:${options.bits ?? 2048}`];
    openssl([
        "req",
        "-x509",
        ...keyArgs,
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        String(options.days ?? 30),
        "-subj",
        `/CN=${options.cn ?? "BYO test"}`,
    ]);
    return { certPem: fs.readFileSync(cert, "utf8"), keyPem: fs.readFileSync(key, "utf8") };
}

/** Everything the program printed or logged, for leak checks. */
export function allText(ev: Evaluation): string {
    return [ev.stdout, ev.stderr, ...ev.recording.logs.map((l) => l.message)].join("\n");
}
