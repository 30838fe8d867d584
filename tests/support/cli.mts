/**
 * Runs the project's command-line tools the way a user does.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../engine/engine.mts";

export interface ToolRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
    readonly ms: number;
}

export interface ToolOptions {
    readonly env?: Readonly<Record<string, string | undefined>>;
    /** Standard input (default: empty). */
    readonly input?: string;
    /**
     * Through `npm run -s <script> --`, or (default) the node command that script runs with the NODE_OPTIONS
     * npm would give it, without npm's start-up. tests/scripts.test.mts runs every script through npm.
     */
    readonly viaNpm?: boolean;
    readonly timeoutMs?: number;
    /** In a new session without a controlling terminal (setsid(2)): opening /dev/tty fails, as on a CI runner. */
    readonly withoutTerminal?: boolean;
}

const scripts = (JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: Record<string, string> })
    .scripts;

/** The NODE_OPTIONS npm gives every script of this project (.npmrc node-options), for running a script's node command directly. */
export const NPM_NODE_OPTIONS = /^node-options=(.*)$/m.exec(fs.readFileSync(path.join(PROJECT_DIR, ".npmrc"), "utf8"))?.[1]?.trim() ?? "";

export function runTool(script: string, args: readonly string[], options: ToolOptions = {}): Promise<ToolRun> {
    const line = scripts[script];
    if (!line?.startsWith("node ")) throw new Error(`package.json has no node script ${script}`);
    const viaNpm = options.viaNpm ?? false;
    const [command, argv] = viaNpm
        ? ["npm", ["run", "-s", script, "--", ...args]]
        : [process.execPath, [...line.split(" ").slice(1), ...args]];
    const started = Date.now();
    return new Promise((resolve, reject) => {
        // Without npm's INIT_CWD (unless a test sets it) relative paths are the project's, wherever npm test ran.
        const env = { ...process.env, INIT_CWD: undefined, ...(viaNpm ? {} : { NODE_OPTIONS: NPM_NODE_OPTIONS }), ...options.env };
        const child = spawn(command, argv, {
            cwd: PROJECT_DIR,
            env,
            stdio: ["pipe", "pipe", "pipe"],
            detached: options.withoutTerminal ?? false,
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        const timer = setTimeout(() => child.kill(), options.timeoutMs ?? 60_000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
        });
        child.stdin.end(options.input ?? "");
    });
}
