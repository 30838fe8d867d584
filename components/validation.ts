/**
 * The rules every stack is checked against (display name, cloud, organization, roles, certificate
 * defaults, settings that mean nothing in this configuration), and the entry to the rules of the settings
 * most stacks leave out (rules/loadRules.ts). Pure: no Pulumi runtime, and the clock is a parameter, so
 * the same rules serve the stack configuration, the component itself and the unit tests.
 */
import { checkObjectIds, isBlank, renewBeforeDaysProblem, rsaBitsProblem, shortLivedProblem, validityDaysProblem } from "./rules/values.ts";
import { GLOBAL_ADMINISTRATOR, INITIAL_DOMAIN_SUFFIXES, SUPPORTED_ROLES, findRole } from "./microsoft.ts";
import { CLOUDS, CLOUD_NAMES, type Cloud, isCloudName } from "./clouds.ts";
import { containsPrivateKey, hasControlCharacters, show } from "./redaction.ts";
import { loadRule } from "./rules/loadRules.ts";
import { DISPLAY_NAME_MAX, type Report, type Needs, type Problem, SETTINGS, type Settings, settingsNeeding } from "./settings.ts";

export type { Problem };

export interface CheckResult {
    readonly errors: Problem[];
    readonly warnings: Problem[];
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

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
    const renewProblem = renewBeforeDaysProblem(renew);
    if (renewProblem) err("renewBeforeDays", renewProblem);
    const renewOk = renewProblem === undefined;
    // certValidityDays applies to every self-signed certificate without validityDays of its own.
    const selfSignedByDefault =
        s.application &&
        s.home === undefined &&
        (s.certificates === undefined
            ? s.certificatePem === undefined
            : s.certificates.some((g) => g.certificatePem === undefined && g.validityDays === undefined));
    if (!days && renewOk && selfSignedByDefault) {
        const short = shortLivedProblem(s.certValidityDays, renew);
        if (short) err("certValidityDays", short);
    }
    warnAboutUnusedSettings(s, warn);
    if (s.consentedByAdministrator && s.home === undefined) {
        err(
            "consentedByAdministrator",
            "is for a customer stack (exo-cba:home), whose home application an administrator consented to; a stack with an application of its own grants the consent itself. Remove it.",
        );
    }
    if (s.managedIdentities !== undefined) loadRule("managedIdentities").checkManagedIdentities(s.managedIdentities, err);
    if (!s.application || s.home !== undefined) {
        loadRule("withoutApplication").checkWithoutApplication(s, err);
        return { errors, warnings };
    }
    if (s.certificates !== undefined) {
        loadRule("generations").checkGenerations(s, now, err, warn);
    } else if (s.certificatePem !== undefined) {
        loadRule("generations").checkCertificatePem(
            { key: "certificatePem", label: "", pem: s.certificatePem, active: true },
            now,
            err,
            warn,
        );
    }
    if (s.federatedCredentials !== undefined) loadRule("federatedCredentials").checkFederatedCredentials(s, cloud, err, warn);
    if (s.owners !== undefined) checkObjectIds("owners", s.owners, err);
    if (s.keyVaultId !== undefined || s.keyVaultSecretName !== undefined || s.keyVaultReaderPrincipalIds !== undefined) {
        loadRule("keyVault").checkKeyVault(s, err);
    }
    return { errors, warnings };
}

/**
 * Settings given a value (other than their default) that this configuration never uses: a leftover that
 * would otherwise mislead whoever reads the stack file. Warnings, so a stack that carries one still deploys.
 */
function warnAboutUnusedSettings(s: Settings, warn: Report): void {
    // Those without a default are refused instead (rules/withoutApplication.ts) or checked by their own rules.
    const unused = (missing: Needs, why: string) => {
        for (const key of settingsNeeding(missing)) {
            const fallback = SETTINGS[key].default;
            if (fallback !== undefined && s[key] !== fallback) warn(key, `has no effect: ${why}; remove it.`);
        }
    };
    if (s.home !== undefined) {
        // multitenant is refused in a customer stack (rules/withoutApplication.ts), not merely unused.
        for (const key of settingsNeeding("application")) {
            const fallback = SETTINGS[key].default;
            if (key !== "multitenant" && fallback !== undefined && s[key] !== fallback) {
                warn(
                    key,
                    "has no effect in a customer stack: the application is the home stack's (exo-cba:home); set it there, and remove it here.",
                );
            }
        }
    } else if (!s.application) {
        unused("application", "there is no application (exo-cba:application is false)");
    } else if (s.certificates !== undefined && s.certificates.length === 0) {
        unused("certificate", "exo-cba:certificates is empty, so there is no certificate");
    } else if (s.certificates === undefined && s.certificatePem !== undefined) {
        unused("selfSigned", "the brought certificate (exo-cba:certificatePem) has its own validity and key");
    }
}

function checkCloud(name: string, provider: ProviderEnvironment, err: Report): Cloud {
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

function checkDisplayName(name: string, err: Report): void {
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

function checkOrganization(org: string, cloud: Cloud, err: Report, warn: Report): void {
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

function checkRoles(roles: readonly string[], allowGlobalAdministrator: boolean, err: Report, warn: Report): void {
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
