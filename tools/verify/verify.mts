/**
 * npm run verify -- (--stack <name> | --outputs-file <file|->) [--key-file <pem|pfx> | --federated-token-file <file|->
 *                   | --federated | --managed-identity <name>] [--json] [--max-wait 15m]
 *
 * Proves that a deployed stack's sign-in really gets an app-only Exchange Online token carrying
 * Exchange.ManageAsApp and the configured directory roles (the certificate, a workload's federated
 * token, or a managed identity on its Azure resource), and that Exchange runs a read-only cmdlet with it
 * (Security & Compliance too, where the stack offers it), waiting out replication delay, and explains
 * what to fix when it does not. The library is tools/verify/ (command.mts lists its parts).
 */
import { CLOUDS } from "../../components/clouds.ts";
import { OUTPUT_OPTIONS, UserError, commandLine, outputOptionsUsage, runTool } from "../shared/cli.mts";
import { verifyRequest, verifyStack } from "./command.mts";
import { GITHUB_REQUEST_TOKEN_VARIABLE, GITHUB_REQUEST_URL_VARIABLE } from "./federatedToken.mts";
import { PFX_PASSWORD_VARIABLE } from "../shared/secrets.mts";
import { EXIT_CODES, formatDuration } from "./outcome.mts";
import { renderInvalidInput, renderJson, renderProgress, renderText } from "./report.mts";
import { DEFAULT_FIRST_DELAY_MS, DEFAULT_MAX_WAIT_MS, MAX_DELAY_MS } from "./retry.mts";

const USAGE = `usage: npm run verify -- (--stack <name> | --outputs-file <file|->) [options]

${outputOptionsUsage("when-needed")}
sign-in (one of them; the stack's certificate when none is given):
  --key-file <pem|pfx>      the certificate's private key, for a stack that brings its own certificate (PEM,
                            or PFX with its password in the environment variable ${PFX_PASSWORD_VARIABLE})
  --federated-token-file <file|->
                            sign in with a federated credential: the workload's token (a JWT) from this file
  --federated               sign in with a federated credential, the token asked of GitHub Actions
                            (${GITHUB_REQUEST_URL_VARIABLE}, ${GITHUB_REQUEST_TOKEN_VARIABLE};
                            the job needs permissions: id-token: write)
  --managed-identity <name> sign in as that managed identity of the stack, on the Azure resource it is assigned to

options:
  --json                    print the result as JSON (progress still goes to standard error)
  --accept-extra-privilege <role|permission>
                            do not fail on this directory role (template id or name) or application permission
                            (e.g. full_access_as_app) in the token beyond what the stack grants; repeat for each
  --max-wait <duration>     how long to keep trying while the failure looks like replication delay
                            (default ${formatDuration(DEFAULT_MAX_WAIT_MS)}; 0 = one attempt; e.g. 30s, 30m, 1h)
  --first-delay <duration>  wait before the second attempt; doubles after each, up to ${formatDuration(MAX_DELAY_MS)} (default ${formatDuration(DEFAULT_FIRST_DELAY_MS)})
  --token-only              stop at the token: do not ask Exchange to run a cmdlet (where the network blocks its admin API)
  --authority-host <url>    Entra sign-in host (default: the stack's cloud's, ${CLOUDS.global.authorityHost} worldwide)
  --resource <url>          Exchange Online resource (default: the stack's cloud's, ${CLOUDS.global.exchangeResource} worldwide)
  --exchange-host <url>     where Exchange Online's admin API is asked (default: the stack's cloud's, ${CLOUDS.global.exchangeResource} worldwide)
  --compliance-host <url>   where Security & Compliance's admin API is asked (default: the stack's cloud's, then the tenant's own
                            host it names; with this flag every Security & Compliance request goes here)

exit codes: ${EXIT_CODES.verified} verified, ${EXIT_CODES.misconfigured} misconfigured (privilege beyond the stack's included), ${EXIT_CODES["invalid-input"]} invalid input, ${EXIT_CODES["not-propagated"]} not yet propagated (gave up waiting), ${EXIT_CODES.unreachable} could not reach the token service
`;

async function main(argv: string[]): Promise<number> {
    const args = commandLine(
        argv,
        {
            ...OUTPUT_OPTIONS,
            "key-file": { type: "string" },
            "federated-token-file": { type: "string" },
            federated: { type: "boolean", default: false },
            "managed-identity": { type: "string" },
            json: { type: "boolean", default: false },
            "max-wait": { type: "string" },
            "first-delay": { type: "string" },
            "authority-host": { type: "string" },
            resource: { type: "string" },
            "accept-extra-privilege": { type: "string", multiple: true },
            "token-only": { type: "boolean", default: false },
            "exchange-host": { type: "string" },
            "compliance-host": { type: "string" },
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
