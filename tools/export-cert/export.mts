/**
 * npm run export-cert, the work: which files to write from a stack's outputs, writing them all or none,
 * and the PowerShell lines that use them, for the stack's cloud. tools/export-cert/export-cert.mts parses the
 * arguments and calls this.
 */
import { replaceFiles } from "../shared/replaceFiles.mts";
import { X509Certificate, createPrivateKey, createPublicKey } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { certificateFacts } from "../../components/certificate.ts";
import {
    COMPLIANCE_CAVEAT,
    type ConnectValues,
    connectCommand,
    connectCommandAccessToken,
    connectCommandCrossPlatform,
    connectCommandManagedIdentity,
    connectCommandPemFile,
    connectIppsCommand,
    connectIppsCommandAccessToken,
    connectIppsCommandPemFile,
    quote,
    withCaveat,
} from "../../components/connect.ts";
import { ROTATION_ADVICE, ROTATION_REFERENCE, describeExpiry, expiryStatus } from "../../components/rotation.ts";
import { type CloudName } from "../../components/clouds.ts";
import { hasControlCharacters, printable, show } from "../../components/redaction.ts";
import { UserError, describeFsError, refuseSharedPath, stackName } from "../shared/cli.mts";
import { type StackOutputs, need } from "../shared/stackOutputs.mts";
import { buildPfx } from "../shared/pfx.mts";
import { PFX_PASSWORD_VARIABLE } from "../shared/secrets.mts";

export type Format = "cer" | "pem" | "pfx";
export const FORMATS: readonly Format[] = ["cer", "pem", "pfx"];

/** The command line's values, as parsed by node:util parseArgs. */
export interface ExportArguments {
    readonly stack?: string | undefined;
    readonly out?: string | undefined;
    readonly format?: string | undefined;
    readonly name?: string | undefined;
    readonly "password-env"?: string | undefined;
    readonly legacy?: boolean | undefined;
    readonly force?: boolean | undefined;
}

/** What to export where, checked: nothing in it can break a file name or a printed line. */
export interface ExportPlan {
    /** --stack, checked; with --outputs-file it only names the stack (and the default file name). */
    readonly stack: string | undefined;
    /** The output directory, absolute. */
    readonly dir: string;
    /** File name without extension. */
    readonly name: string;
    readonly format: Format | "all";
    readonly legacy: boolean;
    readonly force: boolean;
    readonly passwordVariable: string;
    /** Whether the private key is needed, so the outputs must be read with --show-secrets. */
    readonly needsKey: boolean;
}

/** A plain file name: no path, not hidden, not an option, nothing a shell or PowerShell treats specially. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const FILE_NAME_RULE = "letters, digits, '.', '_' or '-', starting with a letter or digit";
/**
 * Names Windows keeps for devices, in any case and whatever follows the first dot ("nul.backup.pfx"
 * opens the null device): "Naming Files, Paths, and Namespaces",
 * https://learn.microsoft.com/windows/win32/fileio/naming-a-file. That page also lists COM0 and LPT0;
 * they are refused too, a file name costs nothing to change.
 */
const WINDOWS_DEVICE = /^(?:CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(?:\.|$)/i;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * What an environment variable's name usually looks like. Only such a --password-env value is ever
 * printed: anything else ("S3cret pass!", "Sup3rSecretPassw0rd") may be the password typed in its place.
 */
const CONVENTIONAL_VARIABLE = /^[A-Z_][A-Z0-9_]*$/;

/** Checks every argument before anything is read or written; `cwd` resolves a relative --out. */
export function exportPlan(args: ExportArguments, cwd: string = process.cwd()): ExportPlan {
    const format = args.format ?? "all";
    if (format !== "all" && !FORMATS.includes(format as Format)) {
        throw new UserError(`--format must be pfx, pem, cer or all (got ${show(format)})`);
    }
    const stack = args.stack === undefined ? undefined : stackName(args.stack);
    let name: string;
    if (args.name !== undefined) {
        if (!FILE_NAME.test(args.name)) {
            throw new UserError(`--name must be a plain file name: ${FILE_NAME_RULE}, not a Windows device name (got ${show(args.name)})`);
        }
        if (WINDOWS_DEVICE.test(args.name)) {
            throw new UserError(
                `--name ${show(args.name)} is a name Windows reserves for a device (${DEVICE_NAMES}); choose another: ${FILE_NAME_RULE}`,
            );
        }
        name = args.name;
    } else if (stack !== undefined) {
        // org/project/stack names the files after the stack itself.
        name = stack.slice(stack.lastIndexOf("/") + 1);
        if (!FILE_NAME.test(name)) {
            throw new UserError(
                `the file name defaults to the stack name, and ${show(name)} is not a plain file name; pass --name <file name>`,
            );
        }
        if (WINDOWS_DEVICE.test(name)) {
            throw new UserError(
                `the file name defaults to the stack name, and ${show(name)} is a name Windows reserves for a device (${DEVICE_NAMES}); pass --name <file name>`,
            );
        }
    } else {
        name = "exo-cba";
    }
    const out = args.out ?? ".";
    // The directory is printed inside PowerShell lines and messages: a newline or an escape sequence in
    // it would split or rewrite them. The current directory counts too when --out is relative.
    const dir = path.resolve(cwd, out);
    if (hasControlCharacters(dir)) {
        throw new UserError(`--out ${show(dir)} holds control characters; choose a directory whose path has none`);
    }
    const passwordVariable = args["password-env"] ?? PFX_PASSWORD_VARIABLE;
    if (!VARIABLE_NAME.test(passwordVariable)) {
        // Never quoted: a value that is no variable name is most likely the password itself.
        throw new UserError(
            `--password-env must name an environment variable such as ${PFX_PASSWORD_VARIABLE} (letters, digits and '_', not starting ` +
                "with a digit); the value given is not shown, in case it is the password: put the password in the variable, never on the command line",
        );
    }
    return {
        stack,
        dir,
        name,
        format: format as Format | "all",
        legacy: args.legacy ?? false,
        force: args.force ?? false,
        passwordVariable,
        needsKey: format !== "cer",
    };
}

const DEVICE_NAMES = "CON, PRN, AUX, NUL, COM0-COM9, LPT0-LPT9, with or without an extension";

/**
 * How messages name the PFX password's variable: by its name when it looks like one, else by the
 * option that named it, since a value such as "Sup3rSecretPassw0rd" may be the password itself.
 */
export function passwordVariableLabel(variable: string): string {
    return CONVENTIONAL_VARIABLE.test(variable)
        ? `the environment variable ${variable}`
        : "the environment variable that --password-env names";
}

/** What was written, for the next steps. */
export interface ExportResult {
    readonly dir: string;
    readonly name: string;
    readonly formats: readonly Format[];
    readonly thumbprint: string;
    readonly appId: string;
    readonly organization: string;
    /** The stack's Microsoft cloud, which every printed line names outside the worldwide one. */
    readonly cloud: CloudName;
    /** The stack has a connectIppsCommand output: a role reaches Security & Compliance PowerShell. */
    readonly securityAndCompliance: boolean;
    /** The stack brings its own certificate: no private key here, only the .cer was written. */
    readonly byo: boolean;
    /** Where the PFX password came from, for the closing line; never the password. */
    readonly passwordSource: string | undefined;
    /**
     * Things the person should know although the export succeeded: a certificate that has expired or is
     * not valid yet, a backup that could not be removed.
     */
    readonly warnings: readonly string[];
}

/** Where the PFX password comes from; it is asked for only after every check passed. */
export type PasswordSource = () => Promise<{ readonly password: string; readonly source: string }>;

/**
 * Exports the stack's active certificate as the plan says. Every check (outputs, key, existing files)
 * runs before the password is asked for and before any file is touched; then the files are written
 * all or none (replaceFiles). A certificate that is expired or not yet valid at `now` is still
 * exported (someone may need the file to look at it or to move a runner), with a warning.
 */
export async function exportCertificate(
    outputs: StackOutputs,
    plan: ExportPlan,
    password: PasswordSource,
    now: Date,
): Promise<ExportResult> {
    const cloud = outputs.cloud;
    if (outputs.home !== undefined) {
        // Its certificate and key are the home's; exporting from here would only hand out a copy that goes stale.
        throw new UserError(
            `this is a customer stack: the certificate and its key are the home stack's (${printable(outputs.home)}). ` +
                `Export them there: npm run export-cert -- --stack ${printable(outputs.home)}`,
        );
    }
    if (outputs.certificates.length === 0) throw noCertificate(outputs, cloud);
    const certificatePem = need(outputs, "certificatePem");
    const appId = need(outputs, "appId");
    const organization = need(outputs, "organization");
    // readOutputs has checked that the thumbprint names this certificate.
    need(outputs, "thumbprint");
    const certificate = readCertificate(certificatePem);
    // A brought certificate's key lives where the certificate was made: only the public part exists here.
    const byo = outputs.privateKeyPem === undefined;
    // For a .cer alone the key is not read: outputs read without --show-secrets hold "[secret]" there.
    const privateKeyPem = !byo && plan.needsKey ? outputs.privateKeyPem : undefined;

    let formats: readonly Format[] = plan.format === "all" ? FORMATS : [plan.format];
    if (byo) {
        if (plan.format !== "all" && plan.format !== "cer") {
            throw new UserError(
                `this stack brings its own certificate, so its private key was never in the stack and no ${plan.format.toUpperCase()} with the key can be made here. ` +
                    "Export it where the certificate was created (Windows: Export-PfxCertificate); only --format cer is possible.",
            );
        }
        formats = ["cer"];
    } else if (privateKeyPem !== undefined) {
        checkKeyMatches(privateKeyPem, certificate);
    }

    const file = (f: Format) => path.join(plan.dir, `${plan.name}.${f}`);
    checkTargets(plan.dir, formats.map(file), plan.force);

    const secret = formats.includes("pfx") ? await password() : undefined;
    const contents = new Map<string, Buffer>();
    for (const f of formats) {
        if (f === "cer") contents.set(file(f), certificate.raw);
        if (f === "pem") contents.set(file(f), Buffer.from(`${certificate.pem}${pkcs8(privateKeyPem!)}`));
        if (f === "pfx") {
            const pfx = buildPfx({
                certificatePem: certificate.pem,
                privateKeyPem: privateKeyPem!,
                password: secret!.password,
                friendlyName: plan.name,
                legacy: plan.legacy,
            });
            contents.set(file(f), pfx);
        }
    }
    const { warnings } = replaceFiles(contents, plan.force);
    return {
        dir: plan.dir,
        name: plan.name,
        formats,
        thumbprint: certificate.thumbprint,
        appId,
        organization,
        cloud,
        securityAndCompliance: outputs.connectIppsCommand !== undefined,
        byo,
        passwordSource: secret?.source,
        warnings: [...validityWarnings(certificate, now), ...warnings],
    };
}

/**
 * A certificate outside its validity at `now`: Entra refuses sign-ins with it. Expiry is worded by
 * components/rotation.ts, as everywhere in the project.
 */
function validityWarnings(certificate: Certificate, now: Date): string[] {
    const label = `The certificate ${certificate.thumbprint}`;
    const status = expiryStatus(certificate.notAfter, now, 0);
    if (status.state === "expired") return [describeExpiry(label, status)];
    if (Date.parse(certificate.notBefore) > now.getTime()) {
        return [
            `${label} becomes valid on ${certificate.notBefore}: sign-ins with it fail until then, so runners keep the previous ` +
                `certificate until that date. ${ROTATION_ADVICE} (${ROTATION_REFERENCE})`,
        ];
    }
    return [];
}

/**
 * The refusal for a stack that registers no certificate (its `certificates` output is []): what its
 * runners connect with instead, rebuilt from its organization and cloud by components/connect.ts, so
 * nothing a stack file holds is echoed as a command. One line, as every tool error is.
 */
function noCertificate(outputs: StackOutputs, cloud: CloudName): UserError {
    const organization = need(outputs, "organization");
    const why =
        outputs.appId !== undefined
            ? "it registers none (exo-cba:certificates is [])"
            : "it has no application (exo-cba:application is false)";
    const ways: string[] = [];
    if (outputs.connectCommandAccessToken !== undefined) {
        ways.push(
            `with a federated credential's token (output connectCommandAccessToken): ${connectCommandAccessToken({ organization, cloud })}`,
        );
        // Without a certificate the stack's connectIppsCommand is the -AccessToken form, for Windows runners only.
        if (outputs.connectIppsCommand !== undefined) {
            ways.push(
                `Security & Compliance PowerShell with a token for its own resource (output connectIppsCommand): ${connectIppsCommandAccessToken({ organization, cloud })} (${COMPLIANCE_CAVEAT})`,
            );
        }
    }
    for (const mi of outputs.managedIdentities ?? []) {
        ways.push(
            `as managed identity ${show(mi.name)} (output managedIdentities): ${connectCommandManagedIdentity({ organization, clientId: mi.clientId, cloud })}`,
        );
    }
    const instead = ways.length > 0 ? `Its runners connect ${ways.join("; ")}` : "Nothing in its outputs connects without one";
    return new UserError(`this stack has no certificate to export: ${why}. ${instead}. Nothing was written.`);
}

interface Certificate {
    /** The certificate alone, re-encoded: whatever else the output held is not copied into a file. */
    readonly pem: string;
    readonly raw: Buffer;
    readonly thumbprint: string;
    readonly publicKey: string;
    /** RFC 3339, whole seconds. */
    readonly notBefore: string;
    readonly notAfter: string;
}

function readCertificate(pem: string): Certificate {
    const cert = new X509Certificate(pem);
    const facts = certificateFacts(cert);
    // Entra accepts client assertions signed with RS256 or PS256 only, so the key must be RSA
    // (https://learn.microsoft.com/entra/identity-platform/certificate-credentials); node-forge, which
    // builds the PFX, reads RSA keys only as well.
    const type = facts.keyType;
    if (type !== "rsa") {
        const curve = cert.publicKey.asymmetricKeyDetails?.namedCurve;
        throw new UserError(
            `the certificate ${facts.thumbprint} has ${type === "ec" ? `an EC key${curve ? ` (${curve})` : ""}` : `a ${type} key`}, not RSA: ` +
                "Entra signs the app in with RS256/PS256 client assertions, which need an RSA key. Nothing was written; " +
                "give the stack an RSA certificate (2048 bits or more).",
        );
    }
    return {
        pem: cert.toString(),
        raw: cert.raw,
        thumbprint: facts.thumbprint,
        publicKey: cert.publicKey.export({ type: "spki", format: "pem" }).toString(),
        notBefore: facts.notBefore,
        notAfter: facts.notAfter,
    };
}

function checkKeyMatches(privateKeyPem: string, certificate: Certificate): void {
    let publicKey: string;
    try {
        publicKey = createPublicKey(createPrivateKey(privateKeyPem)).export({ type: "spki", format: "pem" }).toString();
    } catch {
        throw new UserError("output privateKeyPem is not a readable private key");
    }
    if (publicKey !== certificate.publicKey) {
        throw new UserError(
            `output privateKeyPem does not belong to the certificate ${certificate.thumbprint}; read the outputs again from one deployment`,
        );
    }
}

function pkcs8(privateKeyPem: string): string {
    return createPrivateKey(privateKeyPem).export({ type: "pkcs8", format: "pem" }).toString();
}

/**
 * Refuses, before anything is written, an output directory that is not one and targets that are in
 * the way. Without --force any existing name counts, a symbolic link too (even one whose target is
 * gone). With --force, files and symbolic links are replaced (the link itself, never the file it points
 * to); a directory or a device is not.
 */
function checkTargets(dir: string, targets: readonly string[], force: boolean): void {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(dir);
    } catch (e) {
        throw new UserError(`--out ${dir}: ${describeFsError(e)}`);
    }
    if (!stat.isDirectory()) throw new UserError(`--out ${dir} is not a directory`);
    refuseSharedPath(dir, `--out ${dir}`);
    const existing: string[] = [];
    for (const target of targets) {
        const found = lstat(target);
        if (found === undefined) continue;
        if (!force) existing.push(found.isSymbolicLink() ? `${target} (a symbolic link)` : target);
        else if (found.isDirectory()) throw new UserError(`${target} is a directory, which --force does not replace; nothing was written`);
        else if (!found.isFile() && !found.isSymbolicLink()) {
            throw new UserError(`${target} is not a regular file, which --force does not replace; nothing was written`);
        }
    }
    if (existing.length > 0) {
        throw new UserError(
            `${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}; nothing was written. Use --force to overwrite.`,
        );
    }
}

function lstat(file: string): fs.Stats | undefined {
    try {
        return fs.lstatSync(file);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw new UserError(`cannot check ${file}: ${describeFsError(e)}; nothing was written`);
    }
}

/**
 * The PFX password: from the environment variable, else asked twice on the terminal. Never from an
 * argument (ps and shell history show those), never printed.
 */
export async function pfxPassword(
    variable: string,
    env: Readonly<Record<string, string | undefined>>,
    ask: ((prompt: string) => Promise<string>) | undefined,
): Promise<{ password: string; source: string }> {
    const label = passwordVariableLabel(variable);
    // An own string value only: --password-env constructor must not find Object on the prototype.
    const fromEnv = Object.hasOwn(env, variable) && typeof env[variable] === "string" ? env[variable] : undefined;
    if (fromEnv !== undefined) {
        if (fromEnv === "") throw new UserError(`${label} is empty; a PFX needs a password (nothing was written)`);
        return { password: fromEnv, source: label };
    }
    if (ask === undefined) {
        const unnamed = CONVENTIONAL_VARIABLE.test(variable)
            ? ""
            : `; its name is not shown: it is not in capitals like ${PFX_PASSWORD_VARIABLE}, so it may be the password itself`;
        throw new UserError(`set the PFX password in ${label} (nothing was written${unnamed})`);
    }
    const first = await ask("PFX password: ");
    if (first === "") throw new UserError("a PFX needs a password (nothing was written)");
    const again = await ask("PFX password again: ");
    if (first !== again) throw new UserError("the passwords differ (nothing was written)");
    return { password: first, source: "the prompt" };
}

/**
 * What to run next, for Windows and PowerShell 7, in the stack's cloud: Connect-ExchangeOnline, and
 * Connect-IPPSSession when a role reaches Security & Compliance PowerShell, only where it runs (Windows,
 * components/runners.ts) and with the caveat the stack's connectIppsCommand carries. Every value in a
 * PowerShell line is a single-quoted literal made by quote(), the file paths included.
 */
export function nextSteps(r: ExportResult): string {
    const file = (f: Format) => path.join(r.dir, `${r.name}.${f}`);
    const values: ConnectValues = { appId: r.appId, organization: r.organization, thumbprint: r.thumbprint, cloud: r.cloud };
    // Security & Compliance PowerShell only when the stack says a role reaches it (its connectIppsCommand output).
    const ipps = (line: () => string): string[] => (r.securityAndCompliance ? [`  ${withCaveat(line(), COMPLIANCE_CAVEAT)}`] : []);
    const lines = [`Wrote ${r.formats.map(file).join(", ")} (readable by you only).`];
    if (!r.byo && r.formats.length === 1 && r.formats[0] === "cer") {
        // Nothing signs in with a public certificate: no connect line, only what the file is good for.
        lines.push(
            `${r.name}.cer is the public certificate without its private key: upload it where only the public certificate is needed ` +
                "(an app registration in the Entra admin center) or trust it on a machine (Import-Certificate); nothing can sign in with it. " +
                "For the runner, export --format pfx or pem.",
        );
        return `${lines.join("\n")}\n`;
    }
    lines.push("");
    if (r.byo) {
        lines.push(
            "This stack brings its own certificate: its private key stays where the certificate was made, so only the public",
            "certificate was exported. On the runner, use the certificate with its key from that place, then:",
            `  ${connectCommand(values)}`,
            ...ipps(() => connectIppsCommand(values)),
        );
    }
    if (!r.byo && r.formats.includes("pfx")) {
        lines.push(
            "Windows (PowerShell, signed in as the account that runs the script):",
            `  Import-PfxCertificate -FilePath ${quote(file("pfx"))} -CertStoreLocation Cert:\\CurrentUser\\My -Password (Read-Host -AsSecureString -Prompt "PFX password")`,
            `  ${connectCommand(values)}`,
            ...ipps(() => connectIppsCommand(values)),
            "  Then delete the PFX file; the certificate store keeps the key.",
            "",
            "Linux or macOS (PowerShell 7):",
            `  ${connectCommandCrossPlatform(values, file("pfx"))}`,
            ...(r.securityAndCompliance ? [`  No Connect-IPPSSession here (${COMPLIANCE_CAVEAT}).`] : []),
        );
    }
    if (!r.byo && r.formats.includes("pem")) {
        lines.push(
            "",
            "Any OS with PowerShell 7, from the PEM file (its key is not encrypted: keep it readable by the runner only):",
            `  ${connectCommandPemFile(values, file("pem"))}`,
            ...ipps(() => connectIppsCommandPemFile(values, file("pem"))),
        );
    }
    if (lines.some((l) => l.startsWith("  Connect-IPPSSession "))) {
        lines.push(
            "",
            "Connect-IPPSSession is Security & Compliance PowerShell, which a role of this stack reaches; a script runs the lines it needs.",
        );
    }
    if (r.passwordSource !== undefined) lines.push("", `The PFX password is the one from ${r.passwordSource}; it is not stored anywhere.`);
    return `${lines.join("\n")}\n`;
}
