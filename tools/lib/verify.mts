/**
 * npm run verify, the rules: what a stack's outputs must hold, what the certificate and key must
 * satisfy before Entra is asked, what the Exchange Online token must carry, what each failure means
 * and whether waiting can fix it. Reading key files and the call to Entra live in verifyEntra.mts;
 * everything here takes the clock and the token request as arguments, so it is testable as is.
 */
import { type KeyObject, X509Certificate } from "node:crypto";
import { rfc3339, thumbprintOf } from "../../components/certificate.ts";
import { EXCHANGE_ONLINE_APP_ID, MANAGE_AS_APP_ROLE } from "../../components/microsoft.ts";
import { UserError } from "./cli.mts";
import type { StackOutputs } from "./outputs.mts";

/** The outcome of a run; each has its own exit code (README "Check that it works"). */
export type Result = "verified" | "misconfigured" | "invalid-input" | "not-propagated" | "unreachable";

export const EXIT_CODES: Readonly<Record<Result, number>> = {
    verified: 0,
    // Something waiting will not fix: the explanation says what to change.
    misconfigured: 1,
    // Bad flags, outputs or key file: nothing was checked.
    "invalid-input": 2,
    // Still failing the way replication delay looks when --max-wait ran out.
    "not-propagated": 3,
    // Entra could not be reached, or answered something that is not Entra's.
    unreachable: 4,
};

export const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";
/** Exchange Online's resource in the commercial cloud; GCC High uses https://outlook.office365.us. */
export const DEFAULT_RESOURCE = "https://outlook.office365.com";
export const DEFAULT_MAX_WAIT_MS = 15 * 60_000;
export const DEFAULT_FIRST_DELAY_MS = 10_000;
/** Backoff doubles from the first delay up to this. */
export const MAX_DELAY_MS = 2 * 60_000;
/** Connection failures in a row before giving up on reaching Entra at all. */
export const MAX_NETWORK_FAILURES = 3;

export interface DirectoryRole {
    readonly name: string;
    readonly templateId: string;
}

/** What verify needs from a stack's outputs, checked. */
export interface StackFacts {
    readonly appId: string;
    readonly tenantId: string;
    readonly organization: string | undefined;
    readonly thumbprint: string;
    readonly certificate: X509Certificate;
    readonly certificatePem: string;
    /** Self-signed stacks only. */
    readonly privateKeyPem: string | undefined;
    readonly certificateNotAfter: Date;
    readonly directoryRoles: readonly DirectoryRole[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads and cross-checks the outputs; every problem is reported at once in one OutputsError. */
export function stackFacts(outputs: StackOutputs): StackFacts {
    const problems: string[] = [];
    const read = <T,>(f: () => T): T | undefined => {
        try {
            return f();
        } catch (e) {
            if (!(e instanceof UserError)) throw e;
            problems.push(e.message);
            return undefined;
        }
    };
    const guid = (name: "appId" | "tenantId") =>
        read(() => {
            const v = outputs.string(name);
            if (!GUID.test(v)) throw new UserError(`output ${name} should be a GUID (got ${JSON.stringify(v)})`);
            return v;
        });
    const appId = guid("appId");
    const tenantId = guid("tenantId");
    const organization = read(() => outputs.optionalString("organization"));
    const thumbprint = read(() => outputs.string("thumbprint"));
    const certificatePem = read(() => outputs.string("certificatePem"));
    const privateKeyPem = read(() => outputs.optionalString("privateKeyPem"));
    const notAfterText = read(() => outputs.string("certificateNotAfter"));
    const directoryRoles = read(() => rolesOutput(outputs));

    let certificate: X509Certificate | undefined;
    if (certificatePem !== undefined) {
        try {
            certificate = new X509Certificate(certificatePem);
        } catch {
            problems.push("output certificatePem is not a readable PEM certificate");
        }
    }
    if (certificate && thumbprint !== undefined && thumbprintOf(certificate) !== thumbprint.toUpperCase()) {
        problems.push(
            `output thumbprint ${thumbprint} is not the thumbprint of output certificatePem (${thumbprintOf(certificate)}); ` +
                "the outputs do not come from one deployment: read them again with `pulumi stack output --json --show-secrets`",
        );
    }
    let certificateNotAfter: Date | undefined;
    if (notAfterText !== undefined) {
        certificateNotAfter = new Date(notAfterText);
        if (Number.isNaN(certificateNotAfter.getTime())) {
            problems.push(`output certificateNotAfter should be an RFC 3339 date (got ${JSON.stringify(notAfterText)})`);
        }
    }
    if (problems.length > 0) throw new UserError(problems.join("\n"));
    return {
        appId: appId!,
        tenantId: tenantId!,
        organization,
        thumbprint: thumbprint!.toUpperCase(),
        certificate: certificate!,
        certificatePem: certificatePem!,
        privateKeyPem,
        certificateNotAfter: certificateNotAfter!,
        directoryRoles: directoryRoles!,
    };
}

function rolesOutput(outputs: StackOutputs): DirectoryRole[] {
    const value = outputs.raw("directoryRoles");
    if (value === undefined) {
        throw new UserError("the stack has no output directoryRoles; `pulumi up` with this version of exo-cba adds it");
    }
    const shape = 'output directoryRoles should be a list of {"name": ..., "templateId": <GUID>}';
    if (!Array.isArray(value)) throw new UserError(shape);
    return value.map((r: unknown) => {
        const role = r as Record<string, unknown> | null;
        if (
            typeof role !== "object" ||
            role === null ||
            typeof role["name"] !== "string" ||
            typeof role["templateId"] !== "string" ||
            !GUID.test(role["templateId"])
        ) {
            throw new UserError(shape);
        }
        return { name: role["name"], templateId: role["templateId"] };
    });
}

/** The private key to sign with, and where it came from (for messages; never its bytes). */
export interface KeyMaterial {
    readonly key: KeyObject;
    /** "stack output privateKeyPem" or the key file's path. */
    readonly origin: string;
    /** Certificates found next to the key (PFX, or a PEM bundle): named when the key does not match. */
    readonly certificates: readonly X509Certificate[];
}

export type CheckStatus = "pass" | "fail" | "skip";

export interface Check {
    readonly name: string;
    readonly status: CheckStatus;
    readonly detail: string;
}

export interface Cause {
    /** Stable identifier, for scripts reading --json. */
    readonly id: string;
    readonly result: Result;
    readonly summary: string;
    readonly why: string;
    readonly fix: string;
    /** Entra's AADSTS error number, when Entra refused. */
    readonly aadsts?: number;
    /** True when replication delay looks exactly like this: verify waits and tries again. */
    readonly retryable?: boolean;
}

interface Judgement {
    readonly checks: Check[];
    readonly cause?: Cause;
}

/** Before Entra is asked: the certificate is in date, the key is RSA and belongs to the certificate. */
export function checkLocally(facts: StackFacts, key: KeyMaterial, now: Date): Judgement {
    const checks: Check[] = [];
    let cause: Cause | undefined;
    const validTo = new Date(facts.certificate.validTo);
    const notAfter = validTo < facts.certificateNotAfter ? validTo : facts.certificateNotAfter;
    if (notAfter.getTime() <= now.getTime()) {
        checks.push({ name: "certificate", status: "fail", detail: `thumbprint ${facts.thumbprint} expired ${rfc3339(notAfter)}` });
        cause = {
            id: "certificate-expired",
            result: "misconfigured",
            summary: `The certificate expired ${rfc3339(notAfter)}.`,
            why: "Entra refuses an expired certificate, and the application's key credential ended with it.",
            fix:
                "Renew the certificate. Self-signed stack: `pulumi up --replace <urn>` with the exo-cert resource's URN " +
                "(`pulumi stack --show-urns`); a new certificate and credential are made. Your own certificate: " +
                '`pulumi config set exo-cba:certificatePem -- "$(cat new.pem)"`, then `pulumi up`. Then give the scripts the new thumbprint.',
        };
    } else {
        checks.push({ name: "certificate", status: "pass", detail: `thumbprint ${facts.thumbprint}, valid until ${rfc3339(notAfter)}` });
    }

    const type = key.key.asymmetricKeyType;
    if (type !== "rsa") {
        checks.push({ name: "private key", status: "fail", detail: `${type ?? "unknown"} key from ${key.origin}` });
        cause ??= {
            id: "key-not-rsa",
            result: "misconfigured",
            summary: `The private key from ${key.origin} is not an RSA key.`,
            why: "Entra only accepts client assertions signed RS256 or PS256, which need an RSA key.",
            fix: "Use an RSA certificate of at least 2048 bits (exo-cba makes one when exo-cba:certificatePem is empty).",
        };
    } else if (!facts.certificate.checkPrivateKey(key.key)) {
        const alongside = key.certificates.map((c) => thumbprintOf(c));
        const hint =
            alongside.length > 0 ? ` ${key.origin} holds the certificate ${alongside.join(", ")}, the stack ${facts.thumbprint}.` : "";
        checks.push({
            name: "private key",
            status: "fail",
            detail: `from ${key.origin}: does not belong to certificate ${facts.thumbprint}`,
        });
        cause ??= {
            id: "key-mismatch",
            result: "misconfigured",
            summary: `The private key from ${key.origin} does not belong to the stack's certificate.`,
            why:
                "Entra checks the client assertion's signature with the registered certificate's public key, so a " +
                `different key can never sign in.${hint}`,
            fix:
                "Pass the key of this certificate (--key-file), or read the outputs of the right stack. If the certificate " +
                "was replaced, export a new PFX from the current outputs.",
        };
    } else {
        checks.push({
            name: "private key",
            status: "pass",
            detail: `RSA ${key.key.asymmetricKeyDetails?.modulusLength ?? "?"} bits from ${key.origin}, matches the certificate`,
        });
    }
    return cause ? { checks, cause } : { checks };
}

/** The claims verify looks at; the token itself is never kept or shown. */
export interface TokenClaims {
    readonly aud?: unknown;
    readonly tid?: unknown;
    readonly appid?: unknown;
    readonly roles?: unknown;
    readonly wids?: unknown;
    readonly exp?: unknown;
}

/**
 * The payload of a JWT, without checking its signature: the token came straight from Entra over
 * TLS, and only Exchange Online needs to trust it.
 */
export function decodeClaims(token: string): TokenClaims {
    const part = token.split(".")[1];
    if (part === undefined) throw new Error("the access token is not a JWT");
    const payload = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as unknown;
    if (payload === null || typeof payload !== "object") throw new Error("the access token's payload is not a JSON object");
    const p = payload as Record<string, unknown>;
    return { aud: p["aud"], tid: p["tid"], appid: p["appid"], roles: p["roles"], wids: p["wids"], exp: p["exp"] };
}

/** What the Exchange Online token must carry for Connect-ExchangeOnline and its cmdlets to work. */
export function checkToken(claims: TokenClaims, facts: StackFacts, resource: string): Judgement {
    const checks: Check[] = [];
    const causes: Cause[] = [];
    const audiences = [resource, `${resource}/`, EXCHANGE_ONLINE_APP_ID];
    if (typeof claims.aud === "string" && audiences.includes(claims.aud)) {
        checks.push({ name: "audience", status: "pass", detail: claims.aud });
    } else {
        checks.push({ name: "audience", status: "fail", detail: `${show(claims.aud)}, expected ${resource}` });
        causes.push({
            id: "wrong-audience",
            result: "misconfigured",
            summary: `The token is for ${show(claims.aud)}, not Exchange Online (${resource}).`,
            why: "Exchange Online only accepts tokens issued for itself.",
            fix: "In a sovereign cloud, pass its Exchange Online resource with --resource (GCC High: https://outlook.office365.us).",
        });
    }
    if (typeof claims.tid === "string" && claims.tid.toLowerCase() === facts.tenantId.toLowerCase()) {
        checks.push({ name: "tenant", status: "pass", detail: claims.tid });
    } else {
        checks.push({ name: "tenant", status: "fail", detail: `${show(claims.tid)}, expected ${facts.tenantId}` });
        causes.push({
            id: "wrong-tenant",
            result: "misconfigured",
            summary: `The token was issued by tenant ${show(claims.tid)}, not the stack's tenant ${facts.tenantId}.`,
            why: "Exchange Online serves the tenant named in the token; scripts would reach another organisation or none.",
            fix: "Check that the outputs are this tenant's stack and that --authority-host is the tenant's cloud.",
        });
    }
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === "string") : undefined;
    if (roles?.includes(MANAGE_AS_APP_ROLE)) {
        checks.push({ name: MANAGE_AS_APP_ROLE, status: "pass", detail: "in the token's roles: admin consent granted" });
    } else {
        checks.push({
            name: MANAGE_AS_APP_ROLE,
            status: "fail",
            detail: roles === undefined ? "the token has no roles claim" : `not in the token's roles (${roles.join(", ") || "empty"})`,
        });
        causes.push({
            id: "consent-missing",
            result: "not-propagated",
            retryable: true,
            summary: `The token does not carry ${MANAGE_AS_APP_ROLE}: admin consent is missing or has not reached the sign-in service yet.`,
            why:
                "Application permissions appear in the token's roles claim once admin consent is granted; Exchange Online " +
                "answers UnAuthorized without it. A consent granted minutes ago can take a while to show.",
            fix:
                "If `pulumi up` finished a while ago, check that the stack has its exo-consent resource (`pulumi stack --show-urns`), " +
                "or in the Entra admin centre: App registrations → the app → API permissions → Office 365 Exchange Online → " +
                'Exchange.ManageAsApp should say "Granted". Run `pulumi up` to recreate anything missing.',
        });
    }
    const wids = Array.isArray(claims.wids)
        ? claims.wids.filter((w): w is string => typeof w === "string").map((w) => w.toLowerCase())
        : [];
    for (const role of facts.directoryRoles) {
        if (wids.includes(role.templateId.toLowerCase())) {
            checks.push({ name: `role ${role.name}`, status: "pass", detail: `${role.templateId} in the token's wids` });
        } else {
            checks.push({ name: `role ${role.name}`, status: "fail", detail: `${role.templateId} not in the token's wids` });
            causes.push({
                id: "directory-role-missing",
                result: "not-propagated",
                retryable: true,
                summary: `The token does not carry the directory role ${role.name}: it is not assigned, or not yet visible.`,
                why:
                    "Directory roles assigned to the service principal appear in the token's wids claim by template id. Without " +
                    'one, Exchange cmdlets say the application "isn\'t assigned to any management roles". New assignments take minutes.',
                fix:
                    `Check Entra admin centre → Roles and administrators → ${role.name} → Assignments for the application; ` +
                    "run `pulumi up` to recreate a missing assignment (exo-role-… resource).",
            });
        }
    }
    const cause = causes[0];
    return cause ? { checks, cause } : { checks };
}

/** Entra's refusal, as MSAL reports it. */
export interface EntraError {
    /** OAuth error ("invalid_client", "unauthorized_client", ...). */
    readonly error: string;
    readonly aadsts: number | undefined;
    /** The first line of Entra's description, e.g. "AADSTS700016: Application with identifier ...". */
    readonly description: string;
}

export type TokenOutcome =
    | { readonly kind: "token"; readonly accessToken: string }
    | { readonly kind: "entra"; readonly error: EntraError }
    /** `lasting`: a failure trying again will not change (an untrusted TLS certificate). */
    | { readonly kind: "network"; readonly message: string; readonly lasting?: boolean };

/** What an Entra error means for this app, and whether waiting can fix it. */
export function explainEntraError(e: EntraError, facts: StackFacts, authorityHost: string): Cause {
    const base = { aadsts: e.aadsts, result: "misconfigured" as Result };
    switch (e.aadsts) {
        case 700016:
            return {
                ...base,
                id: "application-not-found",
                result: "not-propagated",
                retryable: true,
                summary: `Entra does not know application ${facts.appId} in tenant ${facts.tenantId} (AADSTS700016).`,
                why:
                    "Right after `pulumi up` a new application takes minutes to reach every sign-in server; after that, it means " +
                    "the application is in another tenant, was deleted, or the outputs belong to another stack.",
                fix:
                    "Wait and run again (--max-wait 30m). If it persists, check App registrations in the tenant for this AppId, " +
                    "and that tenantId in the outputs is that tenant.",
            };
        case 700027:
            return {
                ...base,
                id: "certificate-not-registered",
                summary: `Entra does not accept certificate ${facts.thumbprint} for application ${facts.appId} (AADSTS700027).`,
                why: "The certificate is not (or no longer) a key credential of the application: removed or replaced outside Pulumi, or the outputs are another stack's.",
                fix:
                    "Compare App registrations → the app → Certificates & secrets with the thumbprint above. Run `pulumi refresh` " +
                    "then `pulumi up` to register the stack's certificate again. A credential added within the last minute may " +
                    "still be replicating: run again.",
            };
        case 90002:
            return {
                ...base,
                id: "tenant-not-found",
                summary: `Entra at ${authorityHost} does not know tenant ${facts.tenantId} (AADSTS90002).`,
                why: "The tenant id is wrong, the tenant was deleted, or it lives in another cloud.",
                fix: "Check tenantId in the outputs; for a sovereign cloud pass its sign-in host with --authority-host (GCC High: https://login.microsoftonline.us).",
            };
        case 700024:
            return {
                ...base,
                id: "clock-skew",
                summary: "Entra says the client assertion is outside its valid time range (AADSTS700024).",
                why: "The assertion is stamped with this machine's clock, which is off by more than a few minutes.",
                fix: "Synchronise this machine's clock (NTP) and run again.",
            };
        case 500011:
            return {
                ...base,
                id: "exchange-not-in-tenant",
                summary: "The tenant has no Exchange Online service principal (AADSTS500011).",
                why: "Without an Exchange Online subscription there is nothing to grant the token for.",
                fix: "License Exchange Online in the tenant, or for a sovereign cloud pass its resource with --resource.",
            };
        case 7000112:
            return {
                ...base,
                id: "application-disabled",
                summary: `Application ${facts.appId} is disabled (AADSTS7000112).`,
                why: "A disabled enterprise application cannot sign in.",
                fix: "Entra admin centre → Enterprise applications → the app → Properties → Enabled for users to sign in: Yes.",
            };
        case undefined:
        default:
            return {
                ...base,
                id: "entra-refused",
                summary: `Entra refused the sign-in${e.aadsts ? ` (AADSTS${e.aadsts})` : ""}.`,
                why: `Entra's reason, also on the sign-in line: ${e.description || e.error}`,
                fix: e.aadsts
                    ? `Look the code up at https://login.microsoftonline.com/error?code=${e.aadsts}; the application's sign-in logs (Enterprise applications → the app → Sign-in logs) have the details.`
                    : "The application's sign-in logs (Enterprise applications → the app → Sign-in logs) have the details.",
            };
    }
}

export interface Progress {
    readonly attempt: number;
    readonly cause: Cause;
    readonly waitedMs: number;
    readonly nextDelayMs: number;
    readonly maxWaitMs: number;
}

export interface VerifyOptions {
    readonly facts: StackFacts;
    readonly key: KeyMaterial;
    readonly authorityHost: string;
    readonly resource: string;
    readonly maxWaitMs: number;
    readonly firstDelayMs: number;
    /** Asks Entra for a token; called once per attempt. */
    readonly requestToken: () => Promise<TokenOutcome>;
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly onProgress?: (p: Progress) => void;
}

export interface Report {
    readonly result: Result;
    readonly exitCode: number;
    readonly appId: string;
    readonly tenantId: string;
    readonly organization: string | undefined;
    readonly thumbprint: string;
    readonly attempts: number;
    readonly waitedMs: number;
    readonly checks: Check[];
    readonly cause?: Cause;
    /** The claims that were checked (never the token). */
    readonly claims?: TokenClaims;
}

/** Runs the local checks, then asks Entra until the token passes, a cause waiting cannot fix appears, or time runs out. */
export async function verify(o: VerifyOptions): Promise<Report> {
    const now = o.now ?? Date.now;
    const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const started = now();
    const report = (result: Result, checks: Check[], attempts: number, cause?: Cause, claims?: TokenClaims): Report => ({
        result,
        exitCode: EXIT_CODES[result],
        appId: o.facts.appId,
        tenantId: o.facts.tenantId,
        organization: o.facts.organization,
        thumbprint: o.facts.thumbprint,
        attempts,
        waitedMs: now() - started,
        checks,
        ...(cause ? { cause } : {}),
        ...(claims ? { claims } : {}),
    });

    const local = checkLocally(o.facts, o.key, new Date(started));
    if (local.cause) {
        return report(
            local.cause.result,
            [...local.checks, skipped("sign-in", "not attempted: fix the problem above first")],
            0,
            local.cause,
        );
    }

    let delay = o.firstDelayMs;
    let networkFailures = 0;
    for (let attempt = 1; ; attempt++) {
        const outcome = await o.requestToken();
        let judged: Judgement & { claims?: TokenClaims };
        if (outcome.kind === "token") {
            networkFailures = 0;
            let claims: TokenClaims;
            try {
                claims = decodeClaims(outcome.accessToken);
            } catch (e) {
                const cause: Cause = {
                    id: "unreadable-token",
                    result: "unreachable",
                    summary: `The token endpoint answered, but ${(e as Error).message}.`,
                    why: "Entra issues Exchange Online tokens as JWTs; something else answered at --authority-host.",
                    fix: `Check --authority-host (${o.authorityHost}) and any proxy between this machine and Entra.`,
                };
                return report("unreachable", [...local.checks, { name: "sign-in", status: "fail", detail: cause.summary }], attempt, cause);
            }
            const token = checkToken(claims, o.facts, o.resource);
            judged = {
                checks: [
                    { name: "sign-in", status: "pass", detail: `Entra issued an app-only token for ${o.resource} (attempt ${attempt})` },
                    ...token.checks,
                ],
                ...(token.cause ? { cause: token.cause } : {}),
                claims,
            };
        } else if (outcome.kind === "entra") {
            networkFailures = 0;
            const cause = explainEntraError(outcome.error, o.facts, o.authorityHost);
            judged = {
                checks: [
                    { name: "sign-in", status: "fail", detail: outcome.error.description || outcome.error.error },
                    ...skippedTokenChecks(o.facts),
                ],
                cause,
            };
        } else {
            networkFailures++;
            const cause: Cause = {
                id: "entra-unreachable",
                result: "unreachable",
                retryable: !outcome.lasting && networkFailures < MAX_NETWORK_FAILURES,
                summary: `Could not reach Entra at ${o.authorityHost}: ${outcome.message}.`,
                why: "The network, a proxy or the sign-in service is in the way; nothing was learnt about the application.",
                fix:
                    "Check the connection to --authority-host and run again. Behind a proxy, set HTTPS_PROXY and " +
                    "NODE_USE_ENV_PROXY=1 (Node reads proxy variables only then).",
            };
            judged = {
                checks: [{ name: "sign-in", status: "fail", detail: `no answer from ${o.authorityHost}` }, ...skippedTokenChecks(o.facts)],
                cause,
            };
        }

        const checks = [...local.checks, ...judged.checks];
        if (!judged.cause) return report("verified", checks, attempt, undefined, judged.claims);
        const waited = now() - started;
        if (!judged.cause.retryable || waited >= o.maxWaitMs) {
            return report(judged.cause.result, checks, attempt, judged.cause, judged.claims);
        }
        const next = Math.min(delay, o.maxWaitMs - waited);
        o.onProgress?.({ attempt, cause: judged.cause, waitedMs: waited, nextDelayMs: next, maxWaitMs: o.maxWaitMs });
        await sleep(next);
        delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
}

function skipped(name: string, detail: string): Check {
    return { name, status: "skip", detail };
}

function skippedTokenChecks(facts: StackFacts): Check[] {
    const why = "no token";
    return [
        skipped("audience", why),
        skipped("tenant", why),
        skipped(MANAGE_AS_APP_ROLE, why),
        ...facts.directoryRoles.map((r) => skipped(`role ${r.name}`, why)),
    ];
}

const HEADLINES: Readonly<Record<Result, string>> = {
    verified: "VERIFIED",
    misconfigured: "MISCONFIGURED",
    "invalid-input": "INVALID INPUT",
    "not-propagated": "NOT YET PROPAGATED",
    unreachable: "COULD NOT CHECK",
};

export function renderText(r: Report): string {
    const lines: string[] = [];
    lines.push(
        `Checking app-only access for application ${r.appId} in tenant ${r.tenantId}${r.organization ? ` (${r.organization})` : ""}`,
    );
    lines.push("");
    const width = Math.max(...r.checks.map((c) => c.name.length));
    for (const c of r.checks) lines.push(`  ${c.status.toUpperCase().padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`);
    lines.push("");
    if (r.result === "verified") {
        lines.push(
            `${HEADLINES.verified}: the certificate signs in as the application, and the Exchange Online token carries ${MANAGE_AS_APP_ROLE} and every configured role.`,
        );
        lines.push(
            "Connect-ExchangeOnline with this certificate will work. A role assigned minutes ago can take Exchange Online a little longer to honour.",
        );
    } else if (r.cause) {
        const waited =
            r.result === "not-propagated"
                ? ` Waited ${formatDuration(r.waitedMs)} over ${r.attempts} attempt${r.attempts === 1 ? "" : "s"}.`
                : "";
        lines.push(`${HEADLINES[r.result]}: ${r.cause.summary}${waited}`);
        lines.push(`  Why: ${r.cause.why}`);
        lines.push(`  Fix: ${r.cause.fix}`);
    }
    return `${lines.join("\n")}\n`;
}

export function renderJson(r: Report): string {
    const claims = r.claims;
    return `${JSON.stringify(
        {
            result: r.result,
            exitCode: r.exitCode,
            appId: r.appId,
            tenantId: r.tenantId,
            organization: r.organization ?? null,
            thumbprint: r.thumbprint,
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
                      roles: claims.roles ?? null,
                      wids: claims.wids ?? null,
                      exp: claims.exp ?? null,
                  }
                : null,
        },
        null,
        2,
    )}\n`;
}

export function renderProgress(p: Progress): string {
    return `attempt ${p.attempt}: ${p.cause.summary} Trying again in ${formatDuration(p.nextDelayMs)} (waited ${formatDuration(p.waitedMs)} of ${formatDuration(p.maxWaitMs)}).\n`;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "15m", "30s", "1h30m", "250ms" or "0" to milliseconds; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
    if (/^0+$/.test(text)) return 0;
    if (!/^(\d+(ms|s|m|h))+$/.test(text)) return undefined;
    let total = 0;
    for (const m of text.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(m[1]) * UNITS[m[2]];
    return total;
}

export function formatDuration(ms: number): string {
    if (ms < 1000) return `${Math.round(ms)}ms`;
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
}

function show(v: unknown): string {
    return v === undefined ? "(none)" : typeof v === "string" ? v : JSON.stringify(v);
}
