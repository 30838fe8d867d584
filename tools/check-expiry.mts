/**
 * npm run check-expiry -- --stack <name> | --outputs-file <file|-> [--renew-before-days <n>] [--json]
 *
 * Days left for every certificate registered by a stack, judged on the active one:
 *   exit 0  the active certificate is good for longer than the renewal window
 *   exit 1  it expires within the window: rotate now
 *   exit 2  it has expired: unattended scripts can no longer sign in
 *   exit 3  the outputs could not be read or the arguments are wrong
 * With GITHUB_STEP_SUMMARY set (GitHub Actions), a Markdown summary is appended to that file.
 */
import * as fs from "node:fs";
import { rfc3339 } from "../components/certificate.ts";
import { DEFAULT_RENEW_BEFORE_DAYS, type ExpiryState, describeExpiry, expiryStatus } from "../components/expiry.ts";
import { commandLine } from "./lib/cli.mts";
import { OutputsError, type Outputs, readOutputs, stringOutput } from "./lib/stackOutputs.mts";

const EXIT: Readonly<Record<ExpiryState | "input", number>> = { ok: 0, renew: 1, expired: 2, input: 3 };

const USAGE = `usage: npm run check-expiry -- (--stack <name> | --outputs-file <file|->) [--renew-before-days <n>] [--json]

  --stack <name>             read the outputs with \`pulumi stack output --json --stack <name>\` (no secrets needed)
  --outputs-file <file|->    read that JSON from a file, or from standard input with -
  --renew-before-days <n>    the renewal window (default: the stack's renewBeforeDays output, else ${DEFAULT_RENEW_BEFORE_DAYS})
  --json                     print the result as JSON
Exit codes: 0 ok, 1 renewal due, 2 expired, 3 unusable input.
`;

interface Checked {
    readonly name: string;
    readonly thumbprint: string;
    readonly notAfter: string;
    readonly active: boolean;
    readonly daysLeft: number;
    readonly state: ExpiryState;
}

export interface ExpiryReport {
    readonly stack: string;
    readonly checkedAt: string;
    readonly renewBeforeDays: number;
    readonly result: ExpiryState;
    readonly message: string;
    readonly certificates: Checked[];
}

/** Judges a stack's certificates at `now`; pure apart from its inputs. */
export function checkExpiry(outputs: Outputs, stack: string, now: Date, renewBeforeDays?: number): ExpiryReport {
    const windowDays = renewBeforeDays ?? numberOutput(outputs, "renewBeforeDays") ?? DEFAULT_RENEW_BEFORE_DAYS;
    const listed = certificateList(outputs);
    const certificates = listed.map((c) => {
        const status = expiryStatus(c.notAfter, now, c.active ? windowDays : 0);
        return { ...c, daysLeft: status.daysLeft, state: status.state };
    });
    const active = certificates.find((c) => c.active) ?? certificates[certificates.length - 1];
    const status = expiryStatus(active.notAfter, now, windowDays);
    const retire = certificates.filter((c) => !c.active && c.state === "expired").map((c) => `"${c.name}"`);
    const message =
        describeExpiry(`The active certificate "${active.name}" (thumbprint ${active.thumbprint})`, status) +
        (retire.length > 0 ? ` Expired older certificate${retire.length > 1 ? "s" : ""} ${retire.join(", ")} can be retired.` : "");
    return {
        stack,
        checkedAt: rfc3339(now),
        renewBeforeDays: windowDays,
        result: status.state,
        message,
        certificates,
    };
}

/** The `certificates` output, or for stacks from before rotation the single active certificate. */
function certificateList(outputs: Outputs): Omit<Checked, "daysLeft" | "state">[] {
    const list = outputs["certificates"];
    if (list === undefined) {
        return [
            {
                name: "initial",
                thumbprint: stringOutput(outputs, "thumbprint"),
                notAfter: stringOutput(outputs, "certificateNotAfter"),
                active: true,
            },
        ];
    }
    if (!Array.isArray(list) || list.length === 0) throw new OutputsError("output certificates should be a non-empty list");
    return list.map((item: unknown, i) => {
        const c = (item ?? {}) as Record<string, unknown>;
        if (typeof c["name"] !== "string" || typeof c["notAfter"] !== "string" || Number.isNaN(Date.parse(c["notAfter"]))) {
            throw new OutputsError(`output certificates item ${i} lacks a name or a valid notAfter`);
        }
        return {
            name: c["name"],
            thumbprint: typeof c["thumbprint"] === "string" ? c["thumbprint"] : "",
            notAfter: c["notAfter"],
            active: c["active"] === true,
        };
    });
}

function numberOutput(outputs: Outputs, name: string): number | undefined {
    const v = outputs[name];
    return typeof v === "number" ? v : undefined;
}

function renderText(r: ExpiryReport): string {
    const lines = [`Certificates of stack ${r.stack}, checked ${r.checkedAt} (renewal window ${r.renewBeforeDays} days):`];
    const width = Math.max(...r.certificates.map((c) => c.name.length + (c.active ? 9 : 0)));
    for (const c of r.certificates) {
        const name = c.active ? `${c.name} (active)` : c.name;
        const state = c.state === "ok" ? "ok" : c.state === "renew" ? "RENEW" : "EXPIRED";
        lines.push(`  ${name.padEnd(width)}  ${c.thumbprint}  until ${c.notAfter}  ${String(c.daysLeft).padStart(5)} days  ${state}`);
    }
    lines.push("", r.message);
    return `${lines.join("\n")}\n`;
}

function renderSummary(r: ExpiryReport): string {
    const icon = r.result === "ok" ? "✅" : r.result === "renew" ? "⚠️" : "❌";
    const rows = r.certificates.map(
        (c) => `| ${c.name}${c.active ? " (active)" : ""} | \`${c.thumbprint}\` | ${c.notAfter} | ${c.daysLeft} | ${c.state} |`,
    );
    return [
        `### ${icon} Certificate expiry: tenant stack \`${r.stack}\` (${r.checkedAt.slice(0, 10)})`,
        "",
        r.message,
        "",
        "| Certificate | Thumbprint | Valid until | Days left | State |",
        "|---|---|---|---|---|",
        ...rows,
        "",
    ].join("\n");
}

async function main(argv: string[]): Promise<number> {
    const parsed = commandLine(
        argv,
        {
            stack: { type: "string" },
            "outputs-file": { type: "string" },
            "renew-before-days": { type: "string" },
            json: { type: "boolean", default: false },
        },
        USAGE,
        EXIT.input,
    );
    if ("exit" in parsed) return parsed.exit;
    const args = parsed.values;
    const windowText = args["renew-before-days"];
    if (windowText !== undefined && !/^[0-9]+$/.test(windowText)) {
        process.stderr.write(`error: --renew-before-days must be a whole number of days (got ${JSON.stringify(windowText)})\n`);
        return EXIT.input;
    }
    let report: ExpiryReport;
    try {
        // Expiry needs no secret: the CLI is not asked to reveal the key.
        const outputs = await readOutputs({ stack: args.stack, outputsFile: args["outputs-file"], secrets: false });
        report = checkExpiry(
            outputs,
            args.stack ?? "(from outputs file)",
            new Date(),
            windowText === undefined ? undefined : Number(windowText),
        );
    } catch (e) {
        if (!(e instanceof OutputsError)) throw e;
        process.stderr.write(`error: ${e.message}\n`);
        return EXIT.input;
    }
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
    const summary = process.env["GITHUB_STEP_SUMMARY"];
    if (summary) fs.appendFileSync(summary, renderSummary(report));
    return EXIT[report.result];
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
