/**
 * The rules every ExchangeAppOnlyAccess argument must satisfy. Pure: no Pulumi runtime, and the
 * clock is a parameter, so the same rules serve the stack configuration, the component itself
 * and the unit tests.
 */
import { inspectCertificate, pemBlocks } from "./certificate.ts";
import { expiryStatus } from "./expiry.ts";
import { SECRET_NAME, tryParseKeyVaultId } from "./keyVault.ts";
import {
    CLOUDS,
    CLOUD_NAMES,
    type Cloud,
    GLOBAL_ADMINISTRATOR,
    INITIAL_DOMAIN_SUFFIXES,
    SUPPORTED_ROLES,
    findRole,
    isCloudName,
    isGuid,
} from "./microsoft.ts";
import { containsPrivateKey, hasControlCharacters, show } from "./redaction.ts";
import type { FederatedCredential, Problem, Settings } from "./settings.ts";

export type { Problem };

export interface CheckResult {
    readonly errors: Problem[];
    readonly warnings: Problem[];
}

/** A generation with its defaults filled in. */
export interface ResolvedGeneration {
    readonly name: string;
    readonly certificatePem: string | undefined;
    readonly validityDays: number;
    readonly rsaBits: number;
}

/** The generation a stack has before exo-cba:certificates is used. */
export const INITIAL_GENERATION = "initial";
/**
 * Live certificates at once. Entra allows more, but rotation needs two; a third leaves room for a
 * stand-by. More means an unfinished rotation.
 */
export const MAX_GENERATIONS = 3;
export const RENEW_BEFORE_DAYS_MAX = 365;

export const DISPLAY_NAME_MAX = 120;
export const VALIDITY_DAYS_MIN = 1;
export const VALIDITY_DAYS_MAX = 3650;
export const RSA_BITS_ALLOWED: readonly number[] = [2048, 3072, 4096];
/** Entra client assertions are RS256/PS256, and Microsoft asks for at least 2048-bit RSA. */
export const BYO_RSA_BITS_MIN = 2048;

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Entra's limit of federated identity credentials per application (learn.microsoft.com/graph/api/application-post-federatedidentitycredentials). */
export const MAX_FEDERATED_CREDENTIALS = 20;

/**
 * Which cloud the azuread provider talks to: its `azuread:environment` setting, else the ARM_ENVIRONMENT
 * variable, else the worldwide cloud (@pulumi/azuread config/vars.js; the setting wins when both are set).
 */
export interface ProviderEnvironment {
    /** azuread:environment of the stack, if set. */
    readonly configured: string | undefined;
    /** ARM_ENVIRONMENT of the process, if set. */
    readonly variable: string | undefined;
}

const NO_PROVIDER_ENVIRONMENT: ProviderEnvironment = { configured: undefined, variable: undefined };

/**
 * Checks every rule and returns all errors and warnings at once, so a user fixes a
 * configuration in one round.
 */
export function checkSettings(s: Settings, now: Date, provider: ProviderEnvironment = NO_PROVIDER_ENVIRONMENT): CheckResult {
    const errors: Problem[] = [];
    const warnings: Problem[] = [];
    const err = (key: string, message: string) => errors.push({ key, message });
    const warn = (key: string, message: string) => warnings.push({ key, message });

    checkDisplayName(s.displayName, err);
    const cloud = checkCloud(s.cloud, provider, err);
    if (s.organization !== undefined) checkOrganization(s.organization, cloud, err, warn);
    checkRoles(s.roles, s.allowGlobalAdministrator, err, warn);
    const days = validityDaysProblem(s.certValidityDays);
    if (days) err("certValidityDays", days);
    const bits = rsaBitsProblem(s.certRsaBits);
    if (bits) err("certRsaBits", bits);
    const renew = s.renewBeforeDays;
    if (!Number.isInteger(renew) || renew < 0 || renew > RENEW_BEFORE_DAYS_MAX) {
        err("renewBeforeDays", `must be a whole number of days from 0 to ${RENEW_BEFORE_DAYS_MAX} (got ${show(renew)}).`);
    }
    if (s.managedIdentities !== undefined) checkManagedIdentities(s.managedIdentities, err);
    if (!s.application) {
        checkWithoutApplication(s, err);
        return { errors, warnings };
    }
    if (s.certificates !== undefined) {
        checkGenerations(s, now, err, warn);
    } else if (s.certificatePem !== undefined) {
        checkCertificatePem("certificatePem", "", s.certificatePem, true, now, err, warn);
    }
    if (s.federatedCredentials !== undefined) checkFederatedCredentials(s, cloud, err, warn);
    if (s.owners !== undefined) checkObjectIds("owners", s.owners, err);
    checkKeyVault(s, err);
    return { errors, warnings };
}

/** The cloud a setting names; the worldwide one when the name is wrong (that error is reported). */
export function cloudOf(s: Pick<Settings, "cloud">): Cloud {
    return isCloudName(s.cloud) ? CLOUDS[s.cloud] : CLOUDS.global;
}

function checkCloud(name: string, provider: ProviderEnvironment, err: (k: string, m: string) => void): Cloud {
    if (!isCloudName(name)) {
        err("cloud", `must be one of ${CLOUD_NAMES.join(", ")} (got ${show(name)}).`);
        return CLOUDS.global;
    }
    const cloud = CLOUDS[name];
    const fix = `pulumi config set azuread:environment ${cloud.azureadEnvironments[0]}`;
    const configured = provider.configured?.trim().toLowerCase();
    const effective = configured || provider.variable?.trim().toLowerCase() || undefined;
    // Otherwise the provider would create the application in one cloud while the connect lines point at another.
    if (cloud.name === "global") {
        if (effective !== undefined && !cloud.azureadEnvironments.includes(effective)) {
            const other = CLOUD_NAMES.filter((c) => CLOUDS[c].azureadEnvironments.includes(effective));
            const source = configured ? "azuread:environment" : "the ARM_ENVIRONMENT variable";
            err(
                "cloud",
                `is global, but ${source} points the azuread provider at ${show(effective)}. ` +
                    (other.length > 0
                        ? `For that cloud: pulumi config set exo-cba:cloud ${other[0]}`
                        : `Set it to global: pulumi config set azuread:environment global`) +
                    (configured ? "" : " (or unset ARM_ENVIRONMENT)"),
            );
        }
    } else if (configured === undefined || configured === "") {
        err("cloud", `is ${name} (${cloud.title}), so the azuread provider must be told too: ${fix}`);
    } else if (!cloud.azureadEnvironments.includes(configured)) {
        err("cloud", `is ${name} (${cloud.title}), but azuread:environment is ${show(configured)}, another cloud. Fix with: ${fix}`);
    }
    return cloud;
}

/** Settings that mean something only for an application, refused when there is none. */
const APPLICATION_ONLY = [
    "certificatePem",
    "certificates",
    "federatedCredentials",
    "owners",
    "keyVaultId",
    "keyVaultSecretName",
    "keyVaultReaderPrincipalIds",
] as const;

function checkWithoutApplication(s: Settings, err: (k: string, m: string) => void): void {
    if (s.managedIdentities === undefined || s.managedIdentities.length === 0) {
        err(
            "application",
            "is false, so only managed identities get access, and exo-cba:managedIdentities lists none. List at least one, or set application to true.",
        );
    }
    for (const key of APPLICATION_ONLY) {
        if (s[key] !== undefined) err(key, "has no effect without an application (exo-cba:application is false); remove it.");
    }
}

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/i;

function checkManagedIdentities(list: Settings["managedIdentities"] & object, err: (k: string, m: string) => void): void {
    const key = "managedIdentities";
    const names = new Set<string>();
    const ids = new Map<string, string>();
    list.forEach((mi, i) => {
        const label = `item ${i} (${show(mi.name)})`;
        if (!NAME.test(mi.name)) {
            err(key, `${label} needs a name of 1 to 32 letters, digits or inner hyphens; it becomes part of the resource names.`);
        } else if (names.has(mi.name.toLowerCase())) {
            err(key, `${label} repeats a name; every identity needs its own.`);
        }
        names.add(mi.name.toLowerCase());
        if (!isGuid(mi.objectId)) {
            err(
                key,
                `${label} objectId must be the object id (a GUID) of the identity's service principal: Entra admin centre → Enterprise applications → the identity → Object ID (got ${show(mi.objectId)}).`,
            );
        }
        if (mi.clientId !== undefined && !isGuid(mi.clientId)) {
            err(key, `${label} clientId must be the user-assigned identity's client id, a GUID (got ${show(mi.clientId)}).`);
        }
        if (mi.clientId !== undefined && mi.clientId.toLowerCase() === mi.objectId.toLowerCase()) {
            err(
                key,
                `${label} has the same GUID as objectId and clientId: objectId is the service principal's object id, clientId the identity's client (application) id; they differ.`,
            );
        }
        for (const id of [mi.objectId, mi.clientId]) {
            if (id === undefined || !isGuid(id)) continue;
            const seen = ids.get(id.toLowerCase());
            if (seen !== undefined && seen !== label) err(key, `${label} is the same identity as ${seen}; list each identity once.`);
            ids.set(id.toLowerCase(), label);
        }
    });
}

/** A federated credential with its GitHub shorthand expanded and its audience decided. */
export interface ResolvedFederatedCredential {
    readonly name: string;
    readonly issuer: string;
    readonly subject: string;
    readonly audience: string;
}

/** GitHub's OIDC issuer (docs.github.com/actions/reference/security/oidc). */
export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";

/**
 * The federated credentials, GitHub shorthand expanded: `repo:<owner>/<repo>:environment:<env>` or
 * `repo:<owner>/<repo>:ref:refs/heads/<branch>`, a ':' in an environment name written %3A as GitHub does.
 * The audience is the cloud's unless one is given.
 */
export function federatedCredentialsOf(s: Pick<Settings, "federatedCredentials" | "cloud">): ResolvedFederatedCredential[] {
    const cloud = cloudOf(s);
    return (s.federatedCredentials ?? []).map((f) => {
        const repo = `repo:${f.github ?? ""}`;
        const subject =
            f.github === undefined
                ? (f.subject ?? "")
                : f.environment !== undefined
                  ? `${repo}:environment:${f.environment.replaceAll(":", "%3A")}`
                  : `${repo}:ref:refs/heads/${f.branch ?? ""}`;
        return {
            name: f.name,
            issuer: f.github === undefined ? (f.issuer ?? "") : GITHUB_ISSUER,
            subject,
            audience: f.audiences?.[0] ?? cloud.federatedAudience,
        };
    });
}

/** GitHub owner (user or organisation) and repository names, optionally with the ids of the immutable subject format. */
const GITHUB_REPOSITORY = /^([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})(@[0-9]+)?\/([A-Za-z0-9._-]{1,100})(@[0-9]+)?$/;
const FEDERATED_NAME = /^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/i;
const FIELD_MAX = 600;

function checkFederatedCredentials(
    s: Settings,
    cloud: Cloud,
    err: (k: string, m: string) => void,
    warn: (k: string, m: string) => void,
): void {
    const key = "federatedCredentials";
    const list = s.federatedCredentials ?? [];
    if (list.length > MAX_FEDERATED_CREDENTIALS) {
        err(key, `lists ${list.length} credentials; Entra allows at most ${MAX_FEDERATED_CREDENTIALS} on an application.`);
    }
    const resolved = federatedCredentialsOf(s);
    const names = new Set<string>();
    const pairs = new Map<string, string>();
    list.forEach((f, i) => {
        const label = `item ${i} (${show(f.name)})`;
        const r = resolved[i];
        if (!FEDERATED_NAME.test(f.name)) {
            err(
                key,
                `${label} needs a name of 3 to 32 letters, digits or inner hyphens (Entra asks for at least 3); it names the credential and its resource.`,
            );
        } else if (names.has(f.name.toLowerCase())) {
            err(key, `${label} repeats a name; every credential needs its own.`);
        }
        names.add(f.name.toLowerCase());
        if (f.github !== undefined) {
            if (f.issuer !== undefined || f.subject !== undefined) {
                err(
                    key,
                    `${label} gives github and issuer/subject; use one form: github with environment or branch, or issuer and subject.`,
                );
                return;
            }
            checkGitHub(f, label, key, err);
        } else {
            if (f.environment !== undefined || f.branch !== undefined) {
                err(key, `${label} has environment or branch without github: those belong to the GitHub form (github: <owner>/<repo>).`);
            }
            if (f.issuer === undefined || f.subject === undefined) {
                err(key, `${label} needs issuer and subject, or github with environment or branch.`);
                return;
            }
            checkIssuer(f.issuer, label, key, err);
        }
        checkSubject(r.subject, label, key, err);
        if (f.audiences !== undefined) {
            if (f.audiences.length !== 1) {
                err(
                    key,
                    `${label} audiences must hold exactly one value; Entra accepts a single audience (default ${cloud.federatedAudience}).`,
                );
            } else if (f.audiences[0] !== cloud.federatedAudience) {
                warn(
                    key,
                    `${label} uses audience ${show(f.audiences[0])}; Entra in the ${cloud.title} cloud expects ${cloud.federatedAudience}, which the policy pack also requires unless configured.`,
                );
            }
        }
        const pair = `${r.issuer}\n${r.subject}`;
        const seen = pairs.get(pair);
        if (seen !== undefined) err(key, `${label} has the same issuer and subject as ${seen}; Entra keeps one credential per pair.`);
        pairs.set(pair, label);
    });
}

function checkGitHub(f: FederatedCredential, label: string, key: string, err: (k: string, m: string) => void): void {
    const m = GITHUB_REPOSITORY.exec(f.github ?? "");
    if (!m || m[3] === "." || m[3] === "..") {
        err(
            key,
            `${label} github must be <owner>/<repo> as GitHub spells them (owner: letters, digits and single inner hyphens, at most 39; repository: letters, digits, '.', '-', '_'), got ${show(f.github)}.`,
        );
    }
    if ((f.environment === undefined) === (f.branch === undefined)) {
        err(
            key,
            `${label} needs exactly one of environment (recommended: an environment with required reviewers) or branch; a pull_request subject is never allowed.`,
        );
        return;
    }
    const value = f.environment ?? f.branch ?? "";
    if (f.environment !== undefined) {
        if (value === "" || value.length > 255 || value !== value.trim() || hasControlCharacters(value)) {
            err(
                key,
                `${label} environment must be a GitHub environment name: 1 to 255 characters, no surrounding spaces or control characters (got ${show(value)}).`,
            );
        }
    } else if (/^refs\//.test(value)) {
        err(key, `${label} branch is the branch's name without refs/heads/ (got ${show(value)}).`);
    } else if (
        value === "" ||
        value.length > 255 ||
        /[\s~^:?*[\\]|\.\.|@\{|^[./]|[./]$|\.lock$/.test(value) ||
        hasControlCharacters(value)
    ) {
        // git check-ref-format: what a branch name cannot hold.
        err(key, `${label} branch must be a git branch name (no spaces, ~ ^ : ? * [ \\, '..' or '@{'), got ${show(value)}.`);
    }
}

function checkIssuer(issuer: string, label: string, key: string, err: (k: string, m: string) => void): void {
    let url: URL | undefined;
    try {
        url = new URL(issuer);
    } catch {
        url = undefined;
    }
    // Entra fetches the issuer's signing keys by OpenID Connect discovery, over HTTPS; it refuses an issuer
    // with surrounding whitespace (workload-identity-federation-considerations).
    if (!url || url.protocol !== "https:" || issuer !== issuer.trim() || issuer.length > FIELD_MAX || issuer.includes("*")) {
        err(key, `${label} issuer must be an https:// URL of at most ${FIELD_MAX} characters, without wildcards (got ${show(issuer)}).`);
    }
}

function checkSubject(subject: string, label: string, key: string, err: (k: string, m: string) => void): void {
    if (subject === "" || subject !== subject.trim() || subject.length > FIELD_MAX || hasControlCharacters(subject)) {
        err(
            key,
            `${label} subject must be 1 to ${FIELD_MAX} characters without surrounding spaces or control characters (got ${show(subject)}).`,
        );
        return;
    }
    if (subject.includes("*")) {
        err(
            key,
            `${label} subject ${show(subject)} has a wildcard: Entra matches subjects exactly, and a pattern would trust more workloads than meant.`,
        );
    }
    // docs.github.com/actions/reference/security/oidc: a job triggered by a pull request gets "repo:o/r:pull_request".
    if (/(^|:)pull_request(_target)?(:|$)/i.test(subject) || /:ref:refs\/pull\//i.test(subject)) {
        err(
            key,
            `${label} subject ${show(subject)} trusts pull requests: anyone who can open one could get an Exchange Online token. Use an environment with required reviewers, or the main branch.`,
        );
    }
}

function checkKeyVault(s: Settings, err: (k: string, m: string) => void): void {
    if (s.keyVaultId !== undefined && s.certificates !== undefined && s.certificates.length === 0) {
        err("keyVaultId", "delivers the active certificate, and exo-cba:certificates is empty: this stack has no certificate to deliver.");
        return;
    }
    if (s.keyVaultId === undefined) {
        if (s.keyVaultSecretName !== undefined)
            err("keyVaultSecretName", "has no effect without exo-cba:keyVaultId; set the vault or remove this key.");
        if (s.keyVaultReaderPrincipalIds !== undefined) {
            err("keyVaultReaderPrincipalIds", "has no effect without exo-cba:keyVaultId; set the vault or remove this key.");
        }
        return;
    }
    if (!tryParseKeyVaultId(s.keyVaultId)) {
        err(
            "keyVaultId",
            `must be the resource id of an existing vault, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name> (got ${show(s.keyVaultId)}). ` +
                "Find it with: az keyvault show --name <vault> --query id --output tsv",
        );
    }
    const generations = generationsOf(s);
    const active = generations[generations.length - 1];
    if (active?.certificatePem !== undefined) {
        err(
            "keyVaultId",
            "needs the certificate's private key, and a brought certificate keeps its key outside the stack. Import the certificate " +
                "into the vault yourself (az keyvault certificate import), or let the stack generate the active certificate.",
        );
    }
    if (s.keyVaultSecretName !== undefined && !SECRET_NAME.test(s.keyVaultSecretName)) {
        err("keyVaultSecretName", `must be 1 to 127 letters, digits or hyphens (got ${show(s.keyVaultSecretName)}).`);
    }
    if (s.keyVaultReaderPrincipalIds !== undefined) checkObjectIds("keyVaultReaderPrincipalIds", s.keyVaultReaderPrincipalIds, err);
}

/**
 * The certificate generations, oldest first, defaults filled in. Without exo-cba:certificates the
 * stack has one generation, "initial", made from certificatePem / certValidityDays / certRsaBits.
 */
export function generationsOf(s: Settings): ResolvedGeneration[] {
    if (!s.application) return [];
    const list = s.certificates ?? [{ name: INITIAL_GENERATION, certificatePem: s.certificatePem }];
    return list.map((g) => ({
        name: g.name,
        certificatePem: g.certificatePem,
        validityDays: g.validityDays ?? s.certValidityDays,
        rsaBits: g.rsaBits ?? s.certRsaBits,
    }));
}

function validityDaysProblem(days: number): string | undefined {
    return Number.isInteger(days) && days >= VALIDITY_DAYS_MIN && days <= VALIDITY_DAYS_MAX
        ? undefined
        : `must be a whole number of days from ${VALIDITY_DAYS_MIN} to ${VALIDITY_DAYS_MAX} (got ${show(days)}).`;
}

function rsaBitsProblem(bits: number): string | undefined {
    return RSA_BITS_ALLOWED.includes(bits) ? undefined : `must be one of ${RSA_BITS_ALLOWED.join(", ")} (got ${show(bits)}).`;
}

const GENERATION_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/i;

function checkGenerations(s: Settings, now: Date, err: (k: string, m: string) => void, warn: (k: string, m: string) => void): void {
    const key = "certificates";
    const list = s.certificates ?? [];
    if (s.certificatePem !== undefined) {
        err(
            "certificatePem",
            "cannot be used together with exo-cba:certificates: move the certificate into its generation " +
                `(certificates: [{ name: ${INITIAL_GENERATION}, certificatePem: ... }]) and unset certificatePem.`,
        );
    }
    if (list.length === 0) {
        // An explicit empty list: no certificate at all, which federated credentials make sense of.
        if ((s.federatedCredentials ?? []).length === 0) {
            err(
                key,
                "is empty, which means no certificate at all; that is allowed only with at least one federated credential " +
                    "(exo-cba:federatedCredentials), since nothing else could sign in as the application. To remove the access altogether, run pulumi destroy.",
            );
        }
        return;
    }
    if (list.length > MAX_GENERATIONS) {
        err(
            key,
            `lists ${list.length} certificates; at most ${MAX_GENERATIONS} may be registered at once. Retire the oldest ` +
                "(remove it from the top of the list) once the runners use a newer one.",
        );
    }
    const names = new Set<string>();
    const thumbprints = new Map<string, string>();
    list.forEach((g, i) => {
        const label = `item ${i} (${show(g.name)})`;
        if (!GENERATION_NAME.test(g.name)) {
            err(key, `${label} needs a name of 1 to 32 letters, digits or inner hyphens; it becomes part of the resource names.`);
        } else if (names.has(g.name.toLowerCase())) {
            err(key, `${label} repeats a name; every generation needs its own.`);
        }
        names.add(g.name.toLowerCase());
        if (g.certificatePem !== undefined) {
            if (g.validityDays !== undefined || g.rsaBits !== undefined) {
                err(key, `${label} brings its own certificate, so validityDays and rsaBits do not apply; remove them.`);
            }
            const active = i === list.length - 1;
            const thumbprint = checkCertificatePem(key, `${label} certificatePem `, g.certificatePem, active, now, err, warn);
            if (thumbprint && thumbprints.has(thumbprint)) {
                err(key, `${label} is the same certificate as ${thumbprints.get(thumbprint)}; a new generation needs a new certificate.`);
            }
            if (thumbprint) thumbprints.set(thumbprint, label);
        } else {
            const days = g.validityDays === undefined ? undefined : validityDaysProblem(g.validityDays);
            if (days) err(key, `${label} validityDays ${days}`);
            const bits = g.rsaBits === undefined ? undefined : rsaBitsProblem(g.rsaBits);
            if (bits) err(key, `${label} rsaBits ${bits}`);
        }
    });
}

function checkDisplayName(name: string, err: (k: string, m: string) => void): void {
    if (name.trim() === "") {
        err("displayName", "must not be blank: it names the application in Entra ID and the certificate subject.");
    } else if (name.length > DISPLAY_NAME_MAX) {
        err("displayName", `must be at most ${DISPLAY_NAME_MAX} characters (got ${name.length}).`);
    } else if (name !== name.trim()) {
        err("displayName", `must not start or end with spaces (got ${show(name)}).`);
    } else if (hasControlCharacters(name)) {
        // It reaches the application's name, the certificate's subject and every terminal that prints them.
        err("displayName", `must not contain control characters such as line breaks, tabs or terminal escapes (got ${show(name)}).`);
    }
}

function checkOrganization(org: string, cloud: Cloud, err: (k: string, m: string) => void, warn: (k: string, m: string) => void): void {
    const hint = organizationHint(org);
    if (hint !== undefined) {
        err("organization", `must be a bare domain name such as contoso.onmicrosoft.com (got ${show(org)}): ${hint}`);
        return;
    }
    const suffix = INITIAL_DOMAIN_SUFFIXES.find((x) => org.toLowerCase().endsWith(x));
    if (suffix !== undefined && suffix !== cloud.initialDomainSuffix) {
        warn(
            "organization",
            `${show(org)} is an initial domain of another cloud: tenants in the ${cloud.title} cloud have *${cloud.initialDomainSuffix} domains. Check exo-cba:cloud.`,
        );
    }
    if (suffix === undefined) {
        // Microsoft: -Organization must be the initial domain; a vanity domain fails with permission errors.
        warn(
            "organization",
            `${show(org)} is not an initial *.onmicrosoft.com domain. Connect-ExchangeOnline -Organization needs the tenant's initial domain; ` +
                "other values fail with misleading permission errors. Unset the key to look it up from the tenant.",
        );
    }
}

function organizationHint(org: string): string | undefined {
    if (org.trim() === "") return "it is blank.";
    if (containsPrivateKey(org)) return "it holds a private key, which never belongs in the configuration.";
    if (org.includes("://")) return "remove the scheme (https://).";
    if (org.includes("/")) return "remove the path.";
    if (org.includes("@")) return "that looks like an e-mail address; use only the part after @.";
    if (/\s/.test(org)) return "remove the spaces.";
    if (org.length > 253) return "a domain name has at most 253 characters.";
    const labels = org.split(".");
    if (labels.length < 2) return "a domain name has at least one dot.";
    if (!labels.every((label) => DNS_LABEL.test(label))) {
        return "each dot-separated part may contain only letters, digits and inner hyphens.";
    }
    if (/^[0-9]+$/.test(labels[labels.length - 1] ?? "")) return "an IP address is not a domain name.";
    return undefined;
}

function checkRoles(
    roles: readonly string[],
    allowGlobalAdministrator: boolean,
    err: (k: string, m: string) => void,
    warn: (k: string, m: string) => void,
): void {
    if (roles.length === 0) {
        err("roles", `must list at least one role; Exchange Online needs a directory role for app-only access. ${allowedRolesText()}`);
        return;
    }
    const seen = new Set<string>();
    roles.forEach((name, i) => {
        if (!findRole(name)) {
            const suggestion = suggestRole(name);
            err(
                "roles",
                `item ${i} (${show(name)}) is not a role Microsoft supports for app-only Exchange Online access.${suggestion} ${allowedRolesText()}`,
            );
        } else if (seen.has(name)) {
            err("roles", `lists ${show(name)} more than once; remove the duplicate.`);
        }
        seen.add(name);
    });
    if (seen.has(GLOBAL_ADMINISTRATOR)) {
        if (!allowGlobalAdministrator) {
            err(
                "roles",
                "contains Global Administrator, which gives the application full control of the tenant. Prefer Exchange Administrator " +
                    "or a narrower role; if you really need it, also set exo-cba:allowGlobalAdministrator to true.",
            );
        } else {
            warn(
                "roles",
                "assigns Global Administrator to an unattended application; Microsoft recommends the least-privileged role that works.",
            );
        }
    }
}

function suggestRole(name: string): string {
    const lower = name.trim().toLowerCase();
    if (lower === "exchange service administrator") {
        return ' Graph calls it "Exchange Service Administrator"; use the portal name "Exchange Administrator".';
    }
    const match = SUPPORTED_ROLES.find((r) => r.name.toLowerCase() === lower);
    return match ? ` Did you mean "${match.name}"? Names are case-sensitive.` : "";
}

function allowedRolesText(): string {
    return `Allowed: ${SUPPORTED_ROLES.map((r) => `"${r.name}"`).join(", ")}.`;
}

/** Checks a supplied certificate; returns its thumbprint when it is readable. */
function checkCertificatePem(
    key: string,
    label: string,
    pem: string,
    active: boolean,
    now: Date,
    err: (k: string, m: string) => void,
    warn: (k: string, m: string) => void,
): string | undefined {
    if (containsPrivateKey(pem)) {
        err(
            key,
            `${label}contains a private key. Only the public certificate belongs here: the key must stay on the machine that runs the script ` +
                "and never enters Pulumi state. Export the certificate without its key (Windows: Export-Certificate to a .cer, then " +
                "certutil -encode; Linux: openssl x509 -in cert.pem -out public.pem) and set that.",
        );
        return undefined;
    }
    const certificates = pemBlocks(pem).filter((b) => b.label === "CERTIFICATE").length;
    if (certificates === 0) {
        err(
            key,
            `${label}holds no PEM certificate (-----BEGIN CERTIFICATE-----). A binary .cer/.der file must be converted first: ` +
                "openssl x509 -inform der -in cert.cer -out cert.pem",
        );
        return undefined;
    }
    if (certificates > 1) {
        err(key, `${label}holds ${certificates} certificates; supply only the application's own certificate, not a chain.`);
        return undefined;
    }
    let facts;
    try {
        facts = inspectCertificate(pem);
    } catch (e) {
        err(key, `${label}${(e as Error).message}.`);
        return undefined;
    }
    if (facts.keyType !== "rsa") {
        err(
            key,
            `${label}uses a ${facts.keyType.toUpperCase()} key; Entra client assertions for Exchange Online need an RSA key of at least ${BYO_RSA_BITS_MIN} bits.`,
        );
    } else if ((facts.rsaBits ?? 0) < BYO_RSA_BITS_MIN) {
        err(key, `${label}uses a ${facts.rsaBits}-bit RSA key; at least ${BYO_RSA_BITS_MIN} bits are required.`);
    }
    // An expired older generation is only warned about (by the component, at run time): it is on its way out.
    if (expiryStatus(facts.notAfter, now, 0).state === "expired") {
        if (active) err(key, `${label}expired on ${facts.notAfter} (thumbprint ${facts.thumbprint}); supply a current certificate.`);
    } else if (Date.parse(facts.notBefore) > now.getTime()) {
        // Graph registers a credential whose certificate starts later (a PKI's clock a few seconds ahead, or a
        // certificate staged for the next rotation); Entra refuses sign-ins with it until its NotBefore
        // (azureautomation/azure-automation-ise-addon #136: "Found key 'Start=…'" in the AADSTS50012 refusal).
        warn(
            key,
            `${label}is not valid until ${facts.notBefore} (thumbprint ${facts.thumbprint}): it is registered now, but sign-ins with it ` +
                `fail until then. Runners can use it from ${facts.notBefore}.`,
        );
    }
    return facts.thumbprint;
}

function checkObjectIds(key: string, ids: readonly string[], err: (k: string, m: string) => void): void {
    if (ids.length === 0) {
        err(key, "is an empty list; list at least one object id, or remove the key.");
    }
    const seen = new Set<string>();
    ids.forEach((id, i) => {
        if (!isGuid(id)) {
            err(
                key,
                `item ${i} (${show(id)}) is not an object id; use the object id (a GUID) of a user, group, service principal or managed identity.`,
            );
        } else if (seen.has(id.toLowerCase())) {
            err(key, `lists ${show(id)} more than once; remove the duplicate.`);
        }
        seen.add(id.toLowerCase());
    });
}
