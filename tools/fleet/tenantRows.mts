/**
 * One row of the fleet per tenant stack, each made in isolation (whatever goes wrong with one tenant is its
 * row, never the fleet's end): `status` from the stack's outputs (check-expiry's judgement of the active
 * certificate, the model, the sign-in modes), `verify` and `plan` by running those tools for the stack as a
 * person would and reading their JSON. A bounded pool runs them.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { StackOutputs } from "../../components/outputs.ts";
import { printableLine } from "../../components/redaction.ts";
import { PROJECT_DIR } from "../../engine/engine.mts";
import { parseJson } from "../../components/json.ts";
import { EXPIRY_EXIT, checkExpiry } from "../check-expiry/expiry.mts";
import { EXIT_INVALID_INPUT, UserError } from "../shared/cli.mts";
import { readOutputs } from "../shared/stackOutputs.mts";
import { makePlan, unstartableProblem } from "../plan/offlinePlan.mts";
import { type ResolvedConfig, StackConfigError, loadStackConfig } from "../../engine/stackConfig.mts";

export type Command = "status" | "verify" | "plan";

export interface TenantRow {
    readonly stack: string;
    /** The tool's result word for this tenant (ok, renew, expired, verified, planned, refused, ...). */
    readonly result: string;
    /** The exit code the tool gives this tenant on its own. */
    readonly exitCode: number;
    /** The tenant's organization, or its id. */
    readonly tenant?: string | undefined;
    readonly cloud?: string | undefined;
    /** own application | home of customer stacks | customer of <home> | managed identities only */
    readonly model?: string | undefined;
    readonly signIn?: readonly string[] | undefined;
    readonly daysLeft?: number | undefined;
    /** The active certificate generation. */
    readonly generation?: string | undefined;
    /** One line: what the tool said. */
    readonly detail: string;
}

/** Where a tenant's outputs come from: the Pulumi CLI, or <dir>/<stack>.json. */
export interface OutputsPlace {
    readonly outputsDir?: string | undefined;
}

function outputsFile(stack: string, place: OutputsPlace): string | undefined {
    return place.outputsDir === undefined ? undefined : path.join(place.outputsDir, `${stack}.json`);
}

/** What a stack's outputs say about it, and check-expiry's judgement of its active certificate at `now`. */
export async function statusRow(stack: string, place: OutputsPlace, now: Date): Promise<TenantRow> {
    let outputs: StackOutputs;
    try {
        outputs = await readOutputs({ stack, outputsFile: outputsFile(stack, place), secrets: false });
    } catch (e) {
        return failedRow(stack, e);
    }
    const expiry = checkExpiry(outputs, stack, now);
    const active = expiry.certificates.find((c) => c.active);
    const signIn = [
        ...(outputs.thumbprint !== undefined ? ["certificate"] : []),
        ...((outputs.federatedCredentials?.length ?? 0) > 0 || outputs.connectCommandAccessToken !== undefined
            ? ["federated credential"]
            : []),
        ...((outputs.managedIdentities?.length ?? 0) > 0 ? ["managed identity"] : []),
    ];
    return {
        stack,
        result: expiry.result,
        exitCode: EXPIRY_EXIT[expiry.result],
        tenant: outputs.organization ?? outputs.tenantId,
        cloud: outputs.cloud,
        model: modelOf(outputs),
        signIn,
        daysLeft: active?.daysLeft,
        generation: active?.name,
        detail: expiry.message,
    };
}

function modelOf(o: StackOutputs): string {
    if (o.home !== undefined) return `customer of ${o.home}`;
    if (o.multitenant === true) return "home of customer stacks";
    if (o.appId !== undefined) return "own application";
    return "managed identities only";
}

/** Runs `verify` for the stack (its key from `keyDir`, when given) and reads its JSON verdict. */
export async function verifyRow(
    stack: string,
    place: OutputsPlace,
    options: { readonly keyFile?: string | undefined; readonly maxWait: string },
): Promise<TenantRow> {
    const file = outputsFile(stack, place);
    const args = [
        "--stack",
        stack,
        ...(file === undefined ? [] : ["--outputs-file", file]),
        ...(options.keyFile === undefined ? [] : ["--key-file", options.keyFile]),
        "--max-wait",
        options.maxWait,
        "--json",
    ];
    const run = await runScript("tools/verify/verify.mts", args);
    const verdict = jsonObject(run.stdout);
    if (verdict === undefined) return { stack, result: "failed", exitCode: run.code, detail: lastLine(run.stderr) };
    return verdictRow(stack, verdict, run.code, run.stderr);
}

/**
 * A verify that ran elsewhere (each deploy job verifies its own tenant with that tenant's key): its JSON
 * from <dir>/<stack>.json, the exit code the one it recorded. A tenant without a file did not verify.
 */
export function verifyResultRow(stack: string, resultsDir: string): TenantRow {
    const file = path.join(resultsDir, `${stack}.json`);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        return { stack, result: "not run", exitCode: EXIT_INVALID_INPUT, detail: `no verify result (${file}): its job did not verify` };
    }
    const verdict = jsonObject(text);
    const code = verdict?.["exitCode"];
    if (verdict === undefined || typeof code !== "number" || !Number.isInteger(code)) {
        return { stack, result: "unreadable", exitCode: EXIT_INVALID_INPUT, detail: `${file} is not the JSON of npm run verify -- --json` };
    }
    return verdictRow(stack, verdict, code, "");
}

function verdictRow(stack: string, verdict: Record<string, unknown>, exitCode: number, stderr: string): TenantRow {
    const cause = verdict["cause"] !== null && typeof verdict["cause"] === "object" ? (verdict["cause"] as Record<string, unknown>) : {};
    return {
        stack,
        result: typeof verdict["result"] === "string" ? verdict["result"] : "failed",
        exitCode,
        tenant: stringOf(verdict["organization"]) ?? stringOf(verdict["tenantId"]),
        cloud: stringOf(verdict["cloud"]),
        signIn: typeof verdict["mode"] === "string" ? [verdict["mode"]] : undefined,
        detail: printableLine(
            stringOf(cause["summary"]) ??
                stringOf(verdict["error"]) ??
                (verdict["result"] === "verified" ? "app-only access works" : lastLine(stderr)),
            300,
        ),
    };
}

/** The offline plan of the stack in `projectDir` (npm run plan's, with its exit codes: 0 planned, 1 refused, 2 unreadable). */
export async function planRow(stack: string, projectDir: string): Promise<TenantRow> {
    let config: ResolvedConfig;
    try {
        config = loadStackConfig(projectDir, stack);
    } catch (e) {
        if (!(e instanceof StackConfigError)) throw e;
        return {
            stack,
            result: e.unreadable ? "unreadable" : "refused",
            exitCode: e.unreadable ? EXIT_INVALID_INPUT : 1,
            detail: e.message,
        };
    }
    const unstartable = unstartableProblem(config, `Pulumi.${stack}.yaml`);
    if (unstartable !== undefined) return { stack, result: "refused", exitCode: 1, detail: unstartable };
    const plan = await makePlan(config, { projectDir });
    if (plan.errors.length > 0) {
        return {
            stack,
            result: "refused",
            exitCode: 1,
            detail: plan.errors
                .flatMap((e) => e.split("\n"))
                .map((l) => l.trim())
                .filter(Boolean)
                .join(" "),
        };
    }
    const created = plan.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
    return { stack, result: "planned", exitCode: 0, detail: `${created} resources, ${plan.warnings.length} warnings` };
}

function failedRow(stack: string, e: unknown): TenantRow {
    if (e instanceof UserError) return { stack, result: "unreadable", exitCode: e.exitCode, detail: e.message };
    throw e;
}

/**
 * Runs each item through `work`, at most `limit` at a time, in order of the list, and calls `done` as each
 * finishes; the rows come back in the list's order.
 */
export async function inPool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>, done: () => void): Promise<R[]> {
    const results: R[] = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await work(items[i]);
            done();
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** One of the project's tools for one tenant, in a process of its own: as `npm run <tool>` runs it. */
function runScript(script: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, path.join(PROJECT_DIR, script), ...args], {
            cwd: PROJECT_DIR,
            // The tenant's tool writes its own summary only to the fleet's: never two per tenant.
            env: { ...process.env, GITHUB_STEP_SUMMARY: "", INIT_CWD: process.cwd() },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => err.push(d));
        child.on("error", reject);
        child.on("close", (code) =>
            resolve({
                code: code ?? EXIT_INVALID_INPUT,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
            }),
        );
    });
}

function jsonObject(text: string): Record<string, unknown> | undefined {
    const parsed = parseJson(text);
    if (!("value" in parsed)) return undefined;
    const v = parsed.value;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function stringOf(v: unknown): string | undefined {
    return typeof v === "string" && v !== "" ? v : undefined;
}

function lastLine(text: string): string {
    const lines = text.trim().split("\n");
    return printableLine(lines[lines.length - 1] ?? "", 300).replace(/^error: /, "");
}
