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

/** The Microsoft clouds a stack can live in (the `cloud` setting). */
export type CloudName = "global" | "gcc-high" | "dod" | "china";

export interface Cloud {
    readonly name: CloudName;
    /** Shown to people. */
    readonly title: string;
    /**
     * The azuread provider's `environment` values that mean this cloud (the first is the one to set),
     * case-insensitive: terraform-provider-azuread internal/provider/provider.go and go-azure-sdk
     * environments/from_name.go ("usgovernment" is L4, GCC High; "dod" is L5, with its own Graph host).
     */
    readonly azureadEnvironments: readonly string[];
    /** Connect-ExchangeOnline/Connect-IPPSSession -ExchangeEnvironmentName (Connect-ExchangeOnline reference). */
    readonly exchangeEnvironmentName: string;
    /** Entra's sign-in host: learn.microsoft.com/entra/identity-platform/authentication-national-cloud. */
    readonly authorityHost: string;
    /**
     * Exchange Online's resource; tokens are requested for `<resource>/.default`. Microsoft Learn's Exchange
     * pages do not state it: taken from Microsoft's CSS-Exchange Get-CloudServiceEndpoint.ps1 and CISA
     * ScubaGear's EXORestHelper.psm1 (DoD: outlook-dod.office365.us in both; other tools use
     * outlook.office365.us, so verify takes --resource to override).
     */
    readonly exchangeResource: string;
    /**
     * Connect-IPPSSession -ConnectionUri and -AzureADAuthorizationEndpointUri outside the worldwide cloud,
     * from "Connect to Security & Compliance PowerShell" and the Connect-IPPSSession reference (the
     * app-only page's 2025 DoD value compliance.dod.microsoft.com disagrees; its GCC High twin was
     * reverted as a mistake in MicrosoftDocs/office-docs-powershell #13162).
     */
    readonly compliance: { readonly connectionUri: string; readonly authorizationEndpointUri: string } | undefined;
    /** Security & Compliance PowerShell's resource, for Connect-IPPSSession -AccessToken (module 3.8.0 or later). */
    readonly complianceResource: string;
    /**
     * The audience a federated credential accepts in this cloud
     * (learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
     */
    readonly federatedAudience: string;
    /** Also grant Exchange.ManageAsApp from Exchange Online Protection (US Government clouds). */
    readonly exchangeOnlineProtection: boolean;
    /** The suffix of the tenant's initial domain in this cloud. */
    readonly initialDomainSuffix: string;
}

export const CLOUDS: Readonly<Record<CloudName, Cloud>> = {
    global: {
        name: "global",
        title: "worldwide (including GCC)",
        azureadEnvironments: ["global", "public"],
        exchangeEnvironmentName: "O365Default",
        authorityHost: "https://login.microsoftonline.com",
        exchangeResource: "https://outlook.office365.com",
        compliance: undefined,
        complianceResource: "https://ps.compliance.protection.outlook.com",
        federatedAudience: "api://AzureADTokenExchange",
        exchangeOnlineProtection: false,
        initialDomainSuffix: ".onmicrosoft.com",
    },
    "gcc-high": {
        name: "gcc-high",
        title: "GCC High",
        azureadEnvironments: ["usgovernment", "usgovernmentl4"],
        exchangeEnvironmentName: "O365USGovGCCHigh",
        authorityHost: "https://login.microsoftonline.us",
        exchangeResource: "https://outlook.office365.us",
        compliance: {
            connectionUri: "https://ps.compliance.protection.office365.us/powershell-liveid/",
            authorizationEndpointUri: "https://login.microsoftonline.us/organizations",
        },
        complianceResource: "https://ps.compliance.protection.office365.us",
        federatedAudience: "api://AzureADTokenExchangeUSGov",
        exchangeOnlineProtection: true,
        initialDomainSuffix: ".onmicrosoft.us",
    },
    dod: {
        name: "dod",
        title: "DoD",
        azureadEnvironments: ["dod", "usgovernmentl5"],
        exchangeEnvironmentName: "O365USGovDoD",
        authorityHost: "https://login.microsoftonline.us",
        exchangeResource: "https://outlook-dod.office365.us",
        compliance: {
            connectionUri: "https://l5.ps.compliance.protection.office365.us/powershell-liveid/",
            authorizationEndpointUri: "https://login.microsoftonline.us/organizations",
        },
        complianceResource: "https://ps.compliance.protection.office365.us",
        federatedAudience: "api://AzureADTokenExchangeUSGov",
        exchangeOnlineProtection: true,
        initialDomainSuffix: ".onmicrosoft.us",
    },
    china: {
        name: "china",
        title: "China (21Vianet)",
        azureadEnvironments: ["china"],
        exchangeEnvironmentName: "O365China",
        authorityHost: "https://login.chinacloudapi.cn",
        exchangeResource: "https://partner.outlook.cn",
        compliance: {
            connectionUri: "https://ps.compliance.protection.partner.outlook.cn/powershell-liveid",
            authorizationEndpointUri: "https://login.chinacloudapi.cn/organizations",
        },
        complianceResource: "https://ps.compliance.protection.partner.outlook.cn",
        federatedAudience: "api://AzureADTokenExchangeChina",
        exchangeOnlineProtection: false,
        initialDomainSuffix: ".partner.onmschina.cn",
    },
};

export const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[];

export function isCloudName(name: string): name is CloudName {
    return Object.hasOwn(CLOUDS, name);
}
