/**
 * The rules of the settings most stacks leave out: certificate generations and brought certificates,
 * managed identities, federated credentials, a stack without an application, and the readers of their
 * list items. validation.ts calls them through the OptionalRules loader, so `pulumi up` loads this file
 * (and Node strips its types) only for a stack that uses one of these settings. Pure, like validation.ts.
 */
import { inspectCertificate, pemBlocks } from "./certificate.ts";
import { expiryStatus } from "./expiry.ts";
import { SECRET_NAME, tryParseKeyVaultId } from "./keyVault.ts";
import { type Cloud, isGuid } from "./microsoft.ts";
import { containsPrivateKey, hasControlCharacters, show } from "./redaction.ts";
import {
    BYO_RSA_BITS_MIN,
    type CertificateGeneration,
    type FederatedCredential,
    MAX_FEDERATED_CREDENTIALS,
    MAX_GENERATIONS,
    type ManagedIdentity,
    SETTINGS,
    type Settings,
    settingsNeeding,
} from "./settings.ts";
import {
    INITIAL_GENERATION,
    type OptionalRules,
    type ResolvedFederatedCredential,
    checkObjectIds,
    cloudOf,
    generationsOf,
    isBlank,
    rsaBitsProblem,
    shortLivedProblem,
    validityDaysProblem,
} from "./validation.ts";

export function checkWithoutApplication(s: Settings, err: (k: string, m: string) => void): void {
    if (s.managedIdentities === undefined || s.managedIdentities.length === 0) {
        err(
            "application",
            "is false, so only managed identities get access, and exo-cba:managedIdentities lists none. List at least one, or set application to true.",
        );
    }
    // Those with a default only get a warning for another value (validation.ts warnAboutUnusedSettings).
    for (const key of settingsNeeding("application")) {
        if (SETTINGS[key].default === undefined && s[key] !== undefined) {
            err(key, "has no effect without an application (exo-cba:application is false); remove it.");
        }
    }
}

/** A list item's name and what it must look like. Names of generations and managed identities become part of resource names. */
interface NameRule {
    readonly pattern: RegExp;
    readonly needs: string;
}
const NAME: NameRule = {
    pattern: /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/i,
    needs: "needs a name of 1 to 32 letters, digits or inner hyphens; it becomes part of the resource names.",
};
/** A federated credential's name: Entra asks for at least 3 characters. */
const FEDERATED_NAME: NameRule = {
    pattern: /^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/i,
    needs: "needs a name of 3 to 32 letters, digits or inner hyphens (Entra asks for at least 3); it names the credential and its resource.",
};

/**
 * What is wrong with a list item's name: not of the rule's form, or one already in `seen` (in any case:
 * it becomes part of resource names). Adds it to `seen`.
 */
function itemNameProblem(name: string, rule: NameRule, seen: Set<string>, item: string): string | undefined {
    const lower = name.toLowerCase();
    const repeated = seen.has(lower);
    seen.add(lower);
    if (!rule.pattern.test(name)) return rule.needs;
    return repeated ? `repeats a name; every ${item} needs its own.` : undefined;
}

export function checkManagedIdentities(list: readonly ManagedIdentity[], err: (k: string, m: string) => void): void {
    const key = "managedIdentities";
    const names = new Set<string>();
    const ids = new Map<string, string>();
    list.forEach((mi, i) => {
        const label = `item ${i} (${show(mi.name)})`;
        const nameProblem = itemNameProblem(mi.name, NAME, names, "identity");
        if (nameProblem) err(key, `${label} ${nameProblem}`);
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
const FIELD_MAX = 600;

export function checkFederatedCredentials(
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
        const nameProblem = itemNameProblem(f.name, FEDERATED_NAME, names, "credential");
        if (nameProblem) err(key, `${label} ${nameProblem}`);
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
            } else if (
                isBlank(f.audiences[0]) ||
                f.audiences[0] !== f.audiences[0].trim() ||
                f.audiences[0].length > FIELD_MAX ||
                hasControlCharacters(f.audiences[0])
            ) {
                err(
                    key,
                    `${label} audience must be 1 to ${FIELD_MAX} characters without surrounding spaces or control characters (got ${show(f.audiences[0])}).`,
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
        if (isBlank(value) || value.length > 255 || value !== value.trim() || hasControlCharacters(value)) {
            err(
                key,
                `${label} environment must be a GitHub environment name: 1 to 255 characters, no surrounding spaces or control characters (got ${show(value)}).`,
            );
        }
    } else if (/^refs\//.test(value)) {
        err(key, `${label} branch is the branch's name without refs/heads/ (got ${show(value)}).`);
    } else if (
        isBlank(value) ||
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
    // with surrounding whitespace (workload-identity-federation-considerations). The URL parser drops inner
    // tabs and line breaks, so they are looked for in the text itself. An issuer is a bare URL: a user name,
    // password, query or fragment in it is a mistake (or a secret pasted in).
    if (
        !url ||
        url.protocol !== "https:" ||
        issuer !== issuer.trim() ||
        issuer.length > FIELD_MAX ||
        issuer.includes("*") ||
        hasControlCharacters(issuer) ||
        url.username !== "" ||
        url.password !== "" ||
        /[?#]/.test(issuer)
    ) {
        err(
            key,
            `${label} issuer must be an https:// URL of at most ${FIELD_MAX} characters, without wildcards, user name, password, query, fragment or control characters (got ${show(issuer)}).`,
        );
    }
}

function checkSubject(subject: string, label: string, key: string, err: (k: string, m: string) => void): void {
    if (isBlank(subject) || subject !== subject.trim() || subject.length > FIELD_MAX || hasControlCharacters(subject)) {
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

export function checkGenerations(s: Settings, now: Date, err: (k: string, m: string) => void, warn: (k: string, m: string) => void): void {
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
        const nameProblem = itemNameProblem(g.name, NAME, names, "generation");
        if (nameProblem) err(key, `${label} ${nameProblem}`);
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
            else if (g.validityDays !== undefined) {
                const short = shortLivedProblem(g.validityDays, s.renewBeforeDays);
                if (short) err(key, `${label} validityDays ${short}`);
            }
            const bits = g.rsaBits === undefined ? undefined : rsaBitsProblem(g.rsaBits);
            if (bits) err(key, `${label} rsaBits ${bits}`);
        }
    });
}

/** Checks a supplied certificate; returns its thumbprint when it is readable. */
export function checkCertificatePem(
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
    if (Date.parse(facts.notAfter) < Date.parse(facts.notBefore)) {
        err(
            key,
            `${label}ends (${facts.notAfter}) before it begins (${facts.notBefore}): it can never be used. Supply a certificate issued correctly.`,
        );
        return undefined;
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

/** Key Vault delivery: the vault's id, the secret's name and its readers. */
export function checkKeyVault(s: Settings, err: (k: string, m: string) => void): void {
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

// ---- reading list items (the `items` settings of settings.ts) ----

/**
 * Reads an item that is an object of known fields (or, where `nameOnly` allows, a bare name). Unknown
 * fields are named, never their values: a key pasted under a wrong field must not be echoed.
 */
function readObjectItem(
    item: unknown,
    index: number,
    fields: readonly string[],
    problems: string[],
    nameOnly: boolean,
): Record<string, unknown> | undefined {
    if (nameOnly && (typeof item === "string" || typeof item === "number")) return { name: String(item) };
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
        problems.push(`item ${index} must be ${nameOnly ? "a name or " : ""}an object with ${fields.join(", ")} (got ${show(item)})`);
        return undefined;
    }
    const o = item as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !fields.includes(k));
    if (unknown.length > 0) {
        problems.push(`item ${index} has unknown field ${unknown.map((k) => show(k)).join(", ")} (allowed: ${fields.join(", ")})`);
    }
    return o;
}

/** A field that must be text, or a number that `pulumi config set --path` stored for a numeric-looking text. */
function textField(o: Record<string, unknown>, field: string, label: string, problems: string[]): string | undefined {
    const v = o[field];
    if (v === undefined) return undefined;
    if (typeof v === "string") return v;
    if (typeof v === "number") return String(v);
    problems.push(`${label} ${field} must be text (got ${show(v)})`);
    return undefined;
}

/** A field that must be a whole number (or digits as text). */
function wholeField(o: Record<string, unknown>, field: string, label: string, problems: string[]): number | undefined {
    const v = o[field];
    if (v === undefined) return undefined;
    if (typeof v === "number" && Number.isInteger(v)) return v;
    if (typeof v === "string" && /^[0-9]{1,9}$/.test(v)) return Number.parseInt(v, 10);
    problems.push(`${label} ${field} must be a whole number (got ${show(v)})`);
    return undefined;
}

const GENERATION_FIELDS = ["name", "certificatePem", "validityDays", "rsaBits"];

/**
 * exo-cba:certificates: each item is a name ("2027") or an object with a name and, for a supplied
 * certificate, certificatePem, or for a generated one, validityDays and rsaBits. `pulumi config set
 * --path` stores numeric-looking values as numbers, so "2027" may arrive as 2027.
 */
function readGeneration(item: unknown, i: number, problems: string[]): CertificateGeneration {
    const o = readObjectItem(item, i, GENERATION_FIELDS, problems, true);
    if (!o) return { name: "" };
    const label = `item ${i}`;
    const name = textField(o, "name", label, problems) ?? "";
    if (isBlank(name)) problems.push(`${label} needs a name`);
    const certificatePem = o["certificatePem"];
    if (certificatePem !== undefined && typeof certificatePem !== "string") problems.push(`${label} certificatePem must be text`);
    return {
        name,
        certificatePem: typeof certificatePem === "string" ? certificatePem : undefined,
        validityDays: wholeField(o, "validityDays", label, problems),
        rsaBits: wholeField(o, "rsaBits", label, problems),
    };
}

const MANAGED_IDENTITY_FIELDS = ["name", "objectId", "clientId"];

function readManagedIdentity(item: unknown, i: number, problems: string[]): ManagedIdentity {
    const o = readObjectItem(item, i, MANAGED_IDENTITY_FIELDS, problems, false);
    if (!o) return { name: "", objectId: "" };
    const label = `item ${i}`;
    const name = textField(o, "name", label, problems) ?? "";
    if (isBlank(name)) problems.push(`${label} needs a name`);
    const objectId = textField(o, "objectId", label, problems) ?? "";
    if (isBlank(objectId)) problems.push(`${label} needs an objectId (the managed identity's service principal object id)`);
    return { name, objectId, clientId: textField(o, "clientId", label, problems) };
}

const FEDERATED_FIELDS = ["name", "issuer", "subject", "audiences", "github", "environment", "branch"];

function readFederatedCredential(item: unknown, i: number, problems: string[]): FederatedCredential {
    const o = readObjectItem(item, i, FEDERATED_FIELDS, problems, false);
    if (!o) return { name: "" };
    const label = `item ${i}`;
    const name = textField(o, "name", label, problems) ?? "";
    if (isBlank(name)) problems.push(`${label} needs a name`);
    const audiences = o["audiences"];
    if (audiences !== undefined && !(Array.isArray(audiences) && audiences.every((a) => typeof a === "string"))) {
        problems.push(`${label} audiences must be a list of text (got ${show(audiences)})`);
    }
    return {
        name,
        issuer: textField(o, "issuer", label, problems),
        subject: textField(o, "subject", label, problems),
        audiences: Array.isArray(audiences) ? (audiences as string[]) : undefined,
        github: textField(o, "github", label, problems),
        environment: textField(o, "environment", label, problems),
        branch: textField(o, "branch", label, problems),
    };
}

/** The list readers, by the name settings.ts gives them. */
export const readers = {
    generation: readGeneration,
    managedIdentity: readManagedIdentity,
    federatedCredential: readFederatedCredential,
} satisfies OptionalRules["readers"];

// What validation.ts loads: every rule it declares, with these signatures.
({
    checkWithoutApplication,
    checkManagedIdentities,
    checkFederatedCredentials,
    federatedCredentialsOf,
    checkGenerations,
    checkCertificatePem,
    checkKeyVault,
    readers,
}) satisfies OptionalRules;
