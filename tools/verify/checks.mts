/**
 * npm run verify, the checks: before Entra is asked (the certificate is in date and the key belongs to
 * it; a federated token is in date and matches one of the stack's credentials), and on the token that
 * was issued (audience, tenant, the managed identity, Exchange.ManageAsApp, directory roles). Pure: the
 * clock and the claims are arguments. What a refusal means is in entraErrors.mts.
 */
import { rfc3339, thumbprintOf } from "../../components/certificate.ts";
import { ROTATION_ADVICE } from "../../components/rotation.ts";
import { EXCHANGE_ONLINE_APP_ID, MANAGE_AS_APP_ROLE, SUPPORTED_ROLES, isGuid } from "../../components/microsoft.ts";
import { CLOUDS, type CloudName } from "../../components/clouds.ts";
import { type FederatedCredentialOutput, type RoleOutput } from "../../components/outputs.ts";
import { parseJson } from "../../components/json.ts";
import { disputedResource, identityName } from "./entraErrors.mts";
import type { FederatedClaims } from "./federatedToken.mts";
import type { KeyMaterial } from "./keyFiles.mts";
import type { Cause, Check, Judgement, ManagedIdentityFacts, TokenClaims } from "./outcome.mts";
import { oneLine } from "./report.mts";
import type { ActiveCertificate } from "./stackFacts.mts";

/** Before Entra is asked: the certificate is in date and the key belongs to it (keyFiles.mts already refused a non-RSA key). */
export function checkLocally(facts: ActiveCertificate, key: KeyMaterial, now: Date): Judgement {
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
    const json = parseJson(Buffer.from(part, "base64url").toString("utf8"));
    if ("problem" in json) throw new Error(`the access token's payload is ${json.problem}`);
    const payload = json.value;
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
        throw new Error("the access token's payload is not a JSON object");
    }
    const p = payload as Record<string, unknown>;
    // Entra writes both as lists of strings: anything else is no token of Entra's, and skipping the odd
    // entries would let a role or permission hide from the checks.
    for (const claim of ["roles", "wids"]) {
        const v = p[claim];
        if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === "string"))) {
            throw new Error(`the access token's ${claim} claim is not a list of strings`);
        }
    }
    return {
        aud: p["aud"],
        tid: p["tid"],
        appid: p["appid"],
        azp: p["azp"],
        oid: p["oid"],
        roles: p["roles"],
        wids: p["wids"],
        exp: p["exp"],
    };
}

/** What the token must carry, whoever signed in. */
export interface TokenExpectation {
    /** Exchange Online's resource, e.g. https://outlook.office365.com. */
    readonly resource: string;
    readonly cloud: CloudName;
    readonly tenantId: string;
    readonly directoryRoles: readonly RoleOutput[];
    /** A managed identity signs in: the token's oid must be its object id, and the fixes name its grants. */
    readonly managedIdentity?: ManagedIdentityFacts | undefined;
    /** The application signs in at Entra: the sign-in host and where it came from (entraErrors.mts signInHost). */
    readonly signInHost?: string | undefined;
    /**
     * The client the token must be issued to (its appid, or azp in a v2.0 token): the stack's application,
     * or a user-assigned identity's client id. Undefined for a system-assigned identity, whose oid is checked.
     */
    readonly clientId: string | undefined;
    /** Privilege beyond the stack's that the operator accepts (--accept-extra-privilege): template ids and app role values. */
    readonly acceptedExtras: readonly string[];
}

/**
 * A directory role id every app-only token carries in wids, whatever the service principal holds: it is no
 * role the permissions reference lists, and no role definition has it as template id (seen in every
 * app-only token Entra issues; public samples and reports agree). Not privilege anyone granted.
 */
export const APP_ONLY_TOKEN_WID = "0997a1d0-0d1d-4acb-b408-d5ca73121e90";

/** What the Exchange Online token must carry for Connect-ExchangeOnline and its cmdlets to work. */
export function checkToken(claims: TokenClaims, expect: TokenExpectation): Judgement {
    const checks: Check[] = [];
    const causes: Cause[] = [];
    /** One check's row, and its cause when it fails. */
    const judge = (name: string, passed: boolean, detail: string, cause: () => Cause) => {
        checks.push({ name, status: passed ? "pass" : "fail", detail });
        if (!passed) causes.push(cause());
    };
    const audiences = [expect.resource, `${expect.resource}/`, EXCHANGE_ONLINE_APP_ID];
    const audience = typeof claims.aud === "string" && audiences.includes(claims.aud);
    judge("audience", audience, audience ? String(claims.aud) : `${claim(claims.aud)}, expected ${expect.resource}`, () => ({
        id: "wrong-audience",
        result: "misconfigured",
        summary: `The token is for ${claim(claims.aud)}, not Exchange Online (${expect.resource}).`,
        why: "Exchange Online only accepts tokens issued for itself.",
        fix:
            `Check that the stack's cloud (${CLOUDS[expect.cloud].title}) is the tenant's; --resource overrides Exchange Online's resource.` +
            disputedResource(expect),
    }));
    const tenant = typeof claims.tid === "string" && claims.tid.toLowerCase() === expect.tenantId.toLowerCase();
    judge("tenant", tenant, tenant ? String(claims.tid) : `${claim(claims.tid)}, expected ${expect.tenantId}`, () => ({
        id: "wrong-tenant",
        result: "misconfigured",
        summary: `The token was issued by tenant ${claim(claims.tid)}, not the stack's tenant ${expect.tenantId}.`,
        why: "Exchange Online serves the tenant named in the token; scripts would reach another organisation or none.",
        fix:
            expect.managedIdentity === undefined
                ? `Check that the outputs are this tenant's stack, and that the sign-in host, ${expect.signInHost ?? "Entra's"}, is the tenant's cloud's.`
                : "Check that the outputs are the stack of the tenant this Azure resource's identity lives in" +
                  (expect.cloud === "global"
                      ? "."
                      : `: in ${CLOUDS[expect.cloud].title} the identity must belong to an Azure resource of that cloud, in its own Entra tenant (docs/runners.md, managed identities in other clouds).`),
    }));
    const mi = expect.managedIdentity;
    const client = typeof claims.appid === "string" ? claims.appid : typeof claims.azp === "string" ? claims.azp : undefined;
    if (!mi && expect.clientId !== undefined) {
        const application = client !== undefined && client.toLowerCase() === expect.clientId.toLowerCase();
        const expected = expect.clientId;
        judge("application", application, application ? `${client}, the stack's appId` : `${claim(client)}, expected ${expected}`, () => ({
            id: "wrong-application",
            result: "misconfigured",
            summary: `The token was issued to application ${claim(client)}, not the stack's application ${expected}.`,
            why:
                "Entra issues an app-only token to the client that signed in, so a token for another application did not come " +
                "from this sign-in: something other than Entra answered, or the outputs and the credential belong to different applications.",
            fix: `Check that the sign-in host, ${expect.signInHost ?? "Entra's"}, is Entra's for this cloud, and read the outputs of one deployment of this tenant's stack.`,
        }));
    }
    if (mi) {
        const identity = typeof claims.oid === "string" && claims.oid.toLowerCase() === mi.objectId.toLowerCase();
        judge(
            "identity",
            identity,
            identity ? `oid ${String(claims.oid)} is ${identityName(mi)}` : `oid ${claim(claims.oid)}, expected ${mi.objectId}`,
            () => ({
                id: "wrong-identity",
                result: "misconfigured",
                summary: `The token is for object ${claim(claims.oid)}, not ${identityName(mi)} (object id ${mi.objectId}).`,
                why:
                    mi.clientId === undefined
                        ? "The endpoint answered for this resource's system-assigned identity, which is not the one the stack grants: " +
                          "verify runs on another resource than the identity's, or the outputs list another object id."
                        : `The endpoint answered for the identity with client id ${mi.clientId}, whose object id is not the one the stack grants: ` +
                          "exo-cba:managedIdentities pairs this client id with another identity's object id.",
                fix:
                    mi.clientId === undefined
                        ? "Run verify on the resource whose system-assigned identity has this object id, or put this resource's identity (its object id) in exo-cba:managedIdentities."
                        : "Give the item the identity's principal (object) id with its client id (az identity show: principalId and clientId) and run pulumi up.",
            }),
        );
        if (mi.clientId !== undefined && (client === undefined || client.toLowerCase() !== mi.clientId.toLowerCase())) {
            checks.push({ name: "identity client id", status: "fail", detail: `${claim(client)}, expected ${mi.clientId}` });
            causes.push({
                id: "wrong-identity",
                result: "misconfigured",
                summary: `The token was issued to client id ${claim(client)}, not ${identityName(mi)} (client id ${mi.clientId}).`,
                why:
                    "The identity endpoint was asked for the identity with the stack's client id and answered for another: " +
                    "something other than the host's identity endpoint answered, or the identity was replaced on this resource.",
                fix: "Check IDENTITY_ENDPOINT (or IMDS) on this host, and the identity's client id: az identity show --query clientId.",
            });
        } else if (mi.clientId !== undefined) {
            checks.push({ name: "identity client id", status: "pass", detail: `${client ?? ""}` });
        }
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
            fix: mi
                ? `If \`pulumi up\` finished a while ago, check that the stack has its exo-mi-${oneLine(mi.name, 40)}-consent resource ` +
                  "(`pulumi stack --show-urns`), or in the Entra admin centre: Enterprise applications → Managed Identities → the identity → " +
                  `Permissions should list Office 365 Exchange Online ${MANAGE_AS_APP_ROLE}. Run \`pulumi up\` to recreate anything missing.`
                : "If `pulumi up` finished a while ago, check that the stack has its exo-consent resource (`pulumi stack --show-urns`), " +
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
                fix: mi
                    ? `Check Entra admin centre → Roles and administrators → ${role.name} → Assignments for the managed identity; ` +
                      `run \`pulumi up\` to recreate a missing assignment (exo-mi-${oneLine(mi.name, 40)}-role-… resource).`
                    : `Check Entra admin centre → Roles and administrators → ${role.name} → Assignments for the application; ` +
                      "run `pulumi up` to recreate a missing assignment (exo-role-… resource).",
            });
        }
    }
    const extras = extraPrivilege(roles ?? [], wids, expect);
    if (extras.length === 0) {
        checks.push({
            name: "no other privilege",
            status: "pass",
            detail: `nothing beyond ${MANAGE_AS_APP_ROLE} and the configured roles`,
        });
    } else {
        const listed = extras.map((e) => e.shown);
        checks.push({ name: "no other privilege", status: "fail", detail: `also ${listed.join(", ")}` });
        const who = mi ? identityName(mi) : "the application's service principal";
        causes.push({
            id: "extra-privilege",
            result: "misconfigured",
            summary: `The token carries privilege the stack did not grant: ${listed.join(", ")}.`,
            why:
                "Someone granted it outside this stack (a directory role in the portal, an application permission with admin consent): " +
                "every script that signs in this way can do more than the stack says, and no review of the stack shows it.",
            fix:
                [
                    extras.some((e) => e.kind === "role")
                        ? `Remove each directory role from ${who}: Entra admin centre → Roles and administrators → the role → Assignments`
                        : "",
                    extras.some((e) => e.kind === "permission")
                        ? `revoke each permission: Entra admin centre → Enterprise applications → ${mi ? "Managed Identities → the identity" : "the application"} → Permissions, or Remove-MgServicePrincipalAppRoleAssignment`
                        : "",
                ]
                    .filter((f) => f !== "")
                    .join("; ") +
                `. If it is meant to be there, pass --accept-extra-privilege ${extras.map((e) => e.accept).join(" --accept-extra-privilege ")}.`,
        });
    }
    const cause = causes[0];
    return cause ? { checks, cause } : { checks };
}

/** A role or permission in the token that the stack did not grant: how it is shown, and what accepts it. */
interface Extra {
    readonly kind: "role" | "permission";
    readonly shown: string;
    readonly accept: string;
}

/**
 * Directory roles in wids and application permissions in roles beyond what the stack grants (Exchange.ManageAsApp
 * and its directory roles), less what the operator accepted: a template id, a role's portal name or a permission's value.
 */
function extraPrivilege(roles: readonly string[], wids: readonly string[], expect: TokenExpectation): Extra[] {
    const granted = new Set([...expect.directoryRoles.map((r) => r.templateId.toLowerCase()), APP_ONLY_TOKEN_WID]);
    const accepted = new Set(expect.acceptedExtras.map((a) => (isGuid(a.toLowerCase()) ? a.toLowerCase() : a)));
    const extras: Extra[] = [];
    for (const wid of new Set(wids)) {
        if (granted.has(wid) || accepted.has(wid)) continue;
        const known = SUPPORTED_ROLES.find((r) => r.templateId === wid);
        if (known && accepted.has(known.name)) continue;
        extras.push({
            kind: "role",
            shown: known ? `directory role ${known.name} (${wid})` : `directory role ${claim(wid)}`,
            accept: known ? `'${known.name}'` : wid,
        });
    }
    for (const role of new Set(roles)) {
        if (role === MANAGE_AS_APP_ROLE || accepted.has(role)) continue;
        extras.push({ kind: "permission", shown: `permission ${claim(role)}`, accept: oneLine(role, 120) });
    }
    return extras;
}

/** The token checks, skipped: there is no token to look at. */
export function skippedTokenChecks(expect: TokenExpectation, why: string): Check[] {
    return [
        skipped("audience", why),
        skipped("tenant", why),
        ...(!expect.managedIdentity && expect.clientId !== undefined ? [skipped("application", why)] : []),
        ...(expect.managedIdentity ? [skipped("identity", why)] : []),
        ...(expect.managedIdentity?.clientId !== undefined ? [skipped("identity client id", why)] : []),
        skipped(MANAGE_AS_APP_ROLE, why),
        ...expect.directoryRoles.map((r) => skipped(`role ${r.name}`, why)),
        skipped("no other privilege", why),
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

/** The credential a federated token matched, when it did. */
export interface FederatedJudgement extends Judgement {
    readonly credential?: FederatedCredentialOutput;
}

/**
 * Before Entra is asked: the federated token is in date, and one of the stack's credentials has its
 * issuer and subject (exactly, letter case included: Entra matches case-sensitively,
 * learn.microsoft.com/entra/identity-platform/reference-breaking-changes) and its audience. The
 * returned credential carries the token's issuer and subject, for the report.
 */
export function checkFederatedToken(
    claims: FederatedClaims,
    credentials: readonly FederatedCredentialOutput[],
    now: Date,
): FederatedJudgement {
    const checks: Check[] = [];
    let cause: Cause | undefined;
    const iss = oneLine(claims.iss, 200);
    const sub = oneLine(claims.sub, 200);
    // federatedClaims() keeps exp within what a date can show.
    const validUntil = rfc3339(new Date(claims.exp * 1000));
    if (claims.exp * 1000 <= now.getTime()) {
        checks.push({ name: "federated token", status: "fail", detail: `issuer ${iss}, subject ${sub}, expired ${validUntil}` });
        cause = {
            id: "federated-token-expired",
            result: "misconfigured",
            summary: `The federated token expired ${validUntil}.`,
            why: "Entra refuses an expired token (AADSTS700024). Workload tokens are valid for minutes: an Azure DevOps idToken about ten.",
            fix:
                "Get a fresh token from the workload and run verify straight away. In GitHub Actions pass --federated instead of a file: " +
                "verify then asks GitHub for a new token on every attempt.",
        };
    } else {
        checks.push({ name: "federated token", status: "pass", detail: `issuer ${iss}, subject ${sub}, valid until ${validUntil}` });
    }

    const credential = credentials.find((c) => c.issuer === claims.iss && c.subject === claims.sub);
    const listed = credentials
        .slice(0, 5)
        .map((c) => `${oneLine(c.name, 60)} (issuer ${oneLine(c.issuer, 120)}, subject ${oneLine(c.subject, 160)})`)
        .join("; ");
    const more = credentials.length > 5 ? ` and ${credentials.length - 5} more` : "";
    if (credential === undefined) {
        const caseOnly = credentials.find(
            (c) => c.issuer.toLowerCase() === claims.iss.toLowerCase() && c.subject.toLowerCase() === claims.sub.toLowerCase(),
        );
        checks.push({ name: "federated credential", status: "fail", detail: "none of the stack's has this issuer and subject" });
        cause ??= {
            id: "no-matching-federated-credential",
            result: "misconfigured",
            summary: `No federated credential of the stack trusts issuer ${iss} with subject ${sub}.`,
            why:
                "Entra matches the token's iss and sub exactly against the application's federated credentials and refuses anything else " +
                `(AADSTS70021, AADSTS700213).${caseOnly ? ` Credential ${oneLine(caseOnly.name, 60)} differs only in letter case, and the match is case-sensitive.` : ""} ` +
                `The stack has: ${listed}${more}.`,
            fix:
                "Run verify where the credential's workload runs (for GitHub: the environment or branch its subject names), or add this " +
                "issuer and subject to exo-cba:federatedCredentials and run pulumi up.",
        };
        return { checks, ...(cause ? { cause } : {}) };
    }
    const matched = { ...credential, issuer: claims.iss, subject: claims.sub };
    if (claims.aud.includes(credential.audience)) {
        checks.push({
            name: "federated credential",
            status: "pass",
            detail: `${oneLine(credential.name, 60)} trusts this issuer and subject, audience ${oneLine(credential.audience, 120)}`,
        });
    } else {
        const audiences = claims.aud.slice(0, 3).map((a) => oneLine(a, 120));
        checks.push({
            name: "federated credential",
            status: "fail",
            detail: `${oneLine(credential.name, 60)} expects audience ${oneLine(credential.audience, 120)}, the token has ${audiences.join(", ")}`,
        });
        cause ??= {
            id: "federated-audience-mismatch",
            result: "misconfigured",
            summary: `The federated token is for audience ${audiences.join(", ")}, but credential ${oneLine(credential.name, 60)} expects ${oneLine(credential.audience, 120)}.`,
            why: "Entra refuses a token whose aud is not the credential's audience (AADSTS700212).",
            fix:
                `Ask the workload's platform for a token with audience ${oneLine(credential.audience, 120)} (GitHub: core.getIDToken; ` +
                "verify --federated does so), or change the credential's audiences in exo-cba:federatedCredentials.",
        };
    }
    return { checks, ...(cause ? { cause } : {}), credential: matched };
}
