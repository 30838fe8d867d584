/**
 * Argument parsing shared by the command-line tools: node:util parseArgs with --help built in and
 * one way of reporting a bad argument.
 */
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

const HELP = { help: { type: "boolean", short: "h", default: false } } as const;

export type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<
    typeof parseArgs<{ args: string[]; options: O & typeof HELP; strict: true }>
>["values"];

/**
 * The parsed values, or the exit code to stop with: 0 after printing `usage` for --help, `usageExit`
 * after an unknown or malformed argument (reported on stderr with the usage).
 */
export function commandLine<O extends ParseArgsOptionsConfig>(
    argv: string[],
    options: O,
    usage: string,
    usageExit: number,
): { values: Parsed<O> } | { exit: number } {
    let values: Parsed<O>;
    try {
        values = parseArgs({ args: argv, options: { ...options, ...HELP }, strict: true }).values;
    } catch (e) {
        process.stderr.write(`error: ${(e as Error).message}\n\n${usage}`);
        return { exit: usageExit };
    }
    if ((values as { help?: boolean }).help) {
        process.stdout.write(usage);
        return { exit: 0 };
    }
    return { values };
}
