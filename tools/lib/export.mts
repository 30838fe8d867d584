/**
 * npm run export-cert, the work: which files to write from a stack's outputs, writing them all or none,
 * and the PowerShell lines that use them, for the stack's cloud. tools/export-cert.mts parses the
 * arguments and calls this.
 */
import { X509Certificate, createPrivateKey, createPublicKey, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import * as tty from "node:tty";
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
import { hasControlCharacters, show } from "../../components/redaction.ts";
import { UserError, describeFsError, refuseSharedPath, stackName } from "./cli.mts";
import { type StackOutputs, need } from "./outputs.mts";
import { buildPfx } from "./pfx.mts";
import { PFX_PASSWORD_VARIABLE } from "./secrets.mts";

export type Format = "cer" | "pem" | "pfx";
export const FORMATS: readonly Format[] = ["cer", "pem", "pfx"];

/**
 * Exit code when a write failed and not everything could be put back as it was: the message names
 * each file that differs and where its previous content is. Exit 2 (invalid input) means nothing changed.
 */
export const EXIT_INCOMPLETE = 1;

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

/** The calls replaceFiles makes to move files; tests substitute them to fail at a chosen step. */
export interface ReplaceOperations {
    readonly rename: (from: string, to: string) => void;
    readonly link: (existing: string, newPath: string) => void;
}

export const FILE_SYSTEM: ReplaceOperations = { rename: fs.renameSync, link: fs.linkSync };

interface Target {
    readonly target: string;
    /** The new content's temporary name, beside the target. */
    readonly temporary: string;
    /** Whether this process created the temporary file (and so may remove it). */
    created: boolean;
    /** A second name for the previous file, while the new files are moved in. */
    backup: string | undefined;
    /** The previous file was renamed away (not linked): the target name is free until the new file arrives. */
    moved: boolean;
    /** The new file is in place. */
    replaced: boolean;
}

/**
 * Writes every file or none. Each new file goes to a temporary name beside its target first, created
 * exclusively with mode 600 (so it is never readable by others, and a link planted at that name is not
 * followed). Then each existing target gets a second name (a hard link, or a rename where links are not
 * possible), which also finds a target that cannot be replaced (an immutable file) before anything
 * changed. Only then are the new files renamed into place, each rename atomic. When one fails, the
 * files already replaced get their previous content back and the temporary files are removed; the
 * error says whether that worked, and where a previous file is if it could not be put back. Without
 * `force`, a target that appeared since checkTargets stops it like any other failure.
 */
export function replaceFiles(
    files: ReadonlyMap<string, Buffer>,
    force: boolean,
    operations: ReplaceOperations = FILE_SYSTEM,
): { warnings: string[] } {
    const targets: Target[] = [...files.keys()].map((target) => ({
        target,
        temporary: sibling(target, "new"),
        created: false,
        backup: undefined,
        moved: false,
        replaced: false,
    }));

    for (const t of targets) {
        try {
            writeNew(t, files.get(t.target)!);
        } catch (e) {
            throw failure(`cannot write ${t.target}: ${describeFsError(e)}`, undo(targets, operations));
        }
    }
    for (const t of targets) {
        try {
            const found = fs.lstatSync(t.target, { throwIfNoEntry: false });
            if (found === undefined) continue;
            // checkTargets ran before the password prompt; a file may have appeared since.
            if (!force) throw Object.assign(new Error("it exists now"), { code: "EEXIST" });
            if (found.isDirectory()) throw Object.assign(new Error("a directory now"), { code: "EISDIR" });
            const backup = sibling(t.target, "old");
            if (found.isFile()) {
                try {
                    operations.link(t.target, backup);
                } catch {
                    operations.rename(t.target, backup);
                    t.moved = true;
                }
            } else if (found.isSymbolicLink()) {
                // A symbolic link is renamed, never linked: some systems' link() would follow it.
                operations.rename(t.target, backup);
                t.moved = true;
            } else {
                throw new Error("it is not a regular file");
            }
            t.backup = backup;
        } catch (e) {
            throw failure(`cannot replace ${t.target}: ${describeFsError(e)}`, undo(targets, operations));
        }
    }
    for (const t of targets) {
        try {
            operations.rename(t.temporary, t.target);
            t.replaced = true;
        } catch (e) {
            throw failure(`cannot replace ${t.target}: ${describeFsError(e)}`, undo(targets, operations));
        }
    }

    const warnings: string[] = [];
    for (const t of targets) {
        if (t.backup !== undefined && !remove(t.backup)) {
            warnings.push(`the previous content of ${t.target} is still in ${t.backup}; delete it (it may hold the previous private key)`);
        }
    }
    syncDirectories(targets.map((t) => path.dirname(t.target)));
    return { warnings };
}

/** A hidden name beside `file`, unique to this attempt. */
function sibling(file: string, kind: "new" | "old"): string {
    return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.${kind}`);
}

function writeNew(t: Target, data: Buffer): void {
    // "wx": O_CREAT | O_EXCL, so an existing file or link at this name is an error, never overwritten or followed.
    const fd = fs.openSync(t.temporary, "wx", 0o600);
    t.created = true;
    try {
        // The umask can only take bits away from 600; this makes it exactly 600 whatever the umask.
        fs.fchmodSync(fd, 0o600);
        fs.writeFileSync(fd, data);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
}

interface Undone {
    /** Targets that are not as they were, each with where its previous content is. */
    readonly changed: string[];
    /** Files of ours that could not be removed. */
    readonly leftovers: string[];
}

/** Puts every target back as it was and removes the temporary files; reports what it could not do. */
function undo(targets: Target[], operations: ReplaceOperations): Undone {
    const changed: string[] = [];
    const leftovers: string[] = [];
    for (const t of targets) {
        if (t.replaced) {
            if (t.backup !== undefined) {
                try {
                    operations.rename(t.backup, t.target);
                } catch (e) {
                    changed.push(
                        `${t.target} is the new file (${describeFsError(e)} putting the previous one back, which is in ${t.backup})`,
                    );
                }
            } else if (!remove(t.target)) {
                changed.push(`${t.target} was written and could not be removed`);
            }
            continue;
        }
        if (t.backup !== undefined) {
            if (t.moved) {
                try {
                    operations.rename(t.backup, t.target);
                } catch (e) {
                    changed.push(`${t.target} is missing (${describeFsError(e)} putting it back; it is in ${t.backup})`);
                }
            } else if (!remove(t.backup)) {
                // The target is still the previous file; this is a second name for it.
                leftovers.push(t.backup);
            }
        }
        if (t.created && !remove(t.temporary)) leftovers.push(t.temporary);
    }
    return { changed, leftovers };
}

function failure(what: string, undone: Undone): UserError {
    if (undone.changed.length === 0 && undone.leftovers.length === 0) {
        return new UserError(`${what}; nothing was changed (the files that were there are as they were)`);
    }
    const parts = [what];
    if (undone.changed.length > 0) parts.push(`not everything could be put back: ${undone.changed.join("; ")}`);
    else parts.push("the files that were there are as they were");
    if (undone.leftovers.length > 0) parts.push(`left behind, delete: ${undone.leftovers.join(", ")}`);
    return new UserError(parts.join(". "), EXIT_INCOMPLETE);
}

function remove(file: string): boolean {
    try {
        fs.rmSync(file, { force: true });
        return true;
    } catch {
        return false;
    }
}

/** Makes the renames durable; a file system that cannot sync a directory (Windows) is left to itself. */
function syncDirectories(dirs: string[]): void {
    for (const dir of new Set(dirs)) {
        try {
            const fd = fs.openSync(dir, "r");
            try {
                fs.fsyncSync(fd);
            } finally {
                fs.closeSync(fd);
            }
        } catch {
            // Best effort: the files are complete either way.
        }
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

/** Where the PFX password can be asked for: standard input, or the controlling terminal. */
export type PromptTerminal = "stdin" | "/dev/tty";

/**
 * Standard input when it is a terminal that --outputs-file - has not read to its end. Otherwise the
 * process's controlling terminal, /dev/tty, when it has one: the outputs may come through a pipe
 * (`pulumi stack output --json --show-secrets | npm run export-cert -- --outputs-file -`) from a person
 * at a terminal, and ssh, sudo and gpg ask there for the same reason. Otherwise nowhere: a scheduled
 * job or a CI runner gets the one-line error that names the variable.
 */
export function promptTerminal(
    stdinIsTerminal: boolean,
    stdinRead: boolean,
    hasControllingTerminal: () => boolean,
): PromptTerminal | undefined {
    if (stdinIsTerminal && !stdinRead) return "stdin";
    return hasControllingTerminal() ? "/dev/tty" : undefined;
}

/** Whether /dev/tty opens for reading and writing: false without a controlling terminal (ENXIO) and on Windows. */
export function hasControllingTerminal(): boolean {
    try {
        fs.closeSync(fs.openSync("/dev/tty", "r+"));
        return true;
    } catch {
        return false;
    }
}

/**
 * Reads a line from `where` without echoing it; undefined when there is no terminal. Ctrl-D or Ctrl-C
 * at the prompt (readline closes without an answer) is a UserError: nothing was written.
 */
export function terminalPrompt(where: PromptTerminal | undefined): ((prompt: string) => Promise<string>) | undefined {
    if (where === undefined) return undefined;
    return (prompt) => {
        if (where === "stdin") return question(process.stdin, process.stderr, prompt, () => process.stderr.write("\n"));
        // Two descriptors, one per stream: each stream closes its own.
        let input: tty.ReadStream | undefined;
        let output: tty.WriteStream;
        try {
            input = new tty.ReadStream(fs.openSync("/dev/tty", "r"));
            output = new tty.WriteStream(fs.openSync("/dev/tty", "w"));
        } catch (e) {
            input?.destroy();
            return Promise.reject(
                new UserError(`cannot ask for the PFX password on /dev/tty: ${describeFsError(e)} (nothing was written)`),
            );
        }
        const opened = input;
        return question(opened, output, prompt, () => {
            opened.destroy();
            output.end("\n");
        });
    };
}

function question(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, prompt: string, done: () => void): Promise<string> {
    return new Promise((resolve, reject) => {
        const rl = createInterface({ input, output, terminal: true });
        // readline echoes what is typed through _writeToOutput; only the prompt itself gets through.
        const hooked = rl as unknown as { _writeToOutput: (s: string) => void };
        const write = hooked._writeToOutput.bind(rl);
        hooked._writeToOutput = (s: string) => write(s.startsWith(prompt) ? prompt : "");
        let answer: string | undefined;
        // readline closes on Ctrl-D at an empty line, and on Ctrl-C when nothing listens for its SIGINT event.
        rl.on("close", () => {
            done();
            if (answer === undefined) reject(new UserError("no PFX password entered; nothing was written"));
            else resolve(answer);
        });
        rl.question(prompt, (typed) => {
            answer = typed;
            rl.close();
        });
    });
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
