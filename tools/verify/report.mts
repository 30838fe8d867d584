/**
 * npm run verify, the output: the report as text or JSON, progress lines, and the JSON of input verify
 * could not use. Every string is passed through oneLine() or printable() on its way out, whoever
 * supplied it (a server's error text, a token's claims, an outputs file, a file name): tokens and
 * private keys are redacted, every secret the run knows (../secrets.mts: each segment of a token or
 * assertion this run sent or received among them) is removed, and terminal control characters are escaped, so nothing printed can rewrite the terminal,
 * forge a result line, or leak a credential.
 */
import { MANAGE_AS_APP_ROLE } from "../../components/microsoft.ts";
import { CLOUDS } from "../../components/clouds.ts";
import { printable, printableLine } from "../../components/redaction.ts";
import { hideSecrets } from "../shared/secrets.mts";
import {
    COMPLIANCE_CMDLET,
    EXCHANGE_CMDLET,
    EXIT_CODES,
    type Report,
    type Result,
    type ServiceFacts,
    type SignInMode,
    type Subject,
    type Progress,
    formatDuration,
} from "./outcome.mts";
import { trustLine } from "./trust.mts";

/**
 * Text a server or a person supplied, for one line of output: tokens and private keys redacted,
 * control characters escaped (newline and tab too, so it cannot start a line of its own), at most
 * `max` characters.
 */
export function oneLine(text: string, max = Infinity): string {
    return printableLine(hideSecrets(text), max);
}

const HEADLINES: Readonly<Record<Result, string>> = {
    verified: "VERIFIED",
    misconfigured: "MISCONFIGURED",
    "invalid-input": "INVALID INPUT",
    "not-propagated": "NOT YET PROPAGATED",
    unreachable: "COULD NOT CHECK",
};

/** "app-only access for application … in tenant … (contoso.onmicrosoft.com)", or the managed identity's. */
function who(s: Subject): string {
    const principal =
        s.managedIdentity !== undefined
            ? `managed identity ${oneLine(s.managedIdentity.name, 80)} (object id ${s.managedIdentity.objectId})`
            : `app-only access for application ${oneLine(s.appId ?? "?")}`;
    const via = s.federatedCredential ? `, signing in with federated credential ${oneLine(s.federatedCredential.name, 80)}` : "";
    const cloud = s.cloud === "global" ? "" : `, ${CLOUDS[s.cloud].title} cloud`;
    return `${principal} in tenant ${oneLine(s.tenantId)}${s.organization ? ` (${oneLine(s.organization)})` : ""}${cloud}${via}`;
}

/**
 * The two lines after VERIFIED: what signed in and what the token carries, and what Exchange answered
 * (with --token-only, what that means for Connect-ExchangeOnline).
 */
function verifiedLines(s: Subject, service: ServiceFacts | undefined): [string, string] {
    const carries = service?.roleGroups
        ? `the Exchange Online token carries ${MANAGE_AS_APP_ROLE}; access comes from Exchange role groups, not directory roles`
        : `the Exchange Online token carries ${MANAGE_AS_APP_ROLE} and every configured role`;
    const signedIn: Record<SignInMode, string> = {
        certificate: "the certificate signs in as the application",
        federated: "the federated token signs in as the application",
        "managed-identity": "the managed identity gets a token on this host",
    };
    const connect: Record<SignInMode, string> = {
        certificate: "Connect-ExchangeOnline with this certificate",
        federated: "Connect-ExchangeOnline -AccessToken with a token obtained this way (module 3.1.0 or later)",
        "managed-identity": "Connect-ExchangeOnline -ManagedIdentity here",
    };
    const first = `${HEADLINES.verified}: ${signedIn[s.mode]}, and ${carries}.`;
    if (service === undefined) {
        return [first, `${connect[s.mode]} will work. A role assigned minutes ago can take Exchange Online a little longer to honour.`];
    }
    const answered =
        service.organization === undefined
            ? `Exchange Online accepted it and ran ${EXCHANGE_CMDLET} for this tenant`
            : `Exchange Online ran ${EXCHANGE_CMDLET} for ${oneLine(service.organization, 120)}`;
    if (service.complianceHost === undefined) return [first, `${answered}: ${connect[s.mode]} works now.`];
    const compliance = `, and Security & Compliance ran ${COMPLIANCE_CMDLET} at ${oneLine(service.complianceHost, 120)}`;
    return [first, `${answered}${compliance}: ${connect[s.mode]} works now, and Connect-IPPSSession the same way.`];
}

export function renderText(r: Report): string {
    const s = r.subject;
    const lines: string[] = [];
    lines.push(s.stack === undefined ? `Checking ${who(s)}` : `Checking stack ${oneLine(s.stack)}: ${who(s)}`);
    const network = trustLine(r.network);
    if (network !== undefined) lines.push(network);
    lines.push("");
    const rows = r.checks.map((c) => ({ status: c.status.toUpperCase(), name: oneLine(c.name), detail: oneLine(c.detail) }));
    const width = Math.max(...rows.map((c) => c.name.length));
    for (const c of rows) lines.push(`  ${c.status.padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`);
    lines.push("");
    if (r.result === "verified") {
        lines.push(...verifiedLines(s, r.service));
    } else if (r.cause) {
        const waited =
            r.result === "not-propagated"
                ? ` Waited ${formatDuration(r.waitedMs)} over ${r.attempts} attempt${r.attempts === 1 ? "" : "s"}.`
                : "";
        lines.push(`${HEADLINES[r.result]}: ${oneLine(r.cause.summary)}${waited}`);
        lines.push(`  Why: ${oneLine(r.cause.why)}`);
        lines.push(`  Fix: ${oneLine(r.cause.fix)}`);
    }
    return `${lines.join("\n")}\n`;
}

export function renderJson(r: Report): string {
    const s = r.subject;
    const claims = r.claims;
    return json({
        result: r.result,
        exitCode: r.exitCode,
        stack: s.stack ?? null,
        mode: s.mode,
        cloud: s.cloud,
        appId: s.appId ?? null,
        tenantId: s.tenantId,
        organization: s.organization ?? null,
        thumbprint: s.thumbprint ?? null,
        federatedCredential: s.federatedCredential ?? null,
        managedIdentity: s.managedIdentity
            ? { name: s.managedIdentity.name, objectId: s.managedIdentity.objectId, clientId: s.managedIdentity.clientId ?? null }
            : null,
        network: { trust: r.network.trust, proxy: r.network.proxy ?? null, notes: r.network.notes },
        exchange: r.service
            ? {
                  organization: r.service.organization ?? null,
                  displayName: r.service.displayName ?? null,
                  complianceHost: r.service.complianceHost ?? null,
                  roleGroups: r.service.roleGroups,
              }
            : null,
        attempts: r.attempts,
        waitedMs: r.waitedMs,
        checks: r.checks,
        cause: r.cause
            ? { id: r.cause.id, aadsts: r.cause.aadsts ?? null, summary: r.cause.summary, why: r.cause.why, fix: r.cause.fix }
            : null,
        claims: claims
            ? {
                  aud: claims.aud ?? null,
                  tid: claims.tid ?? null,
                  appid: claims.appid ?? null,
                  oid: claims.oid ?? null,
                  roles: claims.roles ?? null,
                  wids: claims.wids ?? null,
                  exp: claims.exp ?? null,
              }
            : null,
    });
}

/** For --json when the input was unusable: what scripts need to tell it from a result. */
export function renderInvalidInput(message: string): string {
    return json({ result: "invalid-input", exitCode: EXIT_CODES["invalid-input"], error: message });
}

export function renderProgress(p: Progress): string {
    return `attempt ${p.attempt}: ${oneLine(p.cause.summary)} Trying again in ${formatDuration(p.nextDelayMs)} (waited ${formatDuration(p.waitedMs)} of ${formatDuration(p.maxWaitMs)}).\n`;
}

/** JSON with every string, keys too, made printable (JSON.stringify escapes C0 controls, but not C1, DEL, bidi overrides or tokens). */
function json(value: unknown): string {
    return `${JSON.stringify(printableDeep(value, 0), null, 2)}\n`;
}

/** Claims are the server's JSON: nesting beyond a few levels is cut rather than walked. */
const MAX_DEPTH = 8;

function printableDeep(value: unknown, depth: number): unknown {
    if (typeof value === "string") return printable(hideSecrets(value));
    if (value === null || typeof value !== "object") return value;
    if (depth >= MAX_DEPTH) return "…";
    if (Array.isArray(value)) return value.map((v) => printableDeep(v, depth + 1));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [printable(hideSecrets(k)), printableDeep(v, depth + 1)]));
}
