/**
 * Every setting of the stack (namespace `exo-cba`), declared once: key, type, default, what is allowed
 * and a one-line description, with the limits the rules hold values to. The defaults, the resolved Settings
 * type and the component's arguments follow from SETTINGS, and so does reading the text Pulumi hands the
 * program (settingsReader.ts); Pulumi.yaml's `config:` block and the README's configuration table are
 * rendered from it. The rules a value must keep live in validation.ts and rules/. Declarations only.
 */
import { CLOUDS, CLOUD_NAMES } from "./clouds.ts";
import { SUPPORTED_ROLES } from "./microsoft.ts";
import { STACK_NAME_RULE } from "./stackNames.ts";

export const CONFIG_NAMESPACE = "exo-cba";

/**
 * How a value is written: a string, a whole number, true/false, a list of strings, or a list of items
 * (names or objects), which Pulumi.yaml cannot declare, so the key has no type there.
 */
export type Kind = "string" | "integer" | "boolean" | "strings" | "items";

export interface Setting<V> {
    readonly kind: Kind;
    /** The value when the key is not set. */
    readonly default: V;
    /** The README's "Default" column, for a person. */
    readonly defaultText: string;
    /** The README's "Allowed" column (Markdown). */
    readonly allowed: string;
    /** One line, as Pulumi.yaml's description. */
    readonly description: string;
    /** "items" only: which reader of components/rules/items.ts reads one list item. */
    readonly reader?: ItemReader;
    /** What the setting means nothing without (see Needs). */
    readonly needs?: Needs;
}

/**
 * What a setting means nothing without: an application, a certificate (which needs an application) or a
 * self-signed certificate (which is a certificate). A stack without it is warned about a value other than
 * the setting's default, and refused for a setting that has none (validation.ts, rules/withoutApplication.ts).
 */
export type Needs = "application" | "certificate" | "selfSigned";

interface Doc {
    readonly defaultText: string;
    readonly allowed: string;
    readonly description: string;
    readonly needs?: Needs;
}

const text = (d: Doc & { readonly default: string }): Setting<string> => ({ kind: "string", ...d });
const optionalText = (d: Doc): Setting<string | undefined> => ({ kind: "string", default: undefined, ...d });
const whole = (d: Doc & { readonly default: number }): Setting<number> => ({ kind: "integer", ...d });
const flag = (d: Doc & { readonly default: boolean }): Setting<boolean> => ({ kind: "boolean", ...d });
const names = (d: Doc & { readonly default: readonly string[] }): Setting<readonly string[]> => ({ kind: "strings", ...d });
const optionalNames = (d: Doc): Setting<readonly string[] | undefined> => ({ kind: "strings", default: undefined, ...d });
/** The readers of list items, in components/rules/items.ts (loaded only for a stack that uses such a list). */
export type ItemReader = "generation" | "managedIdentity" | "federatedCredential";

/** A list of items of type T, each read by the named reader. */
const items = <T>(d: Doc & { readonly reader: ItemReader }): Setting<readonly T[] | undefined> => ({
    kind: "items",
    default: undefined,
    ...d,
});

/** A managed identity that gets app-only Exchange Online access without any application or key. */
export interface ManagedIdentity {
    /** Label, unique within the stack; part of the resource names. */
    readonly name: string;
    /** Object id of the identity's service principal (Enterprise applications → Object ID). */
    readonly objectId: string;
    /** Client (application) id of a user-assigned identity: Connect-ExchangeOnline -ManagedIdentityAccountId. */
    readonly clientId?: string | undefined;
}

/**
 * A federated identity credential on the application: a workload (a GitHub Actions job, an Azure DevOps
 * pipeline, a Kubernetes pod) signs in with a token from its own issuer, nothing stored. Either issuer and
 * subject, or the GitHub shorthand: github "<owner>/<repo>" with environment or branch.
 */
export interface FederatedCredential {
    readonly name: string;
    readonly issuer?: string | undefined;
    readonly subject?: string | undefined;
    readonly audiences?: readonly string[] | undefined;
    readonly github?: string | undefined;
    readonly environment?: string | undefined;
    readonly branch?: string | undefined;
}

/** One certificate generation; the last one of a list is the active certificate. */
export interface CertificateGeneration {
    /** Label, unique within the stack; part of the resource names (letters, digits, hyphens). */
    readonly name: string;
    /** Bring your own: the public PEM. Unset: a key and self-signed certificate are generated. */
    readonly certificatePem?: string | undefined;
    /** Self-signed lifetime in days; unset: certValidityDays. */
    readonly validityDays?: number | undefined;
    /** Self-signed RSA key size; unset: certRsaBits. */
    readonly rsaBits?: number | undefined;
}

/*
 * The limits the rules (validation.ts, rules/) hold values to, stated here so that the table's
 * "Allowed" text quotes the numbers the rules check.
 */
export const DISPLAY_NAME_MAX = 120;
export const VALIDITY_DAYS_MIN = 1;
export const VALIDITY_DAYS_MAX = 3650;
export const RSA_BITS_ALLOWED: readonly number[] = [2048, 3072, 4096];
/** Entra client assertions are RS256/PS256, and Microsoft asks for at least 2048-bit RSA. */
export const BYO_RSA_BITS_MIN = 2048;
export const RENEW_BEFORE_DAYS_MAX = 365;
/**
 * Live certificates at once. Entra allows more, but rotation needs two; a third leaves room for a
 * stand-by. More means an unfinished rotation.
 */
export const MAX_GENERATIONS = 3;
/** Entra's limit of federated identity credentials per application (learn.microsoft.com/graph/api/application-post-federatedidentitycredentials). */
export const MAX_FEDERATED_CREDENTIALS = 20;

const ROLE_NAMES = SUPPORTED_ROLES.map((r) => r.name).join(", ");
/** "a, b or c". */
const orWords = (words: readonly string[]): string => `${words.slice(0, -1).join(", ")} or ${words[words.length - 1]}`;
/** "2048, 3072 or 4096". */
const orList = (values: readonly number[]): string => orWords(values.map(String));

export const SETTINGS = {
    displayName: text({
        needs: "application",
        default: "EXO Reporting Script",
        defaultText: "`EXO Reporting Script`",
        allowed: `Not blank, at most ${DISPLAY_NAME_MAX} characters, no control characters. Names the application and is the certificate's CN.`,
        description: `Display name of the Entra application; also the certificate subject (CN). Not blank, at most ${DISPLAY_NAME_MAX} characters.`,
    }),
    organization: optionalText({
        defaultText: "the tenant's initial `*.onmicrosoft.com` domain, looked up",
        allowed:
            "A bare domain name (no scheme, no path, at least one dot). Connect-ExchangeOnline needs the *initial* domain; anything else gets a warning. Setting it also spares the deployer the `Domain.Read.All` permission.",
        description:
            "Value for Connect-ExchangeOnline -Organization, a bare domain such as contoso.onmicrosoft.com. Empty looks up the tenant's initial domain.",
    }),
    cloud: text({
        default: "global",
        defaultText: "`global`",
        allowed: `${orWords(CLOUD_NAMES.map((c) => `\`${c}\``))}. Must agree with \`azuread:environment\` (${CLOUD_NAMES.filter(
            (c) => c !== "global",
        )
            .map((c) => `\`${CLOUDS[c].azureadEnvironments[0]}\``)
            .join(", ")}), which a non-global cloud must set. See [Government and China clouds](#government-and-china-clouds).`,
        description: `The Microsoft cloud of the tenant: ${orWords(CLOUD_NAMES)}.`,
    }),
    roles: names({
        default: ["Exchange Administrator"],
        defaultText: '`["Exchange Administrator"]`',
        allowed: `At least one of: ${ROLE_NAMES} (portal names, case-sensitive, no duplicates).`,
        description:
            "Entra roles (portal names) for the application, from the ones Microsoft supports for app-only Exchange Online access.",
    }),
    allowGlobalAdministrator: flag({
        default: false,
        defaultText: "`false`",
        allowed: "Must be `true` before `roles` may contain Global Administrator.",
        description: "Must be true before roles may contain Global Administrator.",
    }),
    application: flag({
        default: true,
        defaultText: "`true`",
        allowed:
            "`false`: no Entra application at all (no certificate, no federated credential, no consent): only the `managedIdentities` get access. Needs at least one managed identity.",
        description:
            "Create the Entra application that certificates and federated credentials sign in as; false when only managed identities need access.",
    }),
    multitenant: flag({
        needs: "application",
        default: false,
        defaultText: "`false`",
        allowed:
            "`true`: the application may be used in other tenants (`AzureADMultipleOrgs`): this is a [home stack](#one-application-for-many-tenants) whose customer stacks name it in `home`. Changing it updates the application in place.",
        description:
            "Make the application multitenant, so that customer stacks (exo-cba:home) give it access in their tenants; the key and its rotation stay here.",
    }),
    home: optionalText({
        defaultText: "empty: this stack has an application of its own",
        allowed: `A [customer stack](#one-application-for-many-tenants): the home stack's full name \`<organization>/<project>/<stack>\` (each part ${STACK_NAME_RULE}). The home must be deployed, multitenant and in the same cloud. No application, certificate or credential is made here: the home's application gets its service principal, consent and roles in this tenant.`,
        description:
            "A customer stack: the full name org/project/stack of the home stack whose multitenant application gets access in this tenant. Empty: the stack has an application of its own.",
    }),
    consentedByAdministrator: flag({
        default: false,
        defaultText: "`false`",
        allowed:
            "Customer stacks only. `true`: an administrator of this tenant consented through the stack's `adminConsentUrl`, which made the service principal and granted the permission; the stack then grants no consent of its own (Graph refuses a second), takes the service principal over and assigns the roles.",
        description:
            "Customer stacks only: an administrator of this tenant already consented through adminConsentUrl, so the stack grants no consent of its own.",
    }),
    certValidityDays: whole({
        needs: "selfSigned",
        default: 365,
        defaultText: "`365`",
        allowed: `${VALIDITY_DAYS_MIN} to ${VALIDITY_DAYS_MAX}. Self-signed mode only.`,
        description: `Lifetime of the self-signed certificate in days, ${VALIDITY_DAYS_MIN} to ${VALIDITY_DAYS_MAX}.`,
    }),
    certRsaBits: whole({
        needs: "selfSigned",
        default: 2048,
        defaultText: "`2048`",
        allowed: `${orList(RSA_BITS_ALLOWED)}. Self-signed mode only.`,
        description: `RSA key size of the self-signed certificate, ${orList(RSA_BITS_ALLOWED)}.`,
    }),
    certificatePem: optionalText({
        needs: "application",
        defaultText: "empty: generate a key and certificate",
        allowed: `Bring your own: the **public** certificate in PEM. One certificate, RSA of at least ${BYO_RSA_BITS_MIN} bits, not expired, no private key block. One that starts later (a certificate staged for the next rotation) is accepted with a warning saying from when runners can sign in with it.`,
        description:
            "Bring your own certificate - its public PEM only (no private key). Empty generates a key and self-signed certificate.",
    }),
    owners: optionalNames({
        needs: "application",
        defaultText: "empty: the identity running Pulumi",
        allowed: "Object ids (GUIDs) of users or service principals that own the application and service principal.",
        description: "Object ids of the application's owners. Empty makes the identity running Pulumi the owner.",
    }),
    certificates: items<CertificateGeneration>({
        needs: "application",
        defaultText: "empty: one generation named `initial`, from `certificatePem` / `certValidityDays` / `certRsaBits`",
        allowed: `Certificate generations for [rotation](#rotate-the-certificate), oldest first; the last is active. Each item is a name, or \`{ name, certificatePem }\` (bring your own) or \`{ name, validityDays, rsaBits }\` (self-signed; defaults \`certValidityDays\` / \`certRsaBits\`). Names: 1–32 letters, digits, inner hyphens, unique. At most ${MAX_GENERATIONS} items. Not together with \`certificatePem\`. \`[]\`: no certificate at all, only with \`federatedCredentials\`.`,
        description:
            "Certificate generations for rotation, oldest first; the last one is active. Each item is a name or an object with name and either certificatePem (bring your own) or validityDays/rsaBits (self-signed). Empty means one generation named initial, from certificatePem / certValidityDays / certRsaBits.",
        reader: "generation",
    }),
    renewBeforeDays: whole({
        needs: "certificate",
        default: 30,
        defaultText: "`30`",
        allowed: `0 to ${RENEW_BEFORE_DAYS_MAX}. \`pulumi preview\`/\`up\` warn when the active certificate expires within this many days; \`npm run check-expiry\` uses it too.`,
        description: `Warn when the active certificate expires within this many days, 0 to ${RENEW_BEFORE_DAYS_MAX}.`,
    }),
    managedIdentities: items<ManagedIdentity>({
        defaultText: "empty",
        allowed:
            "[Managed identities](#runners-without-a-secret) that get `Exchange.ManageAsApp` and the `roles`: `{ name, objectId, clientId? }`. `objectId` is the identity's service principal object id; `clientId` (user-assigned only) becomes `-ManagedIdentityAccountId`. Names: 1–32 letters, digits, inner hyphens, unique; each identity once. In GCC High and DoD the identity of an Azure Government resource, in China of an Azure China one ([clouds](#government-and-china-clouds)).",
        description:
            "Managed identities (Automation, Functions, VMs) given Exchange.ManageAsApp and the roles: items { name, objectId, clientId? }, objectId being the identity's service principal object id.",
        reader: "managedIdentity",
    }),
    federatedCredentials: items<FederatedCredential>({
        needs: "application",
        defaultText: "empty",
        allowed: `[Federated credentials](#runners-without-a-secret) on the application: \`{ name, issuer, subject, audiences? }\`, or \`{ name, github: <owner>/<repo>, environment }\` / \`{ name, github, branch }\`. At most ${MAX_FEDERATED_CREDENTIALS}; https issuers; no wildcard or \`pull_request\` subjects; names 3–32 letters, digits, inner hyphens, unique; each issuer and subject once.`,
        description:
            "Federated identity credentials on the application (GitHub Actions, Azure DevOps, Kubernetes): items { name, issuer, subject, audiences? } or { name, github: owner/repo, environment | branch }.",
        reader: "federatedCredential",
    }),
    keyVaultId: optionalText({
        needs: "application",
        defaultText: "empty: no Key Vault delivery",
        allowed:
            "ARM resource id of an existing vault (Azure RBAC) that receives the active certificate and key as one secret: `/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>`. Needs a self-signed active certificate. See [Key Vault](#azure-key-vault-and-an-automation-runbook).",
        description:
            "ARM resource id of an existing Key Vault (Azure RBAC) that receives the active certificate and key as one PEM secret. Empty means no Key Vault delivery. Needs a self-signed active certificate.",
    }),
    keyVaultSecretName: optionalText({
        needs: "application",
        defaultText: "empty: `<project>-<stack>` (e.g. `exo-cba-contoso`)",
        allowed: "1–127 letters, digits, hyphens. Only with `keyVaultId`.",
        description: "Name of the Key Vault secret; empty means <project>-<stack>. Letters, digits, hyphens.",
    }),
    keyVaultReaderPrincipalIds: optionalNames({
        needs: "application",
        defaultText: "empty",
        allowed:
            "Object ids of managed identities or service principals granted *Key Vault Secrets User* on the secret only (e.g. an Automation account's identity). Only with `keyVaultId`.",
        description:
            "Object ids of managed identities or service principals (e.g. an Automation account's) granted Key Vault Secrets User on that secret only.",
    }),
} as const satisfies Record<string, Setting<unknown>>;

export type SettingKey = keyof typeof SETTINGS;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

type ValueOf<S> = S extends Setting<infer V> ? V : never;

/** The resolved settings: every key, defaults filled in ("not set" is undefined where there is no default). */
export type Settings = { readonly [K in SettingKey]: ValueOf<(typeof SETTINGS)[K]> };

/** The component's arguments: any setting, each defaulting as SETTINGS says. */
export type SettingsInput = { readonly [K in SettingKey]?: ValueOf<(typeof SETTINGS)[K]> };

const IMPLIED: Readonly<Record<Needs, readonly Needs[]>> = {
    application: ["application", "certificate", "selfSigned"],
    certificate: ["certificate", "selfSigned"],
    selfSigned: ["selfSigned"],
};

/** The settings that mean nothing without `what`: those that need it, or something that needs it. */
export function settingsNeeding(what: Needs): SettingKey[] {
    return SETTING_KEYS.filter((key) => {
        const needs: Needs | undefined = (SETTINGS[key] as Setting<unknown>).needs;
        return needs !== undefined && IMPLIED[what].includes(needs);
    });
}

/** Fills in the defaults of SETTINGS. */
export function withDefaults(input: SettingsInput): Settings {
    const out: Record<string, unknown> = {};
    for (const key of SETTING_KEYS) out[key] = input[key] ?? SETTINGS[key].default;
    return out as Settings;
}

/** One thing wrong with one setting. `key` is the bare setting name (`roles`, `certValidityDays`, ...). */
export interface Problem {
    readonly key: string;
    readonly message: string;
}

/** Reports one problem with one setting. */
export type Report = (key: string, message: string) => void;
