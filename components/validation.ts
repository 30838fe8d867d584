/**
 * The rules every ExchangeAppOnlyAccess argument must satisfy. Pure: no Pulumi runtime, and the
 * clock is a parameter, so the same rules serve the stack configuration, the component itself
 * and the unit tests.
 */
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
import {
    DISPLAY_NAME_MAX,
    type ItemReader,
    type ManagedIdentity,
    type Needs,
    type Problem,
    RENEW_BEFORE_DAYS_MAX,
    RSA_BITS_ALLOWED,
    SETTINGS,
    type Settings,
    VALIDITY_DAYS_MAX,
    VALIDITY_DAYS_MIN,
    settingsNeeding,
} from "./settings.ts";

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

/**
 * Text that renders as nothing: white space (Unicode's White_Space), characters invisible by definition
 * (Default_Ignorable_Code_Point: zero-width spaces and joiners, the soft hyphen, bidirectional marks, the
 * Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, variation selectors, tag characters, ...), control
 * characters, and U+2800 BRAILLE PATTERN BLANK, which fonts draw empty.
 */
const BLANK = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\u2800]*$/u;

/**
 * True when `text` is empty or shows nothing. Wherever a value or a name must not be blank, such text is
 * blank too: a display name of one Hangul filler would name the application with what looks like nothing.
 */
export function isBlank(text: string): boolean {
    return BLANK.test(text);
}

/** The generation a stack has before exo-cba:certificates is used. */
export const INITIAL_GENERATION = "initial";

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Reports one problem with one setting. */
export type Report = (key: string, message: string) => void;

/** A federated credential with its GitHub shorthand expanded and its audience decided. */
export interface ResolvedFederatedCredential {
    readonly name: string;
    readonly issuer: string;
    readonly subject: string;
    readonly audience: string;
}

/**
 * The rules of the settings most stacks leave out (components/optional.ts): certificate generations and
 * brought certificates, managed identities, federated credentials, a stack without an application, and
 * the readers of their list items. They are handed in as a loader, so that `pulumi up` loads them (and
 * Node strips their types) only for a stack that uses one of these settings (config.ts loadOptionalRules);
 * the tests and tools import optional.ts and pass `() => optional`.
 */
export interface OptionalRules {
    readonly checkWithoutApplication: (s: Settings, err: Report) => void;
    readonly checkManagedIdentities: (list: readonly ManagedIdentity[], err: Report) => void;
    readonly checkFederatedCredentials: (s: Settings, cloud: Cloud, err: Report, warn: Report) => void;
    readonly federatedCredentialsOf: (s: Pick<Settings, "federatedCredentials" | "cloud">) => ResolvedFederatedCredential[];
    readonly checkGenerations: (s: Settings, now: Date, err: Report, warn: Report) => void;
    readonly checkKeyVault: (s: Settings, err: Report) => void;
    readonly checkCertificatePem: (
        key: string,
        label: string,
        pem: string,
        active: boolean,
        now: Date,
        err: Report,
        warn: Report,
    ) => string | undefined;
    readonly readers: Readonly<Record<ItemReader, (item: unknown, index: number, problems: string[]) => unknown>>;
}

export type LoadOptionalRules = () => OptionalRules;

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
export function checkSettings(
    s: Settings,
    now: Date,
    optional: LoadOptionalRules,
    provider: ProviderEnvironment = NO_PROVIDER_ENVIRONMENT,
): CheckResult {
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
    const renewProblem = renewBeforeDaysProblem(renew);
    if (renewProblem) err("renewBeforeDays", renewProblem);
    const renewOk = renewProblem === undefined;
    // certValidityDays applies to every self-signed certificate without validityDays of its own.
    const selfSignedByDefault =
        s.application &&
        (s.certificates === undefined
            ? s.certificatePem === undefined
            : s.certificates.some((g) => g.certificatePem === undefined && g.validityDays === undefined));
    if (!days && renewOk && selfSignedByDefault) {
        const short = shortLivedProblem(s.certValidityDays, renew);
        if (short) err("certValidityDays", short);
    }
    warnAboutUnusedSettings(s, warn);
    if (s.managedIdentities !== undefined) optional().checkManagedIdentities(s.managedIdentities, err);
    if (!s.application) {
        optional().checkWithoutApplication(s, err);
        return { errors, warnings };
    }
    if (s.certificates !== undefined) {
        optional().checkGenerations(s, now, err, warn);
    } else if (s.certificatePem !== undefined) {
        optional().checkCertificatePem("certificatePem", "", s.certificatePem, true, now, err, warn);
    }
    if (s.federatedCredentials !== undefined) optional().checkFederatedCredentials(s, cloud, err, warn);
    if (s.owners !== undefined) checkObjectIds("owners", s.owners, err);
    if (s.keyVaultId !== undefined || s.keyVaultSecretName !== undefined || s.keyVaultReaderPrincipalIds !== undefined) {
        optional().checkKeyVault(s, err);
    }
    return { errors, warnings };
}

/**
 * Settings given a value (other than their default) that this configuration never uses: a leftover that
 * would otherwise mislead whoever reads the stack file. Warnings, so a stack that carries one still deploys.
 */
function warnAboutUnusedSettings(s: Settings, warn: (k: string, m: string) => void): void {
    // Those without a default are refused instead (optional.ts checkWithoutApplication) or checked by their own rules.
    const unused = (missing: Needs, why: string) => {
        for (const key of settingsNeeding(missing)) {
            const fallback = SETTINGS[key].default;
            if (fallback !== undefined && s[key] !== fallback) warn(key, `has no effect: ${why}; remove it.`);
        }
    };
    if (!s.application) {
        unused("application", "there is no application (exo-cba:application is false)");
    } else if (s.certificates !== undefined && s.certificates.length === 0) {
        unused("certificate", "exo-cba:certificates is empty, so there is no certificate");
    } else if (s.certificates === undefined && s.certificatePem !== undefined) {
        unused("selfSigned", "the brought certificate (exo-cba:certificatePem) has its own validity and key");
    }
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

/**
 * The renewal window's rule, for the setting, `npm run check-expiry --renew-before-days` and the stack's
 * renewBeforeDays output alike: a negative or fractional window would silence the alarm.
 */
export function renewBeforeDaysProblem(days: unknown): string | undefined {
    return typeof days === "number" && Number.isInteger(days) && days >= 0 && days <= RENEW_BEFORE_DAYS_MAX
        ? undefined
        : `must be a whole number of days from 0 to ${RENEW_BEFORE_DAYS_MAX} (got ${show(days)}).`;
}

export function validityDaysProblem(days: number): string | undefined {
    return Number.isInteger(days) && days >= VALIDITY_DAYS_MIN && days <= VALIDITY_DAYS_MAX
        ? undefined
        : `must be a whole number of days from ${VALIDITY_DAYS_MIN} to ${VALIDITY_DAYS_MAX} (got ${show(days)}).`;
}

/**
 * A self-signed certificate no longer-lived than the renewal window would be due for renewal the day it
 * is made: every `pulumi up` would warn and check-expiry would fail at once.
 */
export function shortLivedProblem(validityDays: number, renewBeforeDays: number): string | undefined {
    return validityDays > renewBeforeDays
        ? undefined
        : `is ${validityDays} days, no longer than renewBeforeDays (${renewBeforeDays}): every certificate would be due for renewal the day it is made. Make it longer, or renewBeforeDays shorter.`;
}

export function rsaBitsProblem(bits: number): string | undefined {
    return RSA_BITS_ALLOWED.includes(bits) ? undefined : `must be one of ${RSA_BITS_ALLOWED.join(", ")} (got ${show(bits)}).`;
}

function checkDisplayName(name: string, err: (k: string, m: string) => void): void {
    if (isBlank(name)) {
        err("displayName", "must not be blank: it names the application in Entra ID and the certificate subject.");
    } else if (name.length > DISPLAY_NAME_MAX) {
        err("displayName", `must be at most ${DISPLAY_NAME_MAX} characters (got ${name.length}).`);
    } else if (isBlank(Array.from(name)[0] ?? "") || isBlank(Array.from(name).at(-1) ?? "")) {
        err("displayName", `must not start or end with spaces or characters that show nothing (got ${show(name)}).`);
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

/**
 * What keeps `org` from being a bare domain name (blank, a scheme, a path, spaces, control characters, ...),
 * or undefined when it is one. For the organization setting and for the initial domain a tenant reports.
 */
export function organizationHint(org: string): string | undefined {
    if (isBlank(org)) return "it is blank.";
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

export function checkObjectIds(key: string, ids: readonly string[], err: (k: string, m: string) => void): void {
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
