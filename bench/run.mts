/**
 * npm run bench [-- --runs <n>] [-- --project <dir>] [-- --fleet-tenants <n>]
 *
 * What a user waits for, measured as whole processes on this machine, each next to bench/minimal (the same
 * resources, inputs, invokes and outputs written out by hand, an ES module like the program):
 *   as Pulumi.yaml says   the dev stack evaluated as `pulumi up` starts it (the project's runtime options: Node's
 *                         own type stripping), against the minimal program under Pulumi's default (ts-node,
 *                         type-checked): what moving off ts-node saves
 *   native                the program and the minimal program both loaded natively: wall time, CPU time and
 *                         peak RSS of the program's process: what the program's own code costs
 *   Key Vault             the Key Vault stack against the dev stack, both as Pulumi.yaml says: what delivering
 *                         to Key Vault adds (azure-native's modules, one more component)
 *   tsc                   `tsc --noEmit` over the program alone against the minimal program
 *   plan                  `npm run plan -- --stack dev` against one native evaluation of the minimal program
 *   fleet                 `npm run fleet -- plan` over --fleet-tenants generated tenant stacks (default 500; 0
 *                         leaves the rows out), as many at a time as the machine has CPUs: its time per tenant
 *                         against a single plan's divided by that concurrency, and its peak RSS against the same
 *                         fleet of half as many tenants (memory must stop growing with the fleet: V8's heap grows
 *                         to its size over the first hundred or so tenants). One run each.
 * Each group of series takes turns (and which goes first rotates too), one warm-up each, --runs runs (default 9);
 * times by the fastest run, memory by the median. Every ratio must be within its goal (docs/performance.md):
 * the exit code is 1 when one is not, 2 for a wrong argument. bench/floor (the three packages loaded, nothing
 * registered) takes its turns with the native pair, so the report can say how far each is from what no
 * program can avoid.
 *
 * Before measuring, one evaluation of each is compared: both must register the same custom resources with
 * the same inputs, make the same invokes and export the same stack outputs, or the comparison means
 * nothing and the bench stops.
 * --project measures a copy of the project instead (index.ts, components/, tsconfig.json, package.json,
 * Pulumi.yaml, Pulumi.dev.yaml, bench/, tests/fixtures/stacks/Pulumi.keyvault.yaml and a node_modules), to try
 * a change to the program before making it; the plan row always runs this checkout's `npm run plan`.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type Evaluation, PROJECT_DIR, evaluate } from "../engine/engine.mts";
import {
    type ResolvedConfig,
    type RuntimeOptions,
    loadStackConfig,
    readFileCapped,
    readProjectFile,
    resolveStackConfig,
} from "../engine/stackConfig.mts";
import { type Value, isSecret } from "../engine/wireValues.mts";
import { printable } from "../components/redaction.ts";
import { contoso } from "../tests/support/contoso.mts";
import { makeTemporaryDirectory } from "../tools/shared/privatePaths.cjs";

const USAGE_SCRIPT = path.join(PROJECT_DIR, "bench", "usage.cjs");
const TSC = createRequire(path.join(PROJECT_DIR, "package.json")).resolve("typescript/lib/tsc.js");
const NPM_NODE_OPTIONS = /^node-options=(.*)$/m.exec(fs.readFileSync(path.join(PROJECT_DIR, ".npmrc"), "utf8"))?.[1]?.trim() ?? "";
const USAGE =
    "usage: npm run bench [-- --runs <n>] [-- --project <dir>] [-- --fleet-tenants <n>]   (runs from 1 to 999, default 9; fewer than 5 mean little; fleet tenants 0 or 10 to 5000, default 500)";

/** Pulumi's default for a program whose Pulumi.yaml says nothing: ts-node, type-checking (pulumi-language-nodejs). */
const PULUMI_DEFAULT: RuntimeOptions = { typescript: true, nodeargs: [] };
const NATIVE: RuntimeOptions = { typescript: false, nodeargs: [] };

interface Sample {
    readonly ms: number;
    /** User and system CPU time of the measured process, all its threads. */
    readonly cpuMs: number;
    /** Peak resident set size of the measured process, in kilobytes. */
    readonly rssKb: number;
    /** The modules the process had loaded when it exited (CommonJS and ES modules), as file paths. */
    readonly modules: readonly string[];
}

/** Two series measured side by side: the one the ratio is about, and the one it is against. */
interface Measured {
    readonly subject: Sample[];
    readonly baseline: Sample[];
}

const scratch = makeTemporaryDirectory("bench-");
process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

/** Times `measure` and returns it with what the measured process wrote to its usage file (bench/usage.cjs). */
async function withUsage(measure: (env: Record<string, string>) => Promise<void>): Promise<Sample> {
    const file = path.join(scratch, `usage-${++counter}.json`);
    const started = performance.now();
    await measure({ EXO_CBA_BENCH_USAGE_FILE: file });
    const ms = performance.now() - started;
    const usage = JSON.parse(fs.readFileSync(file, "utf8")) as { maxRssKb: number; cpuUs: number; modules: string[] };
    return { ms, cpuMs: usage.cpuUs / 1000, rssKb: usage.maxRssKb, modules: usage.modules };
}

/** One evaluation of a stack as `pulumi up` runs it (not a preview), with the usage probe in the program's process. */
function evaluateOnce(
    dir: string,
    config: ResolvedConfig,
    runtime: RuntimeOptions | undefined,
    keep?: (ev: Evaluation) => void,
): Promise<Sample> {
    return withUsage(async (env) => {
        const ev = await evaluate({
            config,
            tenant: contoso(),
            preview: false,
            projectDir: dir,
            ...(runtime ? { runtime } : {}),
            // Through NODE_OPTIONS, not the command line: Pulumi's loader uses ts-node's ES module hooks only when
            // the process has no --require, --import or --loader of its own (sdk/nodejs/cmd/run/run.ts), and
            // neither does the language host add one, so a probe on the command line would change what is measured.
            env: { ...env, NODE_OPTIONS: `--require ${JSON.stringify(USAGE_SCRIPT)}` },
            timeoutMs: 300_000,
        });
        if (ev.failed) throw new Error(`evaluating ${dir} failed:\n${ev.errors.join("\n")}\n${ev.stderr}`);
        keep?.(ev);
    });
}

function tscOnce(tsconfig: string): Promise<Sample> {
    return withUsage(async (env) => {
        const r = await run(["--require", USAGE_SCRIPT, TSC, "--noEmit", "-p", tsconfig], env);
        if (r.code !== 0) throw new Error(`tsc --noEmit -p ${tsconfig} failed:\n${r.stdout}${r.stderr}`);
    });
}

/**
 * A copy of the program with `tenants` generated tenant stacks (each its own azuread:tenantId, the defaults
 * otherwise), for the fleet rows.
 */
function fleetProject(projectDir: string, tenants: number): string {
    const dir = path.join(scratch, `fleet-${tenants}`);
    fs.mkdirSync(dir);
    for (const entry of ["index.ts", "components", "package.json", "tsconfig.json", "Pulumi.yaml"]) {
        fs.cpSync(path.join(projectDir, entry), path.join(dir, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(dir, "node_modules"), "dir");
    for (let i = 1; i <= tenants; i++) {
        const tenantId = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
        fs.writeFileSync(path.join(dir, `Pulumi.tenant-${String(i).padStart(4, "0")}.yaml`), `config:\n  azuread:tenantId: ${tenantId}\n`);
    }
    return dir;
}

/** `npm run fleet -- plan` over a fleet project, with the usage probe in the fleet's own process. */
function fleetOnce(dir: string, tenants: number, concurrency: number): Promise<Sample> {
    return withUsage(async (env) => {
        const r = await run(
            [
                "--require",
                USAGE_SCRIPT,
                path.join(PROJECT_DIR, "tools", "fleet", "fleet.mts"),
                "plan",
                "--project-dir",
                dir,
                "--concurrency",
                String(concurrency),
                "--json",
            ],
            env,
        );
        const report = JSON.parse(r.stdout || "{}") as { tenants?: { result: string }[] };
        const planned = report.tenants?.filter((t) => t.result === "planned").length ?? 0;
        if (planned !== tenants) throw new Error(`npm run fleet -- plan planned ${planned} of ${tenants} tenant stacks:\n${r.stderr}`);
    });
}

/** `npm run plan -- --stack dev`: the command and what it starts, timed from outside (npm included). */
async function planOnce(): Promise<Sample> {
    const started = performance.now();
    const r = await new Promise<{ code: number; stderr: string }>((resolve, reject) => {
        const child = spawn("npm", ["run", "-s", "plan", "--", "--stack", "dev"], {
            cwd: PROJECT_DIR,
            stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("exit", (code) => resolve({ code: code ?? 1, stderr }));
    });
    if (r.code !== 0) throw new Error(`npm run plan -- --stack dev failed:\n${r.stderr}`);
    return { ms: performance.now() - started, cpuMs: 0, rssKb: 0, modules: [] };
}

function run(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, {
            cwd: PROJECT_DIR,
            env: { ...process.env, NODE_OPTIONS: NPM_NODE_OPTIONS, ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}

/**
 * Runs the series in turn, rotating which goes first, so that drift on a shared machine affects all alike,
 * after one unrecorded run of each.
 */
async function measure<K extends string>(
    label: string,
    runs: number,
    series: Record<K, () => Promise<Sample>>,
): Promise<Record<K, Sample[]>> {
    const names = Object.keys(series) as K[];
    const result = Object.fromEntries(names.map((n) => [n, [] as Sample[]])) as Record<K, Sample[]>;
    for (let i = -1; i < runs; i++) {
        const start = (i + 1) % names.length;
        for (const name of [...names.slice(start), ...names.slice(0, start)]) {
            const sample = await series[name]();
            if (i >= 0) result[name].push(sample);
            if (process.stderr.isTTY) process.stderr.write(`\r${label}: ${i < 0 ? "warm-up" : `run ${i + 1}/${runs}`} ${name}    `);
        }
    }
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    return result;
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * How a measure's runs are summed up for the ratio. Times: the fastest run. The work is the same in every
 * run and other load on a shared machine only ever adds to it, so the fastest run is the one least
 * disturbed (medians here moved by ±0.1 in the ratio between two runs of the same code). Memory: the median.
 */
type Estimate = "fastest" | "median";

interface Row {
    readonly measure: string;
    readonly goal: number;
    readonly line: string;
    readonly ratio: number;
}

/** A table row: each side's estimate with median and range, the ratio of the estimates, and the goal. */
function row(
    measure: string,
    m: Measured,
    value: (s: Sample) => number,
    format: (v: number) => string,
    estimate: Estimate,
    goal: number,
): Row {
    const summary = (v: number[]) => (estimate === "fastest" ? Math.min(...v) : median(v));
    const cell = (samples: Sample[]) => {
        const v = samples.map(value);
        return `${format(summary(v))} (median ${format(median(v))}, ${format(Math.min(...v))}–${format(Math.max(...v))})`;
    };
    // Compared as printed, to two decimals: the goals are stated that way.
    const ratio = Math.round((summary(m.subject.map(value)) / summary(m.baseline.map(value))) * 100) / 100;
    const verdict = ratio <= goal ? "within" : "**above**";
    return {
        measure,
        goal,
        ratio,
        line: `| ${measure} | ${cell(m.subject)} | ${cell(m.baseline)} | ${ratio.toFixed(2)} | ≤ ${goal} | ${verdict} |`,
    };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mebibytes = (kb: number) => `${Math.round(kb / 1024)} MiB`;

/**
 * Stands in for the values that differ between any two runs (generated keys and certificates, the dates
 * taken from them), so that the rest can be compared exactly. Secrets stay marked: an input must be secret
 * in both.
 */
function comparable(v: Value): Value {
    if (typeof v === "string") {
        if (v.includes("-----BEGIN ")) return "<PEM>";
        if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(v)) return "<time>";
        return v.replace(/\b[0-9A-F]{40}\b/g, "<thumbprint>");
    }
    if (Array.isArray(v)) return v.map(comparable);
    if (v !== null && typeof v === "object") {
        if (isSecret(v)) return { $secret: comparable(v.$secret) };
        return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, comparable(item)]));
    }
    return v;
}

/** What the two evaluations registered and invoked differently; empty when they did the same. */
function differences(program: Evaluation, minimal: Evaluation): string[] {
    const resources = (ev: Evaluation) =>
        new Map(ev.recording.resources.filter((r) => r.custom).map((r) => [`${r.type} ${r.name}`, JSON.stringify(comparable(r.inputs))]));
    const invokes = (ev: Evaluation) => ev.recording.invokes.map((i) => `${i.token} ${JSON.stringify(comparable(i.args))}`).sort();
    const found: string[] = [];
    const p = resources(program);
    const m = resources(minimal);
    for (const [key, inputs] of p) {
        if (!m.has(key)) found.push(`only the program registers ${key}`);
        else if (m.get(key) !== inputs) found.push(`${key} has other inputs: program ${inputs}, minimal ${m.get(key)}`);
    }
    for (const key of m.keys()) if (!p.has(key)) found.push(`only the minimal program registers ${key}`);
    const pi = invokes(program);
    const mi = invokes(minimal);
    if (JSON.stringify(pi) !== JSON.stringify(mi)) found.push(`other invokes: program ${pi.join("; ")}, minimal ${mi.join("; ")}`);
    // The same stack outputs too: a baseline that skipped work the program does for its users would flatter it.
    const outputs = (ev: Evaluation) => {
        const stack = ev.recording.resources.find((r) => r.type === "pulumi:pulumi:Stack");
        return new Map(Object.entries(stack?.registeredOutputs ?? {}).map(([k, v]) => [k, JSON.stringify(comparable(v))]));
    };
    const po = outputs(program);
    const mo = outputs(minimal);
    for (const [key, value] of po) {
        if (!mo.has(key)) found.push(`only the program exports ${key}`);
        else if (mo.get(key) !== value) found.push(`output ${key} differs: program ${value}, minimal ${mo.get(key)}`);
    }
    for (const key of mo.keys()) if (!po.has(key)) found.push(`only the minimal program exports ${key}`);
    return found;
}

/** The modules `a`'s process loaded and `b`'s did not: files of its own (relative to `dir`) and of packages. */
function extraModules(a: Sample, b: Sample, dirA: string, dirB: string): { own: string[]; packages: string[] } {
    const name = (file: string, dir: string) => {
        const m = /node_modules\/(.*)$/.exec(file);
        return m ? `package ${m[1]}` : path.relative(dir, file);
    };
    const theirs = new Set(b.modules.map((f) => name(f, dirB)));
    const extra = a.modules
        .filter((f) => f !== USAGE_SCRIPT)
        .map((f) => name(f, dirA))
        .filter((n) => !theirs.has(n));
    return {
        own: extra.filter((n) => !n.startsWith("package ")),
        packages: extra.filter((n) => n.startsWith("package ")).map((n) => n.slice("package ".length)),
    };
}

function lineCount(files: readonly string[], dir: string): number {
    return files.reduce((n, f) => n + fs.readFileSync(path.join(dir, f), "utf8").split("\n").length, 0);
}

async function main(argv: string[]): Promise<number> {
    let values: { runs: string; project: string; "fleet-tenants": string };
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                runs: { type: "string", default: "9" },
                project: { type: "string", default: PROJECT_DIR },
                "fleet-tenants": { type: "string", default: "500" },
            },
            strict: true,
            allowPositionals: false,
        }));
    } catch (e) {
        process.stderr.write(`${printable((e as Error).message)}\n${USAGE}\n`);
        return 2;
    }
    if (!/^[0-9]{1,3}$/.test(values.runs) || Number(values.runs) < 1) {
        process.stderr.write(`--runs must be a whole number from 1 to 999 (got ${JSON.stringify(values.runs.slice(0, 40))})\n${USAGE}\n`);
        return 2;
    }
    const runs = Number(values.runs);
    const fleetTenants = /^[0-9]{1,4}$/.test(values["fleet-tenants"]) ? Number(values["fleet-tenants"]) : NaN;
    if (!(fleetTenants === 0 || (fleetTenants >= 10 && fleetTenants <= 5000))) {
        process.stderr.write(
            `--fleet-tenants must be 0 (no fleet rows) or 10 to 5000 (got ${JSON.stringify(values["fleet-tenants"].slice(0, 40))})\n${USAGE}\n`,
        );
        return 2;
    }
    const projectDir = path.resolve(values.project);
    const keyVaultFile = path.join(projectDir, "tests", "fixtures", "stacks", "Pulumi.keyvault.yaml");
    for (const needed of [
        "index.ts",
        "tsconfig.json",
        "Pulumi.yaml",
        "Pulumi.dev.yaml",
        "bench/minimal/index.ts",
        "bench/floor/index.ts",
        "bench/tsconfig.program.json",
    ]) {
        if (!fs.existsSync(path.join(projectDir, needed))) {
            process.stderr.write(`--project ${JSON.stringify(projectDir)} has no ${needed}: give a copy of the whole project\n${USAGE}\n`);
            return 2;
        }
    }
    if (!fs.existsSync(keyVaultFile)) {
        process.stderr.write(`--project ${JSON.stringify(projectDir)} has no tests/fixtures/stacks/Pulumi.keyvault.yaml\n${USAGE}\n`);
        return 2;
    }
    const minimalDir = path.join(projectDir, "bench", "minimal");
    const floorDir = path.join(projectDir, "bench", "floor");
    const dev = loadStackConfig(projectDir, "dev");
    const keyVault = resolveStackConfig(readProjectFile(projectDir), "keyvault", readFileCapped(keyVaultFile), "Pulumi.keyvault.yaml");
    const load = os.loadavg()[0];

    // The warm-up doubles as the check that both make the same deployment.
    let programRun: Evaluation | undefined;
    let minimalRun: Evaluation | undefined;
    await evaluateOnce(projectDir, dev, undefined, (ev) => (programRun = ev));
    await evaluateOnce(minimalDir, dev, NATIVE, (ev) => (minimalRun = ev));
    const differ = differences(programRun!, minimalRun!);
    if (differ.length > 0) {
        process.stderr.write(
            "bench/minimal no longer makes what the program makes for the dev stack, so the comparison would mean nothing:\n" +
                `${differ.map((d) => `  - ${d}`).join("\n")}\n` +
                "Change bench/minimal/index.ts to register the same resources with the same inputs and make the same invokes.\n",
        );
        return 1;
    }

    const asConfigured = () => evaluateOnce(projectDir, dev, undefined);
    const minimalNative = () => evaluateOnce(minimalDir, dev, NATIVE);
    const overDefault = await measure("as Pulumi.yaml says / minimal under Pulumi's default", runs, {
        subject: asConfigured,
        baseline: () => evaluateOnce(minimalDir, dev, PULUMI_DEFAULT),
    });
    // The floor goes with the native pair, so that each one's distance from it is measured in the same turns.
    const native = await measure("native / minimal native / floor", runs, {
        subject: () => evaluateOnce(projectDir, dev, NATIVE),
        baseline: minimalNative,
        floor: () => evaluateOnce(floorDir, dev, NATIVE),
    });
    const keyVaultRun = await measure("Key Vault / dev", runs, {
        subject: () => evaluateOnce(projectDir, keyVault, undefined),
        baseline: asConfigured,
    });
    const tsc = await measure("tsc", runs, {
        subject: () => tscOnce(path.join(projectDir, "bench", "tsconfig.program.json")),
        baseline: () => tscOnce(path.join(minimalDir, "tsconfig.json")),
    });
    const plan = await measure("npm run plan / minimal native", runs, { subject: planOnce, baseline: minimalNative });

    const ms = (s: Sample) => s.ms;
    const cpu = (s: Sample) => s.cpuMs;
    const rss = (s: Sample) => s.rssKb;

    // The fleet: one run of the large fleet and one of half of it, after a warm-up of a few tenants.
    const fleetRows: Row[] = [];
    let fleetLine = "";
    if (fleetTenants > 0) {
        const concurrency = os.availableParallelism();
        const small = Math.round(fleetTenants / 2);
        const smallDir = fleetProject(projectDir, small);
        const largeDir = fleetProject(projectDir, fleetTenants);
        const warmUp = fleetProject(projectDir, concurrency * 2);
        if (process.stderr.isTTY) process.stderr.write(`\rfleet: ${small} and ${fleetTenants} tenant stacks    `);
        await fleetOnce(warmUp, concurrency * 2, concurrency);
        const smallRun = await fleetOnce(smallDir, small, concurrency);
        const largeRun = await fleetOnce(largeDir, fleetTenants, concurrency);
        if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
        const single = Math.min(...plan.subject.map(ms));
        const perTenant: Measured = {
            subject: [{ ...largeRun, ms: largeRun.ms / fleetTenants }],
            baseline: [{ ...plan.subject[0], ms: single / concurrency }],
        };
        fleetRows.push(
            row(
                `\`npm run fleet -- plan\`, ${fleetTenants} tenants, ${concurrency} at a time: time per tenant ÷ a single plan's ÷ ${concurrency}`,
                perTenant,
                ms,
                seconds,
                "fastest",
                1.2,
            ),
            row(
                `\`npm run fleet -- plan\`: peak RSS of ${fleetTenants} tenants ÷ of ${small}`,
                { subject: [largeRun], baseline: [smallRun] },
                rss,
                mebibytes,
                "median",
                1.1,
            ),
        );
        fleetLine = `The fleet: ${fleetTenants} tenant stacks planned in ${seconds(largeRun.ms)} (${small} in ${seconds(smallRun.ms)}), ${concurrency} at a time.`;
    }
    const rows = [
        row("As Pulumi.yaml says ÷ minimal under Pulumi's default (ts-node, type-checked): time", overDefault, ms, seconds, "fastest", 0.5),
        row("Both native: time", native, ms, seconds, "fastest", 1.1),
        row("Both native: CPU time of the program's process", native, cpu, seconds, "fastest", 1.1),
        row("Both native: peak RSS (median)", native, rss, mebibytes, "median", 1.1),
        row("Key Vault stack ÷ dev stack, as Pulumi.yaml says: time", keyVaultRun, ms, seconds, "fastest", 1.3),
        row("`tsc --noEmit`: time", tsc, ms, seconds, "fastest", 1.3),
        row("`npm run plan -- --stack dev` ÷ one native evaluation of the minimal program: time", plan, ms, seconds, "fastest", 2),
        ...fleetRows,
    ];
    const fastest = (samples: Sample[], value: (s: Sample) => number) => Math.min(...samples.map(value));
    const floorMs = fastest(native.floor, ms);
    const floorCpu = fastest(native.floor, cpu);
    // How far each row's subject (and the baselines) are from the floor, by their fastest runs in this run.
    const distance = (samples: Sample[]) => {
        const t = fastest(samples, ms);
        return `${seconds(t - floorMs)} (${(t / floorMs).toFixed(2)}×)`;
    };
    const { own, packages } = extraModules(native.subject[0], native.baseline[0], projectDir, minimalDir);
    const keyVaultExtra = extraModules(keyVaultRun.subject[0], keyVaultRun.baseline[0], projectDir, projectDir);

    const cpus = os.cpus();
    const out = [
        `exo-cba benchmark: ${runs} runs each (times: the fastest run, memory: the median; median and range beside them), Node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? "CPU"}, ` +
            `load average ${load.toFixed(2)} when it started`,
        "",
        "| Measure | Subject | Against | Ratio | Goal | |",
        "|---|---|---|---|---|---|",
        ...rows.map((r) => r.line),
        "",
        `The floor, bench/floor (the three Pulumi packages loaded, nothing registered), evaluated natively: ${seconds(floorMs)}, ${seconds(floorCpu)} of CPU, ` +
            `${mebibytes(median(native.floor.map(rss)))}. Above it, by the fastest run: the program native ${distance(native.subject)} ` +
            `(CPU ${seconds(fastest(native.subject, cpu) - floorCpu)}), the minimal program native ${distance(native.baseline)} ` +
            `(CPU ${seconds(fastest(native.baseline, cpu) - floorCpu)}); the program as Pulumi.yaml says ${distance(overDefault.subject)}, ` +
            `the minimal program under Pulumi's default ${distance(overDefault.baseline)}, the Key Vault stack ${distance(keyVaultRun.subject)}, ` +
            `\`npm run plan -- --stack dev\` ${distance(plan.subject)}.`,
        `Modules the program's process loads beyond the minimal one's: its own ${own.length} (${lineCount(own, projectDir).toLocaleString("en")} lines: ` +
            `${own.join(", ")}) and ${packages.length === 0 ? "none of any package" : `${packages.length} of packages: ${packages.slice(0, 20).join(", ")}`}.`,
        `The Key Vault stack loads ${keyVaultExtra.own.length} more files of its own (${keyVaultExtra.own.join(", ")}) and ${keyVaultExtra.packages.length} of packages.`,
        ...(fleetLine ? [fleetLine] : []),
    ];
    const above = rows.filter((r) => r.ratio > r.goal);
    out.push(
        "",
        above.length > 0
            ? `Outside the goal: ${above.map((r) => `${r.measure} (${r.ratio.toFixed(2)} > ${r.goal})`).join("; ")}.`
            : "Every ratio is within its goal.",
    );
    process.stdout.write(`${out.join("\n")}\n`);
    return above.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
