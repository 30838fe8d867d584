/**
 * npm run check-expiry -- (--stack <name> | --outputs-file <file|->) [--renew-before-days <n>] [--json]
 *
 * Days left for every certificate registered by a stack, judged on the active one. With
 * GITHUB_STEP_SUMMARY set (GitHub Actions), a Markdown summary is appended to that file; when it
 * cannot be, a warning says so and the exit code is still the result's.
 */
import { printable } from "../../components/redaction.ts";
import { RENEW_BEFORE_DAYS_MAX, SETTINGS } from "../../components/settings.ts";
import { EXIT_INVALID_INPUT, OUTPUT_OPTIONS, commandLine, outputOptionsUsage, runTool, stackName } from "../shared/cli.mts";
import { EXPIRY_EXIT, checkExpiry, renderJson, renderSummary, renderText, renewWindow } from "./expiry.mts";
import { appendSummary } from "../shared/jobSummary.mts";
import { readOutputs } from "../shared/stackOutputs.mts";

const USAGE = `usage: npm run check-expiry -- (--stack <name> | --outputs-file <file|->) [--renew-before-days <n>] [--json]

${outputOptionsUsage(false)}  --renew-before-days <n>   the renewal window, 0 to ${RENEW_BEFORE_DAYS_MAX} (default: the stack's renewBeforeDays output, else ${SETTINGS.renewBeforeDays.default})
  --json                    print the result as JSON

exit codes: ${EXPIRY_EXIT.ok} ok, ${EXPIRY_EXIT.renew} renewal due, ${EXIT_INVALID_INPUT} invalid input, ${EXPIRY_EXIT.expired} expired
`;

async function main(argv: string[]): Promise<number> {
    const args = commandLine(
        argv,
        { ...OUTPUT_OPTIONS, "renew-before-days": { type: "string" }, json: { type: "boolean", default: false } },
        USAGE,
    );
    if (!args) return 0;
    const window = args["renew-before-days"] === undefined ? undefined : renewWindow(args["renew-before-days"]);
    const stack = args.stack === undefined ? undefined : stackName(args.stack);
    // Expiry needs no secret: the CLI is not asked to reveal the key.
    const outputs = await readOutputs({ stack, outputsFile: args["outputs-file"], secrets: false });
    const report = checkExpiry(outputs, stack ?? "(from outputs file)", new Date(), window);
    process.stdout.write(args.json ? renderJson(report) : renderText(report));
    const summary = process.env["GITHUB_STEP_SUMMARY"];
    const warning = summary ? appendSummary(summary, renderSummary(report)) : undefined;
    if (warning) process.stderr.write(`warning: ${printable(warning)}\n`);
    return EXPIRY_EXIT[report.result];
}

await runTool(main);
