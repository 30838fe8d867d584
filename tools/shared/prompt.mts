/**
 * Asking a person for a secret on a terminal, without echoing it: standard input when it is a terminal the
 * tool has not read, else the controlling terminal (/dev/tty), else nowhere. export-cert asks for the PFX
 * password through it.
 */
import * as fs from "node:fs";
import { createInterface } from "node:readline";
import * as tty from "node:tty";
import { UserError, describeFsError } from "./cli.mts";

/** Where a secret can be asked for: standard input, or the controlling terminal. */
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
 * Reads a line from `where` without echoing it (`secret` names what is asked for in messages, "PFX
 * password"); undefined when there is no terminal. Ctrl-D or Ctrl-C
 * at the prompt (readline closes without an answer) is a UserError: nothing was written.
 */
export function terminalPrompt(where: PromptTerminal | undefined, secret: string): ((prompt: string) => Promise<string>) | undefined {
    if (where === undefined) return undefined;
    return (prompt) => {
        if (where === "stdin") return question(process.stdin, process.stderr, prompt, secret, () => process.stderr.write("\n"));
        // Two descriptors, one per stream: each stream closes its own.
        let input: tty.ReadStream | undefined;
        let output: tty.WriteStream;
        try {
            input = new tty.ReadStream(fs.openSync("/dev/tty", "r"));
            output = new tty.WriteStream(fs.openSync("/dev/tty", "w"));
        } catch (e) {
            input?.destroy();
            return Promise.reject(new UserError(`cannot ask for the ${secret} on /dev/tty: ${describeFsError(e)} (nothing was written)`));
        }
        const opened = input;
        return question(opened, output, prompt, secret, () => {
            opened.destroy();
            output.end("\n");
        });
    };
}

function question(
    input: NodeJS.ReadableStream,
    output: NodeJS.WritableStream,
    prompt: string,
    secret: string,
    done: () => void,
): Promise<string> {
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
            if (answer === undefined) reject(new UserError(`no ${secret} entered; nothing was written`));
            else resolve(answer);
        });
        rl.question(prompt, (typed) => {
            answer = typed;
            rl.close();
        });
    });
}
