/**
 * The fleet's one report: a table for a terminal, JSON for scripts, a GitHub job summary, and the exit code,
 * the worst tenant's. Every value a stack's outputs or a tool supplied is printed escaped (one line, no
 * terminal escapes; literal Markdown in the summary), so no tenant can forge another's row.
 */
import { printableJson, printableLine } from "../../components/redaction.ts";
import { markdown } from "../shared/jobSummary.mts";
import type { Command, TenantRow } from "./tenantRows.mts";

export interface FleetReport {
    readonly command: Command;
    readonly checkedAt: string;
    readonly exitCode: number;
    /** How many tenants got each result. */
    readonly counts: Readonly<Record<string, number>>;
    readonly tenants: readonly TenantRow[];
}

/**
 * Each command's exit codes from least to most serious, for "the worst tenant's": an expired certificate
 * outranks one to renew; a verify that found a misconfiguration outranks invalid input, which outranks a
 * token service out of reach and replication still under way.
 */
const SEVERITY: Readonly<Record<Command, readonly number[]>> = {
    status: [0, 1, 2, 3],
    verify: [0, 3, 4, 2, 1],
    plan: [0, 1, 2],
};

export function fleetReport(command: Command, rows: readonly TenantRow[], now: Date): FleetReport {
    const rank = (code: number) => {
        const i = SEVERITY[command].indexOf(code);
        return i === -1 ? SEVERITY[command].length : i; // an unexpected code (a crash) is the worst
    };
    const worst = rows.reduce((w, r) => (rank(r.exitCode) > rank(w) ? r.exitCode : w), 0);
    const counts: Record<string, number> = {};
    for (const r of rows) counts[r.result] = (counts[r.result] ?? 0) + 1;
    return { command, checkedAt: now.toISOString().replace(/\.\d{3}Z$/, "Z"), exitCode: worst, counts, tenants: rows };
}

const cell = (v: string | number | undefined, width = 40) => (v === undefined ? "-" : printableLine(String(v), width));

function columns(r: TenantRow): string[] {
    return [
        cell(r.stack),
        cell(r.result),
        cell(r.tenant),
        cell(r.cloud, 10),
        cell(r.model),
        r.signIn === undefined ? "-" : cell(r.signIn.join(", ")),
        cell(r.daysLeft),
        cell(r.generation),
    ];
}

const HEADINGS = ["Stack", "Result", "Tenant", "Cloud", "Model", "Sign-in", "Days left", "Generation"];

export function renderText(report: FleetReport): string {
    const rows = report.tenants.map(columns);
    const widths = HEADINGS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: readonly string[]) =>
        cells
            .map((c, i) => c.padEnd(widths[i]))
            .join("  ")
            .trimEnd();
    const details = report.tenants.filter((r) => r.exitCode !== 0).map((r) => `  ${cell(r.stack)}: ${printableLine(r.detail, 300)}`);
    return [
        `Fleet ${report.command}, ${report.tenants.length} tenant stacks, ${report.checkedAt}: ${summaryWords(report)}`,
        "",
        line(HEADINGS),
        ...rows.map(line),
        ...(details.length === 0 ? [] : ["", "Tenants that need attention:", ...details]),
        "",
    ].join("\n");
}

export function renderJson(report: FleetReport): string {
    return `${printableJson(report, 2)}\n`;
}

export function renderSummary(report: FleetReport): string {
    const icon = report.exitCode === 0 ? "✅" : report.tenants.some((r) => r.exitCode !== 0 && r.exitCode !== 1) ? "❌" : "⚠️";
    const rows = report.tenants.map((r) => `| ${columns(r).map(markdown).join(" | ")} | ${markdown(r.exitCode === 0 ? "" : r.detail)} |`);
    return [
        `### ${icon} Fleet ${report.command}: ${report.tenants.length} tenant stacks (${report.checkedAt.slice(0, 10)})`,
        "",
        markdown(summaryWords(report)),
        "",
        `| ${[...HEADINGS, "Detail"].join(" | ")} |`,
        `|${"---|".repeat(HEADINGS.length + 1)}`,
        ...rows,
        "",
    ].join("\n");
}

function summaryWords(report: FleetReport): string {
    const parts = Object.entries(report.counts)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([result, n]) => `${n} ${result}`);
    return parts.length === 0 ? "no tenant stacks" : parts.join(", ");
}
