/**
 * npm run bench [-- --runs <n>]
 *
 * What the program's structure costs, measured as whole processes on this machine in one run, each
 * next to bench/minimal (the same resources and invokes written out by hand):
 *   evaluate   the stack evaluated by the Pulumi loader, as `pulumi up` starts it (ts-node type-checks
 *              with the project's tsconfig), against the simulated tenant: wall time and peak RSS
 *   tsc        `tsc --noEmit` over the program alone: wall time and peak RSS
 * Medians of --runs runs (default 5), the two programs alternating. Target: both time ratios ≤ 1.2.
 * When a ratio is above, it shows where the time goes: tsc --extendedDiagnostics, the declaration
 * lines each package adds, and the evaluation without type checking.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { contoso } from "../tests/support/contoso.mts";
import { PROJECT_DIR, evaluate } from "../engine/engine.mts";
import { loadStackConfig } from "../engine/stackConfig.mts";

const BENCH_DIR = path.join(PROJECT_DIR, "bench");
const MINIMAL_DIR = path.join(BENCH_DIR, "minimal");
const RSS_SCRIPT = path.join(BENCH_DIR, "rss.cjs");
const TSC = createRequire(path.join(PROJECT_DIR, "package.json")).resolve("typescript/lib/tsc.js");
const TARGET = 1.2;

const PROGRAMS = {
    program: { dir: PROJECT_DIR, tsconfig: path.join(BENCH_DIR, "tsconfig.program.json") },
    minimal: { dir: MINIMAL_DIR, tsconfig: path.join(MINIMAL_DIR, "tsconfig.json") },
} as const;
type Which = keyof typeof PROGRAMS;

interface Sample {
    readonly ms: number;
    /** Peak resident set size of the measured process, in kilobytes. */
    readonly rssKb: number;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "exo-cba-bench-"));
process.on("exit", () => fs.rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

function rssFile(): string {
    return path.join(scratch, `rss-${++counter}`);
}

function readRss(file: string): number {
    return Number(fs.readFileSync(file, "utf8"));
}

/** One evaluation of the dev stack, as `pulumi up` runs it (not a preview). */
async function evaluateOnce(which: Which, typeCheck = true): Promise<Sample> {
    const file = rssFile();
    const started = performance.now();
    const ev = await evaluate({
        config: loadStackConfig(PROJECT_DIR, "dev"),
        tenant: contoso(),
        preview: false,
        projectDir: PROGRAMS[which].dir,
        nodeArgs: ["--require", RSS_SCRIPT],
        env: { EXO_CBA_BENCH_RSS_FILE: file, ...(typeCheck ? {} : { PULUMI_NODEJS_TRANSPILE_ONLY: "true" }) },
        timeoutMs: 300_000,
    });
    const ms = performance.now() - started;
    if (ev.failed) throw new Error(`evaluating ${which} failed:\n${ev.errors.join("\n")}\n${ev.stderr}`);
    return { ms, rssKb: readRss(file) };
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

async function tscOnce(which: Which): Promise<Sample> {
    const file = rssFile();
    const started = performance.now();
    const r = await run(["--require", RSS_SCRIPT, TSC, "--noEmit", "-p", PROGRAMS[which].tsconfig], { EXO_CBA_BENCH_RSS_FILE: file });
    const ms = performance.now() - started;
    if (r.code !== 0) throw new Error(`tsc --noEmit -p ${PROGRAMS[which].tsconfig} failed:\n${r.stdout}${r.stderr}`);
    return { ms, rssKb: readRss(file) };
}

function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Measured {
    readonly program: Sample[];
    readonly minimal: Sample[];
}

/** Alternates the two programs so drift on a shared machine affects both alike; one unrecorded warm-up each. */
async function measure(label: string, runs: number, once: (which: Which) => Promise<Sample>): Promise<Measured> {
    const result: Measured = { program: [], minimal: [] };
    for (let i = -1; i < runs; i++) {
        for (const which of ["program", "minimal"] as const) {
            const sample = await once(which);
            if (i >= 0) result[which].push(sample);
            if (process.stderr.isTTY) process.stderr.write(`\r${label}: ${i < 0 ? "warm-up" : `run ${i + 1}/${runs}`} ${which}    `);
        }
    }
    if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    return result;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const megabytes = (kb: number) => `${Math.round(kb / 1024)} MB`;
const ratio = (a: number, b: number) => (a / b).toFixed(2);

function rows(name: string, m: Measured): { line: string[]; timeRatio: number; rssRatio: number } {
    const t = { p: median(m.program.map((s) => s.ms)), m: median(m.minimal.map((s) => s.ms)) };
    const r = { p: median(m.program.map((s) => s.rssKb)), m: median(m.minimal.map((s) => s.rssKb)) };
    const spread = (s: Sample[]) => `${seconds(Math.min(...s.map((x) => x.ms)))}–${seconds(Math.max(...s.map((x) => x.ms)))}`;
    return {
        line: [
            `| ${name}, time | ${seconds(t.p)} | ${seconds(t.m)} | ${ratio(t.p, t.m)} | ${spread(m.program)} / ${spread(m.minimal)} |`,
            `| ${name}, peak RSS | ${megabytes(r.p)} | ${megabytes(r.m)} | ${ratio(r.p, r.m)} | |`,
        ],
        timeRatio: t.p / t.m,
        rssRatio: r.p / r.m,
    };
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

async function extendedDiagnostics(which: Which): Promise<Map<string, string>> {
    const r = await run([TSC, "--noEmit", "--extendedDiagnostics", "-p", PROGRAMS[which].tsconfig]);
    const found = new Map<string, string>();
    for (const line of r.stdout.split("\n")) {
        const m = /^([A-Za-z ]+):\s+(\S+)/.exec(line);
        if (m && DIAGNOSTICS.includes(m[1])) found.set(m[1], m[2]);
    }
    return found;
}

interface Weight {
    files: number;
    lines: number;
}

/** Files and lines of source and declarations tsc reads, by package ("(project)" for this repository's own). */
async function linesByPackage(which: Which): Promise<Map<string, Weight>> {
    const r = await run([TSC, "--listFilesOnly", "-p", PROGRAMS[which].tsconfig]);
    const weights = new Map<string, Weight>();
    for (const file of r.stdout.split("\n").filter((f) => f.trim() !== "")) {
        const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
        const name = m ? m[1] : "(project)";
        const w = weights.get(name) ?? { files: 0, lines: 0 };
        w.files += 1;
        w.lines += fs.readFileSync(file.trim(), "utf8").split("\n").length;
        weights.set(name, w);
    }
    return weights;
}

async function explainTsc(): Promise<string[]> {
    // One after the other: run side by side they would slow each other down.
    const p = await extendedDiagnostics("program");
    const m = await extendedDiagnostics("minimal");
    const out = ["", "tsc --extendedDiagnostics (program / minimal):"];
    for (const key of DIAGNOSTICS) out.push(`  ${key.padEnd(22)} ${(p.get(key) ?? "?").padStart(12)} / ${m.get(key) ?? "?"}`);
    const lp = await linesByPackage("program");
    const lm = await linesByPackage("minimal");
    const extra = [...lp.entries()]
        .map(([name, w]) => ({ name, files: w.files - (lm.get(name)?.files ?? 0), lines: w.lines - (lm.get(name)?.lines ?? 0) }))
        .filter((e) => e.lines > 0)
        .sort((a, b) => b.lines - a.lines);
    out.push("", "What the program makes tsc read beyond the minimal one, by package:");
    for (const e of extra.slice(0, 8)) out.push(`  ${e.name.padEnd(28)} +${e.files} files, +${e.lines.toLocaleString("en")} lines`);
    return out;
}

async function explainEvaluate(runs: number): Promise<string[]> {
    const m = await measure("evaluate without type checking", runs, (w) => evaluateOnce(w, false));
    const p = median(m.program.map((s) => s.ms));
    const n = median(m.minimal.map((s) => s.ms));
    return [
        "",
        `Evaluation with PULUMI_NODEJS_TRANSPILE_ONLY=true (median of ${runs}): program ${seconds(p)}, minimal ${seconds(n)}, ratio ${ratio(p, n)}.`,
        "The difference to the type-checked figures above is what ts-node's type check costs.",
    ];
}

async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({ args: argv, options: { runs: { type: "string", default: "5" } }, strict: true });
    const runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1) {
        process.stderr.write("usage: npm run bench [-- --runs <n>]   (n ≥ 1; medians need 5 or more to mean much)\n");
        return 2;
    }

    const evaluated = await measure("evaluate", runs, (w) => evaluateOnce(w));
    const checked = await measure("tsc --noEmit", runs, tscOnce);
    const e = rows("evaluate (pulumi up loader)", evaluated);
    const t = rows("tsc --noEmit", checked);

    const cpus = os.cpus();
    const out = [
        `exo-cba benchmark: median of ${runs} runs each, Node ${process.version}, ${cpus.length} × ${cpus[0]?.model.trim() ?? "CPU"}`,
        "",
        "| Measure | Program | Minimal | Ratio | Range (program / minimal) |",
        "|---|---|---|---|---|",
        ...e.line,
        ...t.line,
        "",
        `evaluate time ratio ${e.timeRatio.toFixed(2)}: ${e.timeRatio <= TARGET ? "within" : "ABOVE"} the target of ${TARGET}`,
        `tsc time ratio ${t.timeRatio.toFixed(2)}: ${t.timeRatio <= TARGET ? "within" : "ABOVE"} the target of ${TARGET}`,
    ];
    if (t.timeRatio > TARGET || e.timeRatio > TARGET) out.push(...(await explainTsc()));
    if (e.timeRatio > TARGET) out.push(...(await explainEvaluate(Math.min(runs, 3))));
    process.stdout.write(`${out.join("\n")}\n`);
    return 0;
}

process.exitCode = await main(process.argv.slice(2));
