/**
 * Microsoft identifiers this project depends on, each with the page that documents it.
 * Anything the tenant can tell us at run time (the Exchange Online service principal and
 * its app role ids) is looked up instead; these are the values we cannot look up.
 */

/**
 * Application (client) id of "Office 365 Exchange Online", the resource that publishes
 * the `Exchange.ManageAsApp` application permission.
 * https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2 (manifest example)
 */
export const EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";

/** The application permission (app role value) that lets an app run Exchange Online PowerShell. */
export const MANAGE_AS_APP_ROLE = "Exchange.ManageAsApp";

/** An Entra object or application id: a GUID in its 8-4-4-4-12 hex form, any letter case. */
export const GUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const GUID = new RegExp(`^${GUID_PATTERN}$`, "i");

export function isGuid(text: string): boolean {
    return GUID.test(text);
}

/** Suffixes of the initial (Microsoft-issued) domain in the commercial and sovereign clouds. */
export const INITIAL_DOMAIN_SUFFIXES = [".onmicrosoft.com", ".onmicrosoft.us", ".partner.onmschina.cn"] as const;

export interface DirectoryRoleInfo {
    /** Name as the Entra admin centre shows it; this is what `roles` config takes. */
    readonly name: string;
    /** Built-in role template id (stable in every tenant). */
    readonly templateId: string;
    /** Supported for app-only Exchange Online PowerShell. */
    readonly exchangeOnline: boolean;
    /** Supported for app-only Security & Compliance PowerShell. */
    readonly securityAndCompliance: boolean;
    /** Covers every Exchange Online task (only two roles do). */
    readonly allExchangeTasks: boolean;
}

/**
 * The Entra roles Microsoft supports for app-only Exchange Online access.
 * Template ids: https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
 * Supported roles: https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2#assign-microsoft-entra-roles-to-the-application
 */
export const SUPPORTED_ROLES: readonly DirectoryRoleInfo[] = [
    // Graph calls this role "Exchange Service Administrator"; the portal says "Exchange Administrator".
    role("Exchange Administrator", "29232cdf-9323-42fd-ade2-1d097af3e4de", true, false, true),
    role("Exchange Recipient Administrator", "31392ffb-586c-42d1-9346-e59415a2cc4e", true, false, false),
    role("Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451", true, true, false),
    role("Compliance Administrator", "17315797-102d-40b4-93e0-432062caca18", true, true, false),
    role("Security Reader", "5d6b6bb7-de71-4623-b4af-96380a352509", true, true, false),
    role("Security Administrator", "194ae4cb-b126-40b2-bd5b-6091b380977d", true, true, false),
    role("Helpdesk Administrator", "729827e3-9c14-49f7-bb1b-9608f156bbb8", true, false, false),
    role("Global Administrator", "62e90394-69f5-4237-9190-012177145e10", true, true, true),
];

export const GLOBAL_ADMINISTRATOR = "Global Administrator";

export function findRole(name: string): DirectoryRoleInfo | undefined {
    return SUPPORTED_ROLES.find((r) => r.name === name);
}

function role(
    name: string,
    templateId: string,
    exchangeOnline: boolean,
    securityAndCompliance: boolean,
    allExchangeTasks: boolean,
): DirectoryRoleInfo {
    return { name, templateId, exchangeOnline, securityAndCompliance, allExchangeTasks };
}

/**
 * Application (client) id of "Microsoft Exchange Online Protection". In GCC High and DoD, app-only access
 * also needs its Exchange.ManageAsApp (role id looked up in the tenant; 455e5cd2-84e8-4751-8344-5672145dfa17
 * in Microsoft's manifest example). Microsoft's app-only page documents it for Security & Compliance
 * PowerShell in those clouds ("have access to Security & Compliance PowerShell only"); CISA ScubaGear
 * (docs/prerequisites/noninteractive.md) grants it together with Office 365 Exchange Online's.
 */
export const EXCHANGE_ONLINE_PROTECTION_APP_ID = "00000007-0000-0ff1-ce00-000000000000";

/** An API that publishes Exchange.ManageAsApp: its application id, its name in the tenant, and its resources' suffix. */
export interface ExchangeApi {
    readonly appId: string;
    /** The display name of its service principal in every tenant. */
    readonly title: string;
    /** "" for Exchange Online, so the names of stacks deployed before other APIs existed stay as they were. */
    readonly suffix: string;
}

export const EXCHANGE_ONLINE_API: ExchangeApi = { appId: EXCHANGE_ONLINE_APP_ID, title: "Office 365 Exchange Online", suffix: "" };
export const EXCHANGE_ONLINE_PROTECTION_API: ExchangeApi = {
    appId: EXCHANGE_ONLINE_PROTECTION_APP_ID,
    title: "Microsoft Exchange Online Protection",
    suffix: "-eop",
};
export const EXCHANGE_APIS: readonly ExchangeApi[] = [EXCHANGE_ONLINE_API, EXCHANGE_ONLINE_PROTECTION_API];
