/**
 * npm run export-cert -- (--stack <name> | --outputs-file <file|->) [--out <dir>] [--format pfx|pem|cer|all]
 *                        [--name <file name>] [--password-env <VARIABLE>] [--legacy] [--force]
 *
 * Writes the stack's active certificate for the machine that runs Connect-ExchangeOnline (and
 * Connect-IPPSSession, when a role of the stack reaches Security & Compliance PowerShell):
 *   <name>.cer  the public certificate (DER), to upload or trust (Import-Certificate); nothing signs in with it
 *   <name>.pem  certificate and private key (PEM), for PowerShell 7's CreateFromPemFile
 *   <name>.pfx  certificate and key, password-protected, importable by Windows into a CSP key container
 * then prints the connect lines for the stack's cloud (for a .cer alone, what it is for). The work is in
 * export.mts: files readable by the owner only, all written or none, nothing overwritten without
 * --force, a warning for a certificate that has expired or is not valid yet. The PFX password comes
 * from an environment variable or a prompt on the terminal, and nothing printed contains it. A stack
 * without a certificate is refused with what its runners use instead.
 */
import { printable } from "../../components/redaction.ts";
import { EXIT_INVALID_INPUT, OUTPUT_OPTIONS, commandLine, outputOptionsUsage, runTool } from "../shared/cli.mts";
import { exportCertificate, exportPlan, nextSteps, pfxPassword } from "./export.mts";
import { EXIT_INCOMPLETE } from "../shared/replaceFiles.mts";
import { hasControllingTerminal, promptTerminal, terminalPrompt } from "../shared/prompt.mts";
import { readOutputs } from "../shared/stackOutputs.mts";
import { PFX_PASSWORD_VARIABLE, REDACTED_PASSWORD, rememberSecret } from "../shared/secrets.mts";

const USAGE = `usage: npm run export-cert -- (--stack <name> | --outputs-file <file|->) [options]

${outputOptionsUsage(true)}  --out <dir>               where to write (default: the current directory)
  --format pfx|pem|cer|all  what to write (default: all)
  --name <file name>        file name without extension (default: the stack name, or exo-cba); letters,
                            digits, '.', '_', '-', not a Windows device name (CON, NUL, COM1, ...)
  --password-env <VARIABLE> environment variable holding the PFX password (default ${PFX_PASSWORD_VARIABLE});
                            unset, the password is asked for on the terminal (standard input, or the
                            controlling terminal /dev/tty when standard input is a pipe)
  --legacy                  PFX encryption Windows Server 2016 and older can read (3DES) instead of AES-256
  --force                   replace existing files (a symbolic link is replaced, not followed)

The printed Connect-ExchangeOnline and Connect-IPPSSession lines are for the stack's cloud (its cloud output).
Connect-IPPSSession lines appear beside the lines Windows runs only: it is not available in PowerShell 7 on
Linux or macOS.

exit codes: 0 written, ${EXIT_INVALID_INPUT} invalid input, a stack without a certificate, or nothing could be written
            (nothing was changed), ${EXIT_INCOMPLETE} a write failed and not every file could be put back (the message says where each is)
`;

async function main(argv: string[]): Promise<number> {
    const args = commandLine(
        argv,
        {
            ...OUTPUT_OPTIONS,
            out: { type: "string", default: "." },
            format: { type: "string", default: "all" },
            name: { type: "string" },
            "password-env": { type: "string", default: PFX_PASSWORD_VARIABLE },
            legacy: { type: "boolean", default: false },
            force: { type: "boolean", default: false },
        },
        USAGE,
    );
    if (!args) return 0;
    const plan = exportPlan(args);
    const outputs = await readOutputs({ stack: plan.stack, outputsFile: args["outputs-file"], secrets: plan.needsKey });
    const askPassword = async () => {
        const where = promptTerminal(process.stdin.isTTY === true, args["outputs-file"] === "-", hasControllingTerminal);
        const secret = await pfxPassword(plan.passwordVariable, process.env, terminalPrompt(where, "PFX password"));
        // Kept out of everything printed from now on, as the environment's are (runTool).
        rememberSecret(secret.password, REDACTED_PASSWORD);
        return secret;
    };
    const result = await exportCertificate(outputs, plan, askPassword, new Date());
    process.stdout.write(nextSteps(result));
    for (const warning of result.warnings) process.stderr.write(`warning: ${printable(warning)}\n`);
    return 0;
}

await runTool(main);
