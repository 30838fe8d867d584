/**
 * GitHub job summaries (GITHUB_STEP_SUMMARY), for every tool that writes one: text made literal Markdown, and
 * the appending that never costs the result its exit code.
 */
import * as fs from "node:fs";
import { printable } from "../../components/redaction.ts";
import { describeFsError } from "./cli.mts";
import { pathProblem } from "./privatePaths.cjs";
import { hideSecrets } from "./secrets.mts";

/**
 * Text as Markdown shows it literally, on one line: the characters that start emphasis, code, links,
 * images, HTML, headings or table cells are backslash-escaped (CommonMark allows it for any ASCII
 * punctuation), and "://" is broken so no autolink forms.
 */
export function markdown(text: string): string {
    // Secrets first: escaped for Markdown, a password with _ or * would no longer match itself.
    return printable(hideSecrets(text))
        .replace(/[\r\n]+/g, " ")
        .replace(/[\\`*_[\]<>|#!~&]/g, (c) => `\\${c}`)
        .replaceAll("://", "\\://");
}

/**
 * Appends the job summary to `file` (GITHUB_STEP_SUMMARY). The summary reports the result but is not
 * it: a file that cannot be written costs the summary, never the exit code. Returns the warning to print.
 */
export function appendSummary(file: string, summary: string): string | undefined {
    const unsafe = pathProblem(file, `GITHUB_STEP_SUMMARY (${file})`);
    if (unsafe !== undefined) return `not writing the job summary: ${unsafe}`;
    try {
        fs.appendFileSync(file, hideSecrets(summary));
        return undefined;
    } catch (e) {
        return `cannot write the job summary to GITHUB_STEP_SUMMARY (${file}): ${describeFsError(e)}`;
    }
}
