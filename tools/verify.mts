/**
 * npm run verify -- --stack <name> | --outputs-file <file|->  [--key-file <pem|pfx>] [--json] [--max-wait 15m]
 *
 * Proves that a deployed stack's certificate really gets an app-only Exchange Online token carrying
 * Exchange.ManageAsApp and the configured directory roles, waiting out replication delay, and
 * explains what to fix when it does not.
 */
import {
    DEFAULT_AUTHORITY_HOST,
    DEFAULT_FIRST_DELAY_MS,
    DEFAULT_MAX_WAIT_MS,
    DEFAULT_RESOURCE,
    EXIT_CODES,
    type KeyMaterial,
    type StackFacts,
    formatDuration,
    parseDuration,
    renderJson,
    renderProgress,
    renderText,
    stackFacts,
    verify,
} from "./lib/verify.mts";
import { OUTPUT_OPTIONS, UserError, commandLine, outputOptionsUsage, runTool } from "./lib/cli.mts";
import { readOutputs } from "./lib/outputs.mts";
import { KeyError, PFX_PASSWORD_VARIABLE, keyFromFile, keyFromOutput, requestToken } from "./lib/verifyEntra.mts";

const USAGE = `usage: npm run verify -- (--stack <name> | --outputs-file <file|->) [options]

${outputOptionsUsage(true)}  --key-file <pem|pfx>      the private key, for a stack that brings its own certificate (PEM, or PFX
                            with its password in the environment variable ${PFX_PASSWORD_VARIABLE})
  --json                    print the result as JSON (progress still goes to standard error)
  --max-wait <duration>     how long to keep trying while the failure looks like replication delay
                            (default ${formatDuration(DEFAULT_MAX_WAIT_MS)}; 0 = one attempt; e.g. 30s, 30m, 1h)
  --first-delay <duration>  wait before the second attempt; doubles after each (default ${formatDuration(DEFAULT_FIRST_DELAY_MS)})
  --authority-host <url>    Entra sign-in host (default ${DEFAULT_AUTHORITY_HOST}; GCC High: https://login.microsoftonline.us)
  --resource <url>          Exchange Online resource (default ${DEFAULT_RESOURCE}; GCC High: https://outlook.office365.us)

exit codes: 0 verified, 1 misconfigured, 2 invalid input, 3 not yet propagated (gave up waiting), 4 could not reach Entra
`;

const UsageError = UserError;

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
    let maxWaitMs: number, firstDelayMs: number, authorityHost: string, resource: string;
    try {
        if (args.stack === undefined && args["outputs-file"] === undefined)
            throw new UsageError("say which stack: --stack <name> or --outputs-file <file|->");
        maxWaitMs = duration("--max-wait", args["max-wait"], DEFAULT_MAX_WAIT_MS);
        firstDelayMs = duration("--first-delay", args["first-delay"], DEFAULT_FIRST_DELAY_MS);
        if (firstDelayMs === 0) throw new UsageError("--first-delay must be more than 0");
        authorityHost = httpsOrigin("--authority-host", args["authority-host"] ?? DEFAULT_AUTHORITY_HOST);
        resource = httpsOrigin("--resource", args.resource ?? DEFAULT_RESOURCE);
    } catch (e) {
        if (e instanceof UsageError) return usage(e.message);
        throw e;
    }

    let facts: StackFacts;
    let key: KeyMaterial;
    try {
        facts = stackFacts(await readOutputs({ stack: args.stack, outputsFile: args["outputs-file"], secrets: true }));
        const keyFile = args["key-file"];
        if (keyFile !== undefined) {
            key = keyFromFile(keyFile, process.env[PFX_PASSWORD_VARIABLE]);
        } else if (facts.privateKeyPem !== undefined) {
            key = keyFromOutput(facts.privateKeyPem);
        } else {
            throw new KeyError(
                "the stack has no privateKeyPem output: it brings its own certificate, so pass its private key with " +
                    `--key-file <key.pem|cert.pfx> (PFX password in ${PFX_PASSWORD_VARIABLE})`,
            );
        }
    } catch (e) {
        if (e instanceof UserError || e instanceof KeyError) return invalidInput(e.message, args.json);
        throw e;
    }

    const report = await verify({
        facts,
        key,
        authorityHost,
        resource,
        maxWaitMs,
        firstDelayMs,
        requestToken: () => requestToken({ facts, key: key.key, authorityHost, resource }),
        onProgress: (p) => process.stderr.write(renderProgress(p)),
    });
    process.stdout.write(args.json ? renderJson(report) : renderText(report));
    return report.exitCode;
}

function duration(flag: string, text: string | undefined, fallback: number): number {
    if (text === undefined) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined) throw new UsageError(`${flag} takes a duration such as 30s, 15m, 1h or 500ms (got ${JSON.stringify(text)})`);
    return ms;
}

/** An https URL reduced to its origin; Entra and Exchange Online are addressed by host. */
function httpsOrigin(flag: string, text: string): string {
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        throw new UsageError(
            `${flag} must be an https URL such as ${flag === "--resource" ? DEFAULT_RESOURCE : DEFAULT_AUTHORITY_HOST} (got ${JSON.stringify(text)})`,
        );
    }
    if (url.protocol !== "https:") throw new UsageError(`${flag} must use https (got ${JSON.stringify(text)})`);
    if (url.pathname !== "/" || url.search || url.hash)
        throw new UsageError(`${flag} is a host only, without a path (got ${JSON.stringify(text)})`);
    return url.origin;
}

function usage(message: string): number {
    process.stderr.write(`error: ${message}\n\n${USAGE}`);
    return EXIT_CODES["invalid-input"];
}

function invalidInput(message: string, json: boolean | undefined): number {
    const code = EXIT_CODES["invalid-input"];
    process.stderr.write(`error: ${message}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ result: "invalid-input", exitCode: code, error: message }, null, 2)}\n`);
    return code;
}

await runTool(main);
