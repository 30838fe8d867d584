/**
 * npm run bench [-- --runs <n>] [-- --project <dir>]
 *
 * What the program's structure costs, measured as whole processes on this machine, each next to
 * bench/minimal (the same resources, inputs and invokes written out by hand):
 *   evaluate, type-checked    the dev stack evaluated by the Pulumi loader as `pulumi up` starts it
 *                             (ts-node type-checks with the project's tsconfig), against the simulated tenant
 *   evaluate, transpile-only  the same with PULUMI_NODEJS_TRANSPILE_ONLY=true (ts-node only transpiles)
 *   tsc                       `tsc --noEmit` over the program alone
 * For each: wall time and the peak RSS of the measured process, over --runs runs (default 9; times by the
 * fastest run, memory by the median, see Estimate below), the two
 * programs alternating (and which of them goes first alternating too) after one warm-up each. Every ratio
 * (program / minimal) must be at most 1.2: the exit code is 1 when one is above, 2 for a wrong argument.
 * docs/performance.md explains the figures.
 *
 * Before measuring, one evaluation of each is compared: both must register the same custom resources with
 * the same inputs, make the same invokes and export the same stack outputs, or the comparison means
 * nothing and the bench stops.
 * --project measures a copy of the project instead (index.ts, components/, tsconfig.json, package.json,
 * Pulumi.yaml, Pulumi.dev.yaml, bench/minimal/, bench/tsconfig.program.json and a node_modules), to try a
 * change to the program before making it.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type Evaluation, PROJECT_DIR, evaluate } from "../engine/engine.mts";
import { makeTemporaryDirectory } from "../tools/lib/privatePaths.cjs";
import { loadStackConfig } from "../engine/stackConfig.mts";
import { type Value, isSecret } from "../engine/values.mts";
import { printable } from "../components/redaction.ts";
import { contoso } from "../tests/support/contoso.mts";

const USAGE_SCRIPT = path.join(PROJECT_DIR, "bench", "usage.cjs");
const TSC = createRequire(path.join(PROJECT_DIR, "package.json")).resolve("typescript/lib/tsc.js");
const TARGET = 1.2;
const USAGE = "usage: npm run bench [-- --runs <n>] [-- --project <dir>]   (n from 1 to 999, default 9; fewer than 5 mean little)";

type Which = "program" | "minimal";

interface Subject {
    /** The directory Pulumi runs the program in. */
    readonly dir: string;
    /** The tsconfig tsc checks it with: the program's files and what they import. */
    readonly tsconfig: string;
}

interface Sample {
    readonly ms: number;
    /** User and system CPU time of the measured process, all its threads. */
    readonly cpuMs: number;
    /** Peak resident set size of the measured process, in kilobytes. */
    readonly rssKb: number;
    /** The CommonJS modules the process had loaded when it exited. */
    readonly modules: readonly string[];
}

interface Measured {
    readonly program: Sample[];
    readonly minimal: Sample[];
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

class Bench {
    readonly projectDir: string;
    readonly subjects: Readonly<Record<Which, Subject>>;
    /** The last evaluation of each, to compare what they register. */
    readonly lastEvaluation: Partial<Record<Which, Evaluation>> = {};

    constructor(projectDir: string) {
        this.projectDir = projectDir;
        const minimal = path.join(projectDir, "bench", "minimal");
        this.subjects = {
            program: { dir: projectDir, tsconfig: path.join(projectDir, "bench", "tsconfig.program.json") },
            minimal: { dir: minimal, tsconfig: path.join(minimal, "tsconfig.json") },
        };
    }

    /** One evaluation of the dev stack as `pulumi up` runs it (not a preview). */
    evaluateOnce(which: Which, typeCheck: boolean): Promise<Sample> {
        return withUsage(async (env) => {
            const ev = await evaluate({
                config: loadStackConfig(this.projectDir, "dev"),
                tenant: contoso(),
                preview: false,
                projectDir: this.subjects[which].dir,
                nodeArgs: ["--require", USAGE_SCRIPT],
                env: { ...env, ...(typeCheck ? {} : { PULUMI_NODEJS_TRANSPILE_ONLY: "true" }) },
                timeoutMs: 300_000,
            });
            if (ev.failed) throw new Error(`evaluating ${which} failed:\n${ev.errors.join("\n")}\n${ev.stderr}`);
            this.lastEvaluation[which] = ev;
        });
    }

    tscOnce(which: Which): Promise<Sample> {
        const tsconfig = this.subjects[which].tsconfig;
        return withUsage(async (env) => {
            const r = await run(["--require", USAGE_SCRIPT, TSC, "--noEmit", "-p", tsconfig], env);
            if (r.code !== 0) throw new Error(`tsc --noEmit -p ${tsconfig} failed:\n${r.stdout}${r.stderr}`);
        });
    }
}

function run(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, {
            cwd: PROJECT_DIR,
            env: { ...process.env, ...env },
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
 * Alternates the two programs, and which of them goes first, so that drift on a shared machine affects
 * both alike; `warmUp` adds one unrecorded run of each first.
 */
async function measure(label: string, runs: number, warmUp: boolean, once: (which: Which) => Promise<Sample>): Promise<Measured> {
    const result: Measured = { program: [], minimal: [] };
    for (let i = warmUp ? -1 : 0; i < runs; i++) {
        const order: Which[] = i % 2 === 0 ? ["program", "minimal"] : ["minimal", "program"];
        for (const which of order) {
            const sample = await once(which);
            if (i >= 0) result[which].push(sample);
            if (process.stderr.isTTY) process.stderr.write(`\r${label}: ${i < 0 ? "warm-up" : `run ${i + 1}/${runs}`} ${which}    `);
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

interface Row {
    readonly measure: string;
    readonly line: string;
    readonly ratio: number;
}

/**
 * How a measure's runs are summed up for the ratio. Times: the fastest run. The work is the same in every
 * run and other load on a shared machine only ever adds to it, so the fastest run is the one least
 * disturbed (medians here moved by ±0.1 in the ratio between two runs of the same code). Memory: the median.
 */
type Estimate = "fastest" | "median";

/** A table row: the estimate with median and range, and the ratio of the estimates against the target. */
function row(measure: string, m: Measured, value: (s: Sample) => number, format: (v: number) => string, estimate: Estimate): Row {
    const summary = (v: number[]) => (estimate === "fastest" ? Math.min(...v) : median(v));
    const cell = (samples: Sample[]) => {
        const v = samples.map(value);
        return `${format(summary(v))} (median ${format(median(v))}, ${format(Math.min(...v))}–${format(Math.max(...v))})`;
    };
    // Compared as printed, to two decimals: the target is stated that way.
    const ratio = Math.round((summary(m.program.map(value)) / summary(m.minimal.map(value))) * 100) / 100;
    const verdict = ratio <= TARGET ? "within" : "**above**";
    return { measure, ratio, line: `| ${measure} | ${cell(m.program)} | ${cell(m.minimal)} | ${ratio.toFixed(2)} | ${verdict} |` };
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

/**
 * The modules the program's process loaded and the minimal one's did not: the program's own files (relative
 * to its directory) and those of packages (relative to node_modules).
 */
function extraModules(program: Sample, minimal: Sample, bench: Bench): { own: string[]; packages: string[] } {
    const name = (file: string, dir: string) => {
        const m = /node_modules\/(.*)$/.exec(file);
        return m ? `package ${m[1]}` : path.relative(dir, file);
    };
    const theirs = new Set(minimal.modules.map((f) => name(f, bench.subjects.minimal.dir)));
    const extra = program.modules
        .filter((f) => f !== USAGE_SCRIPT)
        .map((f) => name(f, bench.subjects.program.dir))
        .filter((n) => !theirs.has(n));
    return {
        own: extra.filter((n) => !n.startsWith("package ")),
        packages: extra.filter((n) => n.startsWith("package ")).map((n) => n.slice("package ".length)),
    };
}

function lineCount(files: readonly string[], dir: string): number {
    return files.reduce((n, f) => n + fs.readFileSync(path.join(dir, f), "utf8").split("\n").length, 0);
}

/** The counters of `tsc --extendedDiagnostics` worth comparing. */
const DIAGNOSTICS = [
    "Files",
    "Lines of Library",
    "Lines of Definitions",
    "Lines of TypeScript",
    "Types",
    "Instantiations",
    "Memory used",
    "Check time",
    "Total time",
];

async function extendedDiagnostics(tsconfig: string): Promise<Map<string, string>> {
    const r = await run([TSC, "--noEmit", "--extendedDiagnostics", "-p", tsconfig]);
    const found = new Map<string, string>();
    for (const line of r.stdout.split("\n")) {
        const m = /^([A-Za-z ]+):\s+(\S+)/.exec(line);
        if (m && DIAGNOSTICS.includes(m[1])) found.set(m[1], m[2]);
    }
    return found;
}

/** Where type-checking spends the difference: printed when a ratio is above the target. */
async function explainTypeCheck(bench: Bench): Promise<string[]> {
    // One after the other: run side by side they would slow each other down.
    const p = await extendedDiagnostics(bench.subjects.program.tsconfig);
    const m = await extendedDiagnostics(bench.subjects.minimal.tsconfig);
    const out = ["", "tsc --extendedDiagnostics (program / minimal):"];
    for (const key of DIAGNOSTICS) out.push(`  ${key.padEnd(22)} ${(p.get(key) ?? "?").padStart(12)} / ${m.get(key) ?? "?"}`);
    return out;
}

async function main(argv: string[]): Promise<number> {
    let values: { runs: string; project: string };
    try {
        ({ values } = parseArgs({
            args: argv,
            options: { runs: { type: "string", default: "9" }, project: { type: "string", default: PROJECT_DIR } },
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
    const projectDir = path.resolve(values.project);
    for (const needed of ["index.ts", "tsconfig.json", "Pulumi.dev.yaml", "bench/minimal/index.ts", "bench/tsconfig.program.json"]) {
        if (!fs.existsSync(path.join(projectDir, needed))) {
            process.stderr.write(`--project ${JSON.stringify(projectDir)} has no ${needed}: give a copy of the whole project\n${USAGE}\n`);
            return 2;
        }
    }
    const bench = new Bench(projectDir);
    const load = os.loadavg()[0];

    // The warm-up of the type-checked evaluation doubles as the check that both make the same deployment.
    await bench.evaluateOnce("program", true);
    await bench.evaluateOnce("minimal", true);
    const differ = differences(bench.lastEvaluation.program!, bench.lastEvaluation.minimal!);
    if (differ.length > 0) {
        process.stderr.write(
            "bench/minimal no longer makes what the program makes for the dev stack, so the comparison would mean nothing:\n" +
                `${differ.map((d) => `  - ${d}`).join("\n")}\n` +
                "Change bench/minimal/index.ts to register the same resources with the same inputs and make the same invokes.\n",
        );
        return 1;
    }
    const typeChecked = await measure("evaluate, type-checked", runs, false, (w) => bench.evaluateOnce(w, true));
    const transpileOnly = await measure("evaluate, transpile-only", runs, true, (w) => bench.evaluateOnce(w, false));
    const tsc = await measure("tsc --noEmit", runs, true, (w) => bench.tscOnce(w));

    const ms = (s: Sample) => s.ms;
    const rss = (s: Sample) => s.rssKb;
    const rows = [
        row("Evaluate, type-checked: time (fastest run)", typeChecked, ms, seconds, "fastest"),
        row("Evaluate, type-checked: peak RSS (median)", typeChecked, rss, mebibytes, "median"),
        row("Evaluate, transpile-only: time (fastest run)", transpileOnly, ms, seconds, "fastest"),
        row("Evaluate, transpile-only: peak RSS (median)", transpileOnly, rss, mebibytes, "median"),
        row("`tsc --noEmit`: time (fastest run)", tsc, ms, seconds, "fastest"),
        row("`tsc --noEmit`: peak RSS (median)", tsc, rss, mebibytes, "median"),
    ];
    const cpuRatio = (m: Measured) => (Math.min(...m.program.map((s) => s.cpuMs)) / Math.min(...m.minimal.map((s) => s.cpuMs))).toFixed(2);
    const { own, packages } = extraModules(transpileOnly.program[0], transpileOnly.minimal[0], bench);

    const cpus = os.cpus();
    const out = [
        `exo-cba benchmark: ${runs} runs each (times: the fastest run, memory: the median; median and range beside them), Node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? "CPU"}, ` +
            `load average ${load.toFixed(2)} when it started`,
        "",
        `| Measure | Program | Minimal | Ratio | Target ≤ ${TARGET} |`,
        "|---|---|---|---|---|",
        ...rows.map((r) => r.line),
        "",
        `CPU time of the measured process (user + system, all threads), program / minimal: evaluate type-checked ${cpuRatio(typeChecked)}, ` +
            `transpile-only ${cpuRatio(transpileOnly)}, tsc ${cpuRatio(tsc)} (least of each). Other load on the machine moves it less than wall time.`,
        `Modules the program's process loads beyond the minimal one's: its own ${own.length} (${lineCount(own, projectDir).toLocaleString("en")} lines: ` +
            `${own.join(", ")}) and ${packages.length === 0 ? "none of any package" : `${packages.length} of packages: ${packages.slice(0, 20).join(", ")}`}.`,
    ];
    const above = rows.filter((r) => r.ratio > TARGET);
    if (above.length > 0) {
        out.push(...(await explainTypeCheck(bench)));
        out.push("", `Above the target of ${TARGET}: ${above.map((r) => `${r.measure} (${r.ratio.toFixed(2)})`).join(", ")}.`);
    } else {
        out.push("", `Every ratio is within the target of ${TARGET}.`);
    }
    process.stdout.write(`${out.join("\n")}\n`);
    return above.length > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
