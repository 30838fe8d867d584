/**
 * npm run check-expiry, the rules: every certificate a stack registered, judged at `now` on the active
 * one, from outputs read strictly and cross-checked by components/outputs.ts (a hostile, corrupted or
 * stitched outputs file must not silence the alarm), and rendered for a terminal, as JSON, or as a GitHub
 * job summary.
 */
import { rfc3339 } from "../../components/certificate.ts";
import { type ExpiryState, describeExpiry, describeRetirement, expiryStatus } from "../../components/rotation.ts";
import type { RegisteredCertificate } from "../../components/outputs.ts";
import { printable, printableJson, printableLine, show } from "../../components/redaction.ts";
import { SETTINGS } from "../../components/settings.ts";
import { renewBeforeDaysProblem } from "../../components/rules/values.ts";
import { UserError } from "../shared/cli.mts";
import { markdown } from "../shared/jobSummary.mts";
import type { StackOutputs } from "../shared/stackOutputs.mts";

/** Exit codes: the result, or EXIT_INVALID_INPUT (2, cli.mts) when the outputs or flags are unusable. */
export const EXPIRY_EXIT: Readonly<Record<ExpiryState, number>> = { ok: 0, renew: 1, expired: 3 };

/** One item of the `certificates` output (components/outputs.ts), judged. */
export interface CheckedCertificate extends Pick<RegisteredCertificate, "name" | "thumbprint" | "notAfter" | "active"> {
    readonly daysLeft: number;
    readonly state: ExpiryState;
}

export interface ExpiryReport {
    readonly stack: string;
    readonly checkedAt: string;
    readonly renewBeforeDays: number;
    readonly result: ExpiryState;
    readonly message: string;
    readonly certificates: CheckedCertificate[];
}

/** The renewal window a person asked for with --renew-before-days. */
export function renewWindow(text: string): number {
    // Digits only: Number() would also read "", " 7", "0x10" and "1e2".
    const days = /^[0-9]{1,9}$/.test(text) ? Number(text) : text;
    const problem = renewBeforeDaysProblem(days);
    if (problem !== undefined) throw new UserError(`--renew-before-days ${problem}`);
    return days as number;
}

/** Judges a stack's certificates at `now` (outputs read and cross-checked by readOutputs); pure apart from its inputs. */
export function checkExpiry(outputs: StackOutputs, stack: string, now: Date, renewBeforeDays?: number): ExpiryReport {
    const windowDays = renewBeforeDays ?? outputs.renewBeforeDays ?? SETTINGS.renewBeforeDays.default;
    const listed = outputs.certificates;
    if (listed.length === 0) {
        // exo-cba:certificates [] (federated credentials) or exo-cba:application false (managed identities).
        return {
            stack,
            checkedAt: rfc3339(now),
            renewBeforeDays: windowDays,
            result: "ok",
            message:
                "This stack has no certificate: its runners sign in with federated credentials or managed identities, which do not expire. Nothing to renew.",
            certificates: [],
        };
    }
    const certificates = listed.map((c) => {
        const status = expiryStatus(c.notAfter, now, c.active ? windowDays : 0);
        return {
            name: c.name,
            thumbprint: c.thumbprint,
            notAfter: c.notAfter,
            active: c.active,
            daysLeft: status.daysLeft,
            state: status.state,
        };
    });
    // The outputs mark exactly one certificate active (components/outputs.ts: the newest, in lists from before the flag).
    const active = certificates.find((c) => c.active)!;
    const status = expiryStatus(active.notAfter, now, windowDays);
    const older = certificates.filter((c) => !c.active && c.state === "expired");
    // show(): quoted, escaped and shortened, so a name of any length or content stays one short clause.
    const message = [
        describeExpiry(`The active certificate ${show(active.name)} (thumbprint ${active.thumbprint})`, status),
        ...older.map((c) => describeRetirement(`The older certificate ${show(c.name)}`, expiryStatus(c.notAfter, now, 0))),
        // A customer stack lists its home's certificates as of its own last `pulumi up`: the home rotates them.
        ...(outputs.home === undefined
            ? []
            : [
                  `These are the home stack's certificates (${show(outputs.home)}), as of this stack's last pulumi up: rotate there, and watch that stack.`,
              ]),
    ].join(" ");
    return { stack, checkedAt: rfc3339(now), renewBeforeDays: windowDays, result: status.state, message, certificates };
}

/** A name from the outputs as one short line (a line break in it would start a forged row). */
function oneLine(text: string): string {
    return printableLine(text, 80);
}

export function renderText(r: ExpiryReport): string {
    const lines = [`Certificates of stack ${printable(r.stack)}, checked ${r.checkedAt} (renewal window ${r.renewBeforeDays} days):`];
    const names = r.certificates.map((c) => `${oneLine(c.name)}${c.active ? " (active)" : ""}`);
    const width = Math.max(0, ...names.map((n) => n.length));
    r.certificates.forEach((c, i) => {
        const state = c.state === "ok" ? "ok" : c.state === "renew" ? "RENEW" : "EXPIRED";
        lines.push(`  ${names[i].padEnd(width)}  ${c.thumbprint}  until ${c.notAfter}  ${String(c.daysLeft).padStart(5)} days  ${state}`);
    });
    lines.push("", printable(r.message));
    return `${lines.join("\n")}\n`;
}

/** JSON.stringify leaves bidirectional and invisible characters raw; printableJson writes them as \uXXXX, which parses back the same. */
export function renderJson(r: ExpiryReport): string {
    return `${printableJson(r, 2)}\n`;
}

/** A GitHub job summary (Markdown): every value a stack's outputs supplied is escaped, so none can add links, HTML or rows. */
export function renderSummary(r: ExpiryReport): string {
    const icon = r.result === "ok" ? "✅" : r.result === "renew" ? "⚠️" : "❌";
    const rows = r.certificates.map(
        (c) =>
            `| ${markdown(oneLine(c.name))}${c.active ? " (active)" : ""} | \`${c.thumbprint}\` | ${markdown(c.notAfter)} | ${c.daysLeft} | ${c.state} |`,
    );
    return [
        `### ${icon} Certificate expiry: tenant stack ${/^[\w./-]+$/.test(r.stack) ? `\`${r.stack}\`` : markdown(r.stack)} (${r.checkedAt.slice(0, 10)})`,
        "",
        markdown(r.message),
        "",
        ...(rows.length === 0 ? [] : ["| Certificate | Thumbprint | Valid until | Days left | State |", "|---|---|---|---|---|", ...rows]),
        "",
    ].join("\n");
}
