/**
 * npm run fleet -- (status | verify | plan) [--outputs-dir <dir>] [--key-dir <dir>] [--concurrency <n>] [--json]
 *
 * Every tenant stack (the list `npm run stacks` makes) in one report: a few at a time, each tenant on its
 * own (a tenant that fails is a row, never the end of the run), progress on a terminal, a table or JSON,
 * a GitHub job summary under Actions, and the worst tenant's exit code.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { printable, printableLine } from "../../components/redaction.ts";
import { PROJECT_DIR } from "../../engine/engine.mts";
import { EXIT_INTERNAL, EXIT_INVALID_INPUT, UserError, commandLineWithArguments, refuseSharedPath, runTool } from "../shared/cli.mts";
import { appendSummary } from "../shared/jobSummary.mts";
import { readShard, shardOf, tenantStacks } from "../stacks/tenantStacks.mts";
import { parseDuration } from "../verify/retry.mts";
import { fleetReport, renderJson, renderSummary, renderText } from "./fleetReport.mts";
import { type Command, type TenantRow, inPool, planRow, statusRow, verifyResultRow, verifyRow } from "./tenantRows.mts";

const COMMANDS: readonly Command[] = ["status", "verify", "plan"];
const DEFAULT_CONCURRENCY = 4;
const MAX_CONCURRENCY = 32;

const USAGE = `usage: npm run fleet -- (status | verify | plan) [options]

Every tenant stack (each Pulumi.<stack>.yaml that sets azuread:tenantId: npm run stacks) in one report.

  status                    each stack's outputs: tenant, cloud, model (own application, home, customer of a
                            home, managed identities only), sign-in modes, the active certificate's days left
                            and generation; the result is check-expiry's
  verify                    npm run verify for each stack: a real sign-in and Exchange cmdlet per tenant
  plan                      npm run plan for each stack, offline

options:
  --project-dir <dir>       the Pulumi project whose stack files list the tenants (default: this one)
  --rotating                only the stacks whose certificates are rotated in them (npm run stacks -- --rotating)
  --shard <k/n>             only the k-th of n parts of the list (npm run stacks -- --shard)
  --outputs-dir <dir>       read each stack's outputs from <dir>/<stack>.json (pulumi stack output --json
                            [--show-secrets]) instead of the Pulumi CLI (status, verify)
  --key-dir <dir>           verify: each stack's key from <dir>/<stack>.pem or .pfx (PFX password in
                            EXO_CBA_PFX_PASSWORD); a customer stack's from its home's file, <dir>/<home stack>.pem
  --results-dir <dir>       verify: report the results verify wrote elsewhere (<dir>/<stack>.json, from
                            npm run verify -- --json, one per tenant's deploy job) instead of running it
  --max-wait <duration>     verify: how long each tenant may wait out replication (default 0: one attempt)
  --concurrency <n>         tenants at a time, 1 to ${MAX_CONCURRENCY} (default ${DEFAULT_CONCURRENCY})
  --json                    print the report as JSON

Under GitHub Actions (GITHUB_STEP_SUMMARY) the report is also the job's summary.

exit codes: the worst tenant's, as its own tool gives it (status: 0 ok, 1 renewal due, 2 outputs unusable,
3 expired; verify: verify's; plan: plan's); ${EXIT_INVALID_INPUT} for invalid options
`;

async function main(argv: string[]): Promise<number> {
    const args = commandLineWithArguments(
        argv,
        {
            "project-dir": { type: "string" },
            rotating: { type: "boolean", default: false },
            shard: { type: "string" },
            "outputs-dir": { type: "string" },
            "key-dir": { type: "string" },
            "results-dir": { type: "string" },
            "max-wait": { type: "string", default: "0" },
            concurrency: { type: "string", default: String(DEFAULT_CONCURRENCY) },
            json: { type: "boolean", default: false },
        },
        USAGE,
        { max: 1, what: "the command (status, verify or plan)" },
    );
    if (!args) return 0;
    const command = args.positionals[0];
    if (command === undefined || !(COMMANDS as readonly string[]).includes(command)) {
        throw new UserError(`name one command: ${COMMANDS.join(", ")}${command === undefined ? "" : ` (got ${printable(command)})`}`);
    }
    const o = args.values;
    const concurrency = /^[0-9]{1,3}$/.test(o.concurrency) ? Number(o.concurrency) : NaN;
    if (!(concurrency >= 1 && concurrency <= MAX_CONCURRENCY)) {
        throw new UserError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY} (got ${printable(o.concurrency)})`);
    }
    if (parseDuration(o["max-wait"]) === undefined)
        throw new UserError(`--max-wait must be a duration such as 0, 30s or 10m (got ${printable(o["max-wait"])})`);
    const outputsDir = directory(o["outputs-dir"], "--outputs-dir");
    const keyDir = directory(o["key-dir"], "--key-dir");
    const resultsDir = directory(o["results-dir"], "--results-dir");
    if (resultsDir !== undefined && (command !== "verify" || (outputsDir ?? keyDir) !== undefined)) {
        throw new UserError(
            "--results-dir is for verify alone: it reports results instead of running verify, so no --outputs-dir or --key-dir",
        );
    }
    if (command === "plan" && (outputsDir ?? keyDir) !== undefined)
        throw new UserError("plan reads stack files, not outputs or keys: drop --outputs-dir and --key-dir");

    const projectDir = directory(o["project-dir"], "--project-dir") ?? PROJECT_DIR;
    const { stacks: all, homes } = tenantStacks(projectDir);
    const rotating = o.rotating ? all.filter((s) => !Object.hasOwn(homes, s)) : all;
    const stacks = o.shard === undefined ? rotating : shardOf(rotating, readShard(o.shard, "--shard"));
    const now = new Date();
    const progress = new Progress(stacks.length);
    const rows = await inPool(
        stacks,
        concurrency,
        (stack) =>
            isolated(stack, (): Promise<TenantRow> => {
                const place = { outputsDir };
                if (command === "status") return statusRow(stack, place, now);
                if (command === "plan") return planRow(stack, projectDir);
                if (resultsDir !== undefined) return Promise.resolve(verifyResultRow(stack, resultsDir));
                const keyFile = keyDir === undefined ? undefined : keyFileOf(keyDir, homes[stack] ?? stack);
                return verifyRow(stack, place, { keyFile, maxWait: o["max-wait"] });
            }),
        () => progress.tick(),
    );
    progress.end();
    const report = fleetReport(command as Command, rows, now);
    process.stdout.write(o.json ? renderJson(report) : renderText(report));
    // Under Actions every tenant that needs attention is an annotation of its own, as a job per tenant was.
    if (process.env["GITHUB_ACTIONS"] === "true") for (const r of report.tenants) process.stderr.write(annotation(r));
    const summary = process.env["GITHUB_STEP_SUMMARY"];
    const warning = summary ? appendSummary(summary, renderSummary(report)) : undefined;
    if (warning) process.stderr.write(`warning: ${printable(warning)}\n`);
    return report.exitCode;
}

/**
 * A workflow command for a tenant that is not ok: an error, or a warning for a renewal that is only due.
 * Escaped as the runner reads them (actions/toolkit command.ts: %, CR, LF in the message; also : and , in properties).
 */
function annotation(r: TenantRow): string {
    if (r.exitCode === 0) return "";
    const data = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
    const property = (s: string) => data(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
    const level = r.result === "renew" ? "warning" : "error";
    return `::${level} title=${property(`${r.stack}: ${r.result}`)}::${data(printableLine(r.detail, 500))}\n`;
}

/** Whatever goes wrong with one tenant, even what no tool foresaw, is that tenant's row: the others go on. */
async function isolated(stack: string, work: () => Promise<TenantRow>): Promise<TenantRow> {
    try {
        return await work();
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        return {
            stack,
            result: "failed",
            exitCode: e instanceof UserError ? e.exitCode : EXIT_INTERNAL,
            detail: `unexpected failure: ${message}`,
        };
    }
}

function directory(value: string | undefined, flag: string): string | undefined {
    if (value === undefined) return undefined;
    const dir = path.resolve(value);
    refuseSharedPath(dir, `${flag} ${value}`);
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`${flag} ${printable(value)} is not a directory`);
    return dir;
}

/** The key file for a stack (a customer's: its home's, by the home's stack name), if the directory has one. */
function keyFileOf(dir: string, stack: string): string | undefined {
    const name = stack.split("/").at(-1)!;
    return [".pem", ".pfx"].map((ext) => path.join(dir, `${name}${ext}`)).find((f) => fs.existsSync(f));
}

/** "3/12 tenants" on standard error, on a terminal only: a log gets the report alone. */
class Progress {
    private done = 0;
    private readonly total: number;
    private readonly shown = process.stderr.isTTY === true;

    constructor(total: number) {
        this.total = total;
    }

    tick(): void {
        this.done++;
        if (this.shown) process.stderr.write(`\r${this.done}/${this.total} tenants`);
    }

    end(): void {
        if (this.shown && this.total > 0) process.stderr.write("\n");
    }
}

await runTool(main);
