/**
 * The contract every command-line tool keeps: arguments through node:util parseArgs with --help, the
 * stack-output options, one error type for input a person must fix (carrying its exit code), and one
 * runner that prints any failure as a single line, redacted, without a stack trace.
 */
import * as fs from "node:fs";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { printable, printableLine } from "../../components/redaction.ts";
import { STACK_NAME_RULE, isQualifiedStackName, isStackName } from "../../components/stackNames.ts";
import { openedFileProblem, pathProblem } from "./privatePaths.cjs";
import { hideSecrets, rememberEnvironmentSecrets } from "./secrets.mts";

/** Exit code of every tool for input a person must fix: a flag, a file, stack outputs. Nothing was done. */
export const EXIT_INVALID_INPUT = 2;
/** Exit code for a failure nobody could fix by changing the input (a bug): also one line, no stack trace. */
export const EXIT_INTERNAL = 70;
/** Exit code when what the tool prints cannot be written (sysexits EX_IOERR): no result was delivered. */
export const EXIT_OUTPUT_FAILED = 74;

/** A problem with the input, worded for the person who supplied it. The runner prints `error: <message>`. */
export class UserError extends Error {
    readonly exitCode: number;
    constructor(message: string, exitCode: number = EXIT_INVALID_INPUT) {
        super(message);
        this.exitCode = exitCode;
    }
}

const HELP = { help: { type: "boolean", short: "h", default: false } } as const;

export type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<
    typeof parseArgs<{ args: string[]; options: O & typeof HELP; strict: true }>
>["values"];

/** The parsed values, or undefined after --help (the usage was printed). A malformed argument throws UserError. */
export function commandLine<O extends ParseArgsOptionsConfig>(argv: string[], options: O, usage: string): Parsed<O> | undefined {
    return commandLineWithArguments(argv, options, usage, { max: 0, what: "" })?.values;
}

/**
 * commandLine() for a tool that also takes up to `max` arguments that are not options (`what` names
 * them in the refusal of more); after `--` every argument is one, and so is `-`.
 */
export function commandLineWithArguments<O extends ParseArgsOptionsConfig>(
    argv: string[],
    options: O,
    usage: string,
    positionals: { readonly max: number; readonly what: string },
): { values: Parsed<O>; positionals: string[] } | undefined {
    let values: Parsed<O>;
    let rest: string[];
    const all: ParseArgsOptionsConfig = { ...options, ...HELP };
    try {
        const parsed = parseArgs({ args: argv, options: all, strict: true, tokens: true, allowPositionals: positionals.max > 0 });
        values = parsed.values as Parsed<O>;
        rest = parsed.positionals;
        // parseArgs keeps the last of a repeated option; two different values would be a silent guess.
        const seen = new Set<string>();
        for (const token of parsed.tokens) {
            if (token.kind !== "option" || all[token.name]?.multiple) continue;
            if (seen.has(token.name))
                throw new UserError(`--${token.name} is given more than once; give it once (--help lists the options)`);
            seen.add(token.name);
        }
    } catch (e) {
        if (e instanceof UserError) throw e;
        // node:util's first line says what is wrong ("Unknown option '--x'"), and where positional arguments are
        // allowed it adds how to pass one starting with "-": --help has the rest.
        const first = ((e as Error).message.split("\n")[0] ?? "").replace(/\. To specify a positional argument starting with a '-'.*$/, "");
        throw new UserError(`${first.replace(/\.$/, "")} (--help lists the options)`);
    }
    if ((values as { help?: boolean }).help) {
        process.stdout.write(usage);
        return undefined;
    }
    if (rest.length > positionals.max) {
        throw new UserError(
            `expected at most ${positionals.max === 1 ? "one argument" : `${positionals.max} arguments`}, ${positionals.what} (got ${rest.length}; --help lists the options)`,
        );
    }
    return { values, positionals: rest };
}

/**
 * Where a tool reads a deployed stack's outputs. One contract for every tool:
 *   --stack <name>            alone: `pulumi stack output --json --stack <name>` (--show-secrets when needed)
 *   --outputs-file <file|->   that JSON from a file or standard input; with --stack, the name only labels it
 */
export const OUTPUT_OPTIONS = {
    stack: { type: "string" },
    "outputs-file": { type: "string" },
} as const;

/** `secrets`: always, never, or "when-needed" (only some of the tool's modes read the private key). */
export function outputOptionsUsage(secrets: boolean | "when-needed"): string {
    const command = `pulumi stack output --json${secrets === true ? " --show-secrets" : secrets === "when-needed" ? " [--show-secrets]" : ""}`;
    return (
        `  --stack <name>            the stack: its outputs are read with \`${command} --stack <name>\`\n` +
        "  --outputs-file <file|->   read that JSON from a file, or from standard input with -, where the Pulumi CLI\n" +
        "                            is elsewhere; --stack then only names the stack\n"
    );
}

/** Checks a --stack value; a qualified name (org/project/stack) only where `qualified` allows it. */
export function stackName(value: string, qualified = true): string {
    if (qualified ? isQualifiedStackName(value) : isStackName(value)) return value;
    throw new UserError(
        `--stack must be a stack name: ${STACK_NAME_RULE}` +
            `${qualified ? ", optionally as org/project/stack" : ""} (got ${JSON.stringify(printable(value).slice(0, 120))})`,
    );
}

/**
 * Runs a tool's main function and sets the exit code. A UserError prints its one-line message and
 * exit code; anything else is a bug and prints one line too. Everything the tool writes to either
 * stream goes through the run's secrets (secrets.mts: the PFX passwords and credentials of the
 * environment, registered here before the arguments are read, and whatever the tool learns later);
 * messages are also redacted by shape (private keys, tokens) and control characters escaped, whatever
 * they quote.
 */
export async function runTool(main: (argv: string[]) => Promise<number>): Promise<void> {
    const argv = process.argv.slice(2);
    for (const stream of [process.stdout, process.stderr]) hideSecretsIn(stream);
    try {
        rememberEnvironmentSecrets(argv, process.env);
    } catch (e) {
        // Nothing is printed before the secrets are known: a failure here ends the run without output of the tool's.
        process.stderr.write(`error: unexpected failure (${printableLine((e as Error).message ?? String(e))}); please report it\n`);
        process.exitCode = EXIT_INTERNAL;
        return;
    }
    // npm runs a script in the project's directory and says in INIT_CWD where the person typed the command:
    // relative paths in arguments (--out, --outputs-file, ...) are theirs.
    const invokedIn = process.env["INIT_CWD"];
    if (invokedIn) {
        try {
            process.chdir(invokedIn);
        } catch {
            // A directory removed since: relative paths stay relative to the project.
        }
    }
    let outputFailed = false;
    // A reader that goes away (`| head -1`) is no failure of the tool: stop writing, keep the exit code. Any
    // other failure to write (a full disk, /dev/full) is one line on standard error, when that still works,
    // and its own exit code, so that no result is taken for one that could not be written.
    for (const stream of [process.stdout, process.stderr]) {
        stream.on("error", (e: NodeJS.ErrnoException) => {
            if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") return;
            outputFailed = true;
            process.exitCode = EXIT_OUTPUT_FAILED;
            if (stream === process.stdout) {
                try {
                    fs.writeSync(2, `error: cannot write standard output (${describeFsError(e)})\n`);
                } catch {
                    // Standard error is gone too: the exit code says it.
                }
            }
        });
    }
    try {
        const code = await main(argv);
        process.exitCode = outputFailed ? EXIT_OUTPUT_FAILED : code;
    } catch (e) {
        if (e instanceof UserError) {
            process.stderr.write(`error: ${printableLine(e.message)}\n`);
            process.exitCode = e.exitCode;
        } else {
            const message = e instanceof Error ? e.message : String(e);
            process.stderr.write(`error: unexpected failure (${printableLine(message.split("\n")[0] ?? "")}); please report it\n`);
            process.exitCode = EXIT_INTERNAL;
        }
    }
}

/** Makes every write to `stream` pass through hideSecrets(), whoever writes (the tool, a library, console). */
function hideSecretsIn(stream: NodeJS.WriteStream): void {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
        const text = typeof chunk === "string" ? chunk : Buffer.isBuffer(chunk) ? chunk.toString("utf8") : undefined;
        return write(text === undefined ? chunk : hideSecrets(text), ...rest);
    };
}

/**
 * The text of a file a person gave: UTF-8, with or without a byte order mark, or UTF-16 with one (what
 * Windows PowerShell 5.1's `>` writes). UTF-16 without a byte order mark, and bytes that are not valid in
 * the encoding, are named rather than read with replacement characters in place of what the file holds.
 */
export function decodeText(data: Buffer, what: string): string {
    const decode = (encoding: "utf-8" | "utf-16le" | "utf-16be", body: Buffer, name: string) => {
        try {
            return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
        } catch {
            throw new UserError(`${what} is not valid ${name}; save it as UTF-8 (Out-File -Encoding utf8)`);
        }
    };
    if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) return decode("utf-8", data.subarray(3), "UTF-8");
    if (data[0] === 0xff && data[1] === 0xfe) return decode("utf-16le", data.subarray(2), "UTF-16");
    if (data[0] === 0xfe && data[1] === 0xff) return decode("utf-16be", data.subarray(2), "UTF-16");
    if (data.length >= 2 && (data[0] === 0 || data[1] === 0)) {
        throw new UserError(`${what} looks like UTF-16 without a byte order mark; save it as UTF-8 (Out-File -Encoding utf8)`);
    }
    return decode("utf-8", data, "UTF-8");
}

/**
 * Reads a file a person named (`what` says which option, for messages), refusing a directory, a missing
 * file and anything larger than `maxBytes` (reading stops there: /dev/zero or a pasted disk image cannot
 * exhaust memory). "-" reads standard input under the same limit.
 */
export async function readInputFile(file: string, what: string, maxBytes: number): Promise<Buffer> {
    const limit = `${what} is larger than ${formatBytes(maxBytes)}; is it the right file?`;
    if (file === "-") {
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of process.stdin) {
            size += (chunk as Buffer).length;
            if (size > maxBytes) throw new UserError(`standard input for ${limit}`);
            chunks.push(chunk as Buffer);
        }
        return Buffer.concat(chunks);
    }
    refuseSharedPath(file, `${what} ${file}`);
    let fd: number;
    try {
        fd = fs.openSync(file, "r");
    } catch (e) {
        throw new UserError(`cannot read ${what} ${file}: ${describeFsError(e)}`);
    }
    try {
        const stat = fs.fstatSync(fd);
        if (stat.isDirectory()) throw new UserError(`${what} ${file} is a directory, not a file`);
        // Checked again on what was opened: another account could have put a file there since the path was checked.
        const opened = openedFileProblem(stat, `${what} ${file}`);
        if (opened !== undefined)
            throw new UserError(
                `${opened}, so another account could have put it there or could change it; use a directory only you can write`,
            );
        const buffer = Buffer.alloc(maxBytes + 1);
        let size = 0;
        for (;;) {
            const n = fs.readSync(fd, buffer, size, buffer.length - size, null);
            if (n === 0) break;
            size += n;
            if (size > maxBytes) throw new UserError(`${what} ${file}: ${limit}`);
        }
        return buffer.subarray(0, size);
    } catch (e) {
        if (e instanceof UserError) throw e;
        throw new UserError(`cannot read ${what} ${file}: ${describeFsError(e)}`);
    } finally {
        fs.closeSync(fd);
    }
}

/**
 * Refuses a file or directory a person named when another account owns or can write it or a directory on
 * the way to it (privatePaths.cjs, the project's one rule for shared places such as /tmp): what is read
 * there could have been planted, and what is written there could be swapped or read. `what` names the
 * option and the path, as the message starts.
 */
export function refuseSharedPath(file: string, what: string): void {
    const problem = pathProblem(file, what);
    if (problem !== undefined) {
        throw new UserError(
            `${problem}, so another account could have put it there or could change it; use a directory only you can write`,
        );
    }
}

/** A file system error in a few words ("no such file", "permission denied", ...), never a stack. */
export function describeFsError(e: unknown): string {
    const code = (e as NodeJS.ErrnoException).code;
    const known: Record<string, string> = {
        ENOENT: "no such file",
        EACCES: "permission denied",
        EPERM: "operation not permitted",
        EISDIR: "it is a directory",
        ENOTDIR: "a part of the path is not a directory",
        ELOOP: "too many symbolic links",
        EEXIST: "it already exists",
        ENOSPC: "no space left on the device",
        EROFS: "read-only file system",
    };
    return (code && known[code]) ?? code ?? (e instanceof Error ? e.message : String(e));
}

function formatBytes(n: number): string {
    return n >= 1024 * 1024 ? `${n / 1024 / 1024} MiB` : `${n / 1024} KiB`;
}
