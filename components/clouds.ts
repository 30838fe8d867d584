/**
 * The Microsoft clouds a stack can live in (the `cloud` setting), declared once: for each, the azuread
 * provider's environment names, Exchange Online's environment name and resource, Entra's sign-in host,
 * Security & Compliance PowerShell's endpoints, the federated credential audience, whether Exchange Online
 * Protection is granted too, and the initial domain's suffix, each with its source. Pure.
 */

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

/** The cloud a setting names; the worldwide one when the name is wrong (that error is reported). */
export function cloudOf(s: { readonly cloud: string }): Cloud {
    return isCloudName(s.cloud) ? CLOUDS[s.cloud] : CLOUDS.global;
}
