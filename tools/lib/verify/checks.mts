/**
 * npm run verify, the checks: before Entra is asked (the certificate is in date, the key belongs to
 * it), and on the token Entra issued (audience, tenant, Exchange.ManageAsApp, directory roles). Pure:
 * the clock and the claims are arguments. What an Entra refusal means is in entraErrors.mts.
 */
import { rfc3339, thumbprintOf } from "../../../components/certificate.ts";
import { ROTATION_ADVICE } from "../../../components/expiry.ts";
import { EXCHANGE_ONLINE_APP_ID, MANAGE_AS_APP_ROLE } from "../../../components/microsoft.ts";
import type { KeyMaterial } from "./keys.mts";
import type { Cause, Check, Judgement, TokenClaims } from "./outcome.mts";
import { oneLine } from "./render.mts";
import type { DirectoryRole, StackFacts } from "./stack.mts";

/** Before Entra is asked: the certificate is in date and the key belongs to it (keys.mts already refused a non-RSA key). */
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
            fix: `${ROTATION_ADVICE} Then give the scripts the new thumbprint.`,
        };
    } else {
        checks.push({ name: "certificate", status: "pass", detail: `thumbprint ${facts.thumbprint}, valid until ${rfc3339(notAfter)}` });
    }

    if (!facts.certificate.checkPrivateKey(key.key)) {
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

/**
 * The payload of a JWT, without checking its signature: the token came straight from Entra over
 * TLS, and only Exchange Online needs to trust it. Throws an Error worded for a summary.
 */
export function decodeClaims(token: string): TokenClaims {
    const part = token.split(".")[1];
    if (part === undefined) throw new Error("the access token is not a JWT");
    let payload: unknown;
    try {
        payload = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    } catch {
        throw new Error("the access token's payload is not JSON");
    }
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
        throw new Error("the access token's payload is not a JSON object");
    }
    const p = payload as Record<string, unknown>;
    return { aud: p["aud"], tid: p["tid"], appid: p["appid"], roles: p["roles"], wids: p["wids"], exp: p["exp"] };
}

/** What the token must carry, whoever signed in. */
export interface TokenExpectation {
    /** Exchange Online's resource, e.g. https://outlook.office365.com. */
    readonly resource: string;
    readonly tenantId: string;
    readonly directoryRoles: readonly DirectoryRole[];
}

/** What the Exchange Online token must carry for Connect-ExchangeOnline and its cmdlets to work. */
export function checkToken(claims: TokenClaims, expect: TokenExpectation): Judgement {
    const checks: Check[] = [];
    const causes: Cause[] = [];
    const audiences = [expect.resource, `${expect.resource}/`, EXCHANGE_ONLINE_APP_ID];
    if (typeof claims.aud === "string" && audiences.includes(claims.aud)) {
        checks.push({ name: "audience", status: "pass", detail: claims.aud });
    } else {
        checks.push({ name: "audience", status: "fail", detail: `${claim(claims.aud)}, expected ${expect.resource}` });
        causes.push({
            id: "wrong-audience",
            result: "misconfigured",
            summary: `The token is for ${claim(claims.aud)}, not Exchange Online (${expect.resource}).`,
            why: "Exchange Online only accepts tokens issued for itself.",
            fix: "In a sovereign cloud, pass its Exchange Online resource with --resource (GCC High: https://outlook.office365.us).",
        });
    }
    if (typeof claims.tid === "string" && claims.tid.toLowerCase() === expect.tenantId.toLowerCase()) {
        checks.push({ name: "tenant", status: "pass", detail: claims.tid });
    } else {
        checks.push({ name: "tenant", status: "fail", detail: `${claim(claims.tid)}, expected ${expect.tenantId}` });
        causes.push({
            id: "wrong-tenant",
            result: "misconfigured",
            summary: `The token was issued by tenant ${claim(claims.tid)}, not the stack's tenant ${expect.tenantId}.`,
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
            detail: roles === undefined ? "the token has no roles claim" : `not in the token's roles (${claimList(roles)})`,
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
    for (const role of expect.directoryRoles) {
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

/** The token checks, skipped: there is no token to look at. */
export function skippedTokenChecks(expect: TokenExpectation, why: string): Check[] {
    return [
        skipped("audience", why),
        skipped("tenant", why),
        skipped(MANAGE_AS_APP_ROLE, why),
        ...expect.directoryRoles.map((r) => skipped(`role ${r.name}`, why)),
    ];
}

export function skipped(name: string, detail: string): Check {
    return { name, status: "skip", detail };
}

/** Claims come from the server: one line, tokens redacted, control characters escaped, then shortened. */
const CLAIM_CHARS = 120;

function claim(v: unknown): string {
    // Claims come from JSON.parse: JSON.stringify gives text for every one of them.
    return oneLine(typeof v === "string" ? v : (JSON.stringify(v) ?? "(none)"), CLAIM_CHARS);
}

function claimList(values: readonly string[]): string {
    if (values.length === 0) return "empty";
    const shown = values.slice(0, 5).map(claim).join(", ");
    return values.length > 5 ? `${shown} and ${values.length - 5} more` : shown;
}
