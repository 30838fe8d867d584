/**
 * The rules every ExchangeAppOnlyAccess argument must satisfy. Pure: no Pulumi runtime, and the
 * clock is a parameter, so the same rules serve the stack configuration, the component itself
 * and the unit tests.
 */
import { inspectCertificate, pemBlocks } from "./certificate.ts";
import { expiryStatus } from "./expiry.ts";
import { SECRET_NAME, tryParseKeyVaultId } from "./keyVault.ts";
import { GLOBAL_ADMINISTRATOR, INITIAL_DOMAIN_SUFFIXES, SUPPORTED_ROLES, findRole, isGuid } from "./microsoft.ts";
import { containsPrivateKey, hasControlCharacters, show } from "./redaction.ts";
import type { Problem, Settings } from "./settings.ts";

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

/**
 * Checks every rule and returns all errors and warnings at once, so a user fixes a
 * configuration in one round.
 */
export function checkSettings(s: Settings, now: Date): CheckResult {
    const errors: Problem[] = [];
    const warnings: Problem[] = [];
    const err = (key: string, message: string) => errors.push({ key, message });
    const warn = (key: string, message: string) => warnings.push({ key, message });

    checkDisplayName(s.displayName, err);
    if (s.organization !== undefined) checkOrganization(s.organization, err, warn);
    checkRoles(s.roles, s.allowGlobalAdministrator, err, warn);
    const days = validityDaysProblem(s.certValidityDays);
    if (days) err("certValidityDays", days);
    const bits = rsaBitsProblem(s.certRsaBits);
    if (bits) err("certRsaBits", bits);
    if (s.certificates !== undefined) {
        checkGenerations(s, now, err, warn);
    } else if (s.certificatePem !== undefined) {
        checkCertificatePem("certificatePem", "", s.certificatePem, true, now, err, warn);
    }
    const renew = s.renewBeforeDays;
    if (!Number.isInteger(renew) || renew < 0 || renew > RENEW_BEFORE_DAYS_MAX) {
        err("renewBeforeDays", `must be a whole number of days from 0 to ${RENEW_BEFORE_DAYS_MAX} (got ${show(renew)}).`);
    }
    if (s.owners !== undefined) checkObjectIds("owners", s.owners, err);
    checkKeyVault(s, err);
    return { errors, warnings };
}

function checkKeyVault(s: Settings, err: (k: string, m: string) => void): void {
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
        err(
            key,
            "must keep at least one certificate: without one nothing can sign in. To remove the access altogether, run pulumi destroy.",
        );
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

function checkOrganization(org: string, err: (k: string, m: string) => void, warn: (k: string, m: string) => void): void {
    const hint = organizationHint(org);
    if (hint !== undefined) {
        err("organization", `must be a bare domain name such as contoso.onmicrosoft.com (got ${show(org)}): ${hint}`);
        return;
    }
    if (!INITIAL_DOMAIN_SUFFIXES.some((suffix) => org.toLowerCase().endsWith(suffix))) {
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
