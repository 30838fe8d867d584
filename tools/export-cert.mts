/**
 * npm run export-cert -- (--stack <name> | --outputs-file <file|->) [--out <dir>] [--format pfx|pem|cer|all]
 *                        [--name <file name>] [--password-env <VARIABLE>] [--legacy] [--force]
 *
 * Writes the stack's active certificate for the machine that runs Connect-ExchangeOnline:
 *   <name>.cer  the public certificate (DER), for reference or Import-Certificate
 *   <name>.pem  certificate and private key (PEM), for PowerShell 7's CreateFromPemFile
 *   <name>.pfx  certificate and key, password-protected, importable by Windows into a CSP key container
 * Files are readable by the owner only; nothing is overwritten without --force, and nothing is left
 * half-written. The PFX password comes from an environment variable or a prompt, never an argument.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { thumbprintOf } from "../components/certificate.ts";
import { connectCommand, connectCommandCrossPlatform, connectCommandPemFile } from "../components/connect.ts";
import { OUTPUT_OPTIONS, UserError, commandLine, outputOptionsUsage, runTool } from "./lib/cli.mts";
import { readOutputs } from "./lib/outputs.mts";
import { PFX_PASSWORD_VARIABLE, buildPfx } from "./lib/pfx.mts";

type Format = "pfx" | "pem" | "cer";
const FORMATS: readonly Format[] = ["cer", "pem", "pfx"];

const USAGE = `usage: npm run export-cert -- (--stack <name> | --outputs-file <file|->) [options]

${outputOptionsUsage(true)}  --out <dir>                where to write (default: the current directory)
  --format pfx|pem|cer|all   what to write (default: all)
  --name <file name>         file name without extension (default: the stack name, or exo-cba)
  --password-env <VARIABLE>  environment variable holding the PFX password (default ${PFX_PASSWORD_VARIABLE});
                             unset, the password is asked for when a terminal is attached
  --legacy                   PFX encryption Windows Server 2016 and older can read (3DES) instead of AES-256
  --force                    overwrite existing files
`;

/** A problem the user can fix; the message never contains key material or the password. */
const ExportError = UserError;

interface Plan {
    readonly dir: string;
    readonly name: string;
    readonly formats: Format[];
}

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
    {
        const format = args.format ?? "all";
        if (format !== "all" && !FORMATS.includes(format as Format)) {
            throw new ExportError(`--format must be pfx, pem, cer or all (got ${JSON.stringify(format)})`);
        }
        const requested: Format[] = format === "all" ? [...FORMATS] : [format as Format];
        const name = args.name ?? args.stack ?? "exo-cba";
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
            throw new ExportError(`--name must be a plain file name (got ${JSON.stringify(name)})`);
        const needsKey = requested.some((f) => f !== "cer");
        const outputs = await readOutputs({ stack: args.stack, outputsFile: args["outputs-file"], secrets: needsKey });

        const certificatePem = outputs.string("certificatePem");
        const thumbprint = outputs.string("thumbprint");
        const appId = outputs.string("appId");
        const organization = outputs.string("organization");
        const privateKeyPem = outputs.optionalString("privateKeyPem");
        const certificate = readCertificate(certificatePem, thumbprint);

        // A brought certificate's key lives where the certificate was made: only the public part exists here.
        let formats = requested;
        if (privateKeyPem === undefined) {
            if (format !== "all" && format !== "cer") {
                throw new ExportError(
                    `this stack brings its own certificate, so its private key was never in the stack and no ${format.toUpperCase()} with the key can be made here. ` +
                        "Export it where the certificate was created (Windows: Export-PfxCertificate); only --format cer is possible.",
                );
            }
            formats = ["cer"];
        } else {
            checkKeyMatches(privateKeyPem, certificate);
        }
        const plan: Plan = { dir: path.resolve(args.out ?? "."), name, formats };
        const targets = formats.map((f) => path.join(plan.dir, `${name}.${f}`));
        if (!fs.existsSync(plan.dir) || !fs.statSync(plan.dir).isDirectory()) throw new ExportError(`--out ${plan.dir} is not a directory`);
        const existing = targets.filter((t) => fs.existsSync(t));
        if (existing.length > 0 && !args.force) {
            throw new ExportError(
                `${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}; nothing was written. Use --force to overwrite.`,
            );
        }

        const passwordVariable = args["password-env"] ?? PFX_PASSWORD_VARIABLE;
        const password = formats.includes("pfx") ? await pfxPassword(passwordVariable) : "";
        const contents = new Map<string, Buffer>();
        for (const f of formats) {
            const file = path.join(plan.dir, `${name}.${f}`);
            if (f === "cer") contents.set(file, certificate.raw);
            if (f === "pem") contents.set(file, Buffer.from(`${certificatePem.trimEnd()}\n${pkcs8(privateKeyPem!)}`));
            if (f === "pfx") {
                contents.set(
                    file,
                    buildPfx({ certificatePem, privateKeyPem: privateKeyPem!, password, friendlyName: name, legacy: args.legacy ?? false }),
                );
            }
        }
        writeAll(contents);

        process.stdout.write(
            nextSteps({
                plan,
                thumbprint: certificate.thumbprint,
                appId,
                organization,
                byo: privateKeyPem === undefined,
                variable: passwordVariable,
            }),
        );
        return 0;
    }
}

function readCertificate(pem: string, thumbprint: string): { raw: Buffer; thumbprint: string; publicKey: string } {
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(pem);
    } catch {
        throw new ExportError("output certificatePem is not a readable certificate");
    }
    const actual = thumbprintOf(cert);
    if (actual !== thumbprint.toUpperCase()) {
        throw new ExportError(
            `output thumbprint ${thumbprint} does not belong to output certificatePem (${actual}); read the outputs again from one deployment`,
        );
    }
    return { raw: cert.raw, thumbprint: actual, publicKey: cert.publicKey.export({ type: "spki", format: "pem" }).toString() };
}

function checkKeyMatches(privateKeyPem: string, certificate: { publicKey: string; thumbprint: string }): void {
    let publicKey: string;
    try {
        publicKey = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: "spki", format: "pem" }).toString();
    } catch {
        throw new ExportError("output privateKeyPem is not a readable private key");
    }
    if (publicKey !== certificate.publicKey) {
        throw new ExportError(
            `output privateKeyPem does not belong to the certificate ${certificate.thumbprint}; read the outputs again from one deployment`,
        );
    }
}

function pkcs8(privateKeyPem: string): string {
    return createPrivateKey(privateKeyPem).export({ type: "pkcs8", format: "pem" }).toString();
}

async function pfxPassword(variable: string): Promise<string> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable))
        throw new ExportError(`--password-env must name an environment variable (got ${JSON.stringify(variable)})`);
    const fromEnv = process.env[variable];
    if (fromEnv !== undefined) {
        if (fromEnv === "") throw new ExportError(`environment variable ${variable} is empty; a PFX needs a password`);
        return fromEnv;
    }
    if (!process.stdin.isTTY) {
        throw new ExportError(`set the PFX password in the environment variable ${variable} (nothing was written)`);
    }
    const first = await ask("PFX password: ");
    if (first === "") throw new ExportError("a PFX needs a password (nothing was written)");
    const again = await ask("PFX password again: ");
    if (first !== again) throw new ExportError("the passwords differ (nothing was written)");
    return first;
}

/** Reads a line from the terminal without echoing it. */
function ask(prompt: string): Promise<string> {
    return new Promise((resolve) => {
        const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
        const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
        (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) =>
            write(s.startsWith(prompt) ? prompt : "");
        rl.question(prompt, (answer) => {
            rl.close();
            process.stderr.write("\n");
            resolve(answer);
        });
    });
}

/** Writes every file or none: each goes to a temporary name first (owner-only), then all are renamed. */
function writeAll(contents: Map<string, Buffer>): void {
    const staged: [string, string][] = [];
    try {
        for (const [file, data] of contents) {
            const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
            fs.writeFileSync(temporary, data, { mode: 0o600, flag: "wx" });
            staged.push([temporary, file]);
        }
        for (const [temporary, file] of staged) {
            fs.renameSync(temporary, file);
            fs.chmodSync(file, 0o600);
        }
    } catch (e) {
        for (const [temporary] of staged) fs.rmSync(temporary, { force: true });
        throw new ExportError(`could not write the files: ${(e as Error).message} (nothing was left behind)`);
    }
}

function nextSteps(o: { plan: Plan; thumbprint: string; appId: string; organization: string; byo: boolean; variable: string }): string {
    const file = (f: Format) => path.join(o.plan.dir, `${o.plan.name}.${f}`);
    const values = { appId: o.appId, organization: o.organization, thumbprint: o.thumbprint };
    const lines = [`Wrote ${o.plan.formats.map(file).join(", ")} (readable by you only).`, ""];
    if (o.byo) {
        lines.push(
            "This stack brings its own certificate: its private key stays where the certificate was made, so only the public",
            "certificate was exported. On the runner, use the certificate with its key from that place, then:",
            `  ${connectCommand(values)}`,
        );
        return `${lines.join("\n")}\n`;
    }
    if (o.plan.formats.includes("pfx")) {
        lines.push(
            "Windows (PowerShell, signed in as the account that runs the script):",
            `  Import-PfxCertificate -FilePath '${file("pfx")}' -CertStoreLocation Cert:\\CurrentUser\\My -Password (Read-Host -AsSecureString -Prompt "PFX password")`,
            `  ${connectCommand(values)}`,
            "  Then delete the PFX file; the certificate store keeps the key.",
            "",
            "Linux or macOS (PowerShell 7):",
            `  ${connectCommandCrossPlatform(values, file("pfx"))}`,
        );
    }
    if (o.plan.formats.includes("pem")) {
        lines.push(
            "",
            "Any OS with PowerShell 7, from the PEM file (its key is not encrypted: keep it readable by the runner only):",
            `  ${connectCommandPemFile(values, file("pem"))}`,
        );
    }
    if (o.plan.formats.includes("pfx"))
        lines.push("", `The PFX password is the one from ${o.variable} (or the prompt); it is not stored anywhere.`);
    return `${lines.join("\n")}\n`;
}

await runTool(main);
