/**
 * npm run verify -- (--stack <name> | --outputs-file <file|->) [--key-file <pem|pfx>] [--json] [--max-wait 15m]
 *
 * Proves that a deployed stack's certificate really gets an app-only Exchange Online token carrying
 * Exchange.ManageAsApp and the configured directory roles, waiting out replication delay, and
 * explains what to fix when it does not. The library is tools/lib/verify/ (command.mts lists its parts).
 */
import { OUTPUT_OPTIONS, UserError, commandLine, outputOptionsUsage, runTool } from "./lib/cli.mts";
import { verifyRequest, verifyStack } from "./lib/verify/command.mts";
import { DEFAULT_AUTHORITY_HOST, DEFAULT_RESOURCE } from "./lib/verify/entra.mts";
import { PFX_PASSWORD_VARIABLE } from "./lib/verify/keys.mts";
import { EXIT_CODES } from "./lib/verify/outcome.mts";
import { renderInvalidInput, renderJson, renderProgress, renderText } from "./lib/verify/render.mts";
import { DEFAULT_FIRST_DELAY_MS, DEFAULT_MAX_WAIT_MS, MAX_DELAY_MS, formatDuration } from "./lib/verify/retry.mts";

const USAGE = `usage: npm run verify -- (--stack <name> | --outputs-file <file|->) [options]

${outputOptionsUsage(true)}  --key-file <pem|pfx>      the private key, for a stack that brings its own certificate (PEM, or PFX
                            with its password in the environment variable ${PFX_PASSWORD_VARIABLE})
  --json                    print the result as JSON (progress still goes to standard error)
  --max-wait <duration>     how long to keep trying while the failure looks like replication delay
                            (default ${formatDuration(DEFAULT_MAX_WAIT_MS)}; 0 = one attempt; e.g. 30s, 30m, 1h)
  --first-delay <duration>  wait before the second attempt; doubles after each, up to ${formatDuration(MAX_DELAY_MS)} (default ${formatDuration(DEFAULT_FIRST_DELAY_MS)})
  --authority-host <url>    Entra sign-in host (default ${DEFAULT_AUTHORITY_HOST}; GCC High: https://login.microsoftonline.us)
  --resource <url>          Exchange Online resource (default ${DEFAULT_RESOURCE}; GCC High: https://outlook.office365.us)

exit codes: ${EXIT_CODES.verified} verified, ${EXIT_CODES.misconfigured} misconfigured, ${EXIT_CODES["invalid-input"]} invalid input, ${EXIT_CODES["not-propagated"]} not yet propagated (gave up waiting), ${EXIT_CODES.unreachable} could not reach Entra
`;

async function main(argv: string[]): Promise<number> {
    const args = commandLine(
        argv,
        {
            ...OUTPUT_OPTIONS,
            "key-file": { type: "string" },
            json: { type: "boolean", default: false },
            "max-wait": { type: "string" },
            "first-delay": { type: "string" },
            "authority-host": { type: "string" },
            resource: { type: "string" },
        },
        USAGE,
    );
    if (!args) return 0;
    try {
        const report = await verifyStack(verifyRequest(args, process.env), {
            onProgress: (p) => process.stderr.write(renderProgress(p)),
        });
        process.stdout.write(args.json ? renderJson(report) : renderText(report));
        return report.exitCode;
    } catch (e) {
        // Scripts reading --json get a result either way; runTool prints the one-line error.
        if (e instanceof UserError && args.json) process.stdout.write(renderInvalidInput(e.message));
        throw e;
    }
}

await runTool(main);
