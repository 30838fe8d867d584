/**
 * The rules every ExchangeAppOnlyAccess argument must satisfy. Pure: no Pulumi runtime, and the
 * clock is a parameter, so the same rules serve the stack configuration, the component itself
 * and the unit tests.
 */
import { containsPrivateKey, inspectCertificate, pemBlocks } from "./certificate.ts";
import { GLOBAL_ADMINISTRATOR, INITIAL_DOMAIN_SUFFIXES, SUPPORTED_ROLES, findRole } from "./microsoft.ts";

/** One thing wrong with one setting. `key` is the bare setting name (`roles`, `certValidityDays`, ...). */
export interface Problem {
    readonly key: string;
    readonly message: string;
}

export interface CheckResult {
    readonly errors: Problem[];
    readonly warnings: Problem[];
}

/** The settings the rules look at; every field mirrors a config key of the same name. */
export interface AccessSettings {
    readonly displayName: string;
    readonly organization?: string | undefined;
    readonly roles: readonly string[];
    readonly allowGlobalAdministrator: boolean;
    readonly certValidityDays: number;
    readonly certRsaBits: number;
    readonly certificatePem?: string | undefined;
    readonly owners?: readonly string[] | undefined;
}

export const DEFAULT_DISPLAY_NAME = "EXO Reporting Script";
export const DEFAULT_ROLES: readonly string[] = ["Exchange Administrator"];
export const DEFAULT_VALIDITY_DAYS = 365;
export const DEFAULT_RSA_BITS = 2048;

export const DISPLAY_NAME_MAX = 120;
export const VALIDITY_DAYS_MIN = 1;
export const VALIDITY_DAYS_MAX = 3650;
export const RSA_BITS_ALLOWED: readonly number[] = [2048, 3072, 4096];
/** Entra client assertions are RS256/PS256, and Microsoft asks for at least 2048-bit RSA. */
export const BYO_RSA_BITS_MIN = 2048;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Checks every rule and returns all errors and warnings at once, so a user fixes a
 * configuration in one round.
 */
export function checkSettings(s: AccessSettings, now: Date): CheckResult {
    const errors: Problem[] = [];
    const warnings: Problem[] = [];
    const err = (key: string, message: string) => errors.push({ key, message });
    const warn = (key: string, message: string) => warnings.push({ key, message });

    checkDisplayName(s.displayName, err);
    if (s.organization !== undefined) checkOrganization(s.organization, err, warn);
    checkRoles(s.roles, s.allowGlobalAdministrator, err, warn);
    if (!Number.isInteger(s.certValidityDays) || s.certValidityDays < VALIDITY_DAYS_MIN || s.certValidityDays > VALIDITY_DAYS_MAX) {
        err("certValidityDays", `must be a whole number of days from ${VALIDITY_DAYS_MIN} to ${VALIDITY_DAYS_MAX} (got ${show(s.certValidityDays)}).`);
    }
    if (!RSA_BITS_ALLOWED.includes(s.certRsaBits)) {
        err("certRsaBits", `must be one of ${RSA_BITS_ALLOWED.join(", ")} (got ${show(s.certRsaBits)}).`);
    }
    if (s.certificatePem !== undefined) checkCertificatePem(s.certificatePem, now, err);
    if (s.owners !== undefined) checkOwners(s.owners, err);
    return { errors, warnings };
}

function checkDisplayName(name: string, err: (k: string, m: string) => void): void {
    if (name.trim() === "") {
        err("displayName", "must not be blank: it names the application in Entra ID and the certificate subject.");
    } else if (name.length > DISPLAY_NAME_MAX) {
        err("displayName", `must be at most ${DISPLAY_NAME_MAX} characters (got ${name.length}).`);
    } else if (name !== name.trim()) {
        err("displayName", `must not start or end with spaces (got ${show(name)}).`);
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
            err("roles", `item ${i} (${show(name)}) is not a role Microsoft supports for app-only Exchange Online access.${suggestion} ${allowedRolesText()}`);
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
            warn("roles", "assigns Global Administrator to an unattended application; Microsoft recommends the least-privileged role that works.");
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

function checkCertificatePem(pem: string, now: Date, err: (k: string, m: string) => void): void {
    const key = "certificatePem";
    if (containsPrivateKey(pem)) {
        err(
            key,
            "contains a private key. Only the public certificate belongs here: the key must stay on the machine that runs the script " +
                "and never enters Pulumi state. Export the certificate without its key (Windows: Export-Certificate to a .cer, then " +
                "certutil -encode; Linux: openssl x509 -in cert.pem -out public.pem) and set that.",
        );
        return;
    }
    const certificates = pemBlocks(pem).filter((b) => b.label === "CERTIFICATE").length;
    if (certificates === 0) {
        err(
            key,
            "holds no PEM certificate (-----BEGIN CERTIFICATE-----). A binary .cer/.der file must be converted first: " +
                "openssl x509 -inform der -in cert.cer -out cert.pem",
        );
        return;
    }
    if (certificates > 1) {
        err(key, `holds ${certificates} certificates; supply only the application's own certificate, not a chain.`);
        return;
    }
    let facts;
    try {
        facts = inspectCertificate(pem);
    } catch (e) {
        err(key, `${(e as Error).message}.`);
        return;
    }
    if (facts.keyType !== "rsa") {
        err(key, `uses a ${facts.keyType.toUpperCase()} key; Entra client assertions for Exchange Online need an RSA key of at least ${BYO_RSA_BITS_MIN} bits.`);
    } else if ((facts.rsaBits ?? 0) < BYO_RSA_BITS_MIN) {
        err(key, `uses a ${facts.rsaBits}-bit RSA key; at least ${BYO_RSA_BITS_MIN} bits are required.`);
    }
    if (Date.parse(facts.notAfter) <= now.getTime()) {
        err(key, `expired on ${facts.notAfter} (thumbprint ${facts.thumbprint}); supply a current certificate.`);
    } else if (Date.parse(facts.notBefore) > now.getTime()) {
        err(key, `is not valid until ${facts.notBefore} (thumbprint ${facts.thumbprint}); Entra rejects credentials that are not yet valid.`);
    }
}

function checkOwners(owners: readonly string[], err: (k: string, m: string) => void): void {
    if (owners.length === 0) {
        err("owners", "is an empty list; list at least one object id, or remove the key to make the deploying identity the owner.");
    }
    const seen = new Set<string>();
    owners.forEach((id, i) => {
        if (!GUID.test(id)) {
            err("owners", `item ${i} (${show(id)}) is not an object id; owners are user or service principal object ids (GUIDs).`);
        } else if (seen.has(id.toLowerCase())) {
            err("owners", `lists ${show(id)} more than once; remove the duplicate.`);
        }
        seen.add(id.toLowerCase());
    });
}

/** Renders problems as one message, one line each. */
export function describeProblems(title: string, problems: readonly Problem[], keyPrefix = ""): string {
    const lines = problems.map((p) => `  - ${keyPrefix}${p.key} ${p.message}`);
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    return `${title} (${count}; nothing was created or changed):\n${lines.join("\n")}`;
}

/** Quotes a value for an error message, shortened so a pasted blob cannot flood the output. */
export function show(value: unknown): string {
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
