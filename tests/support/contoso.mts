/**
 * Test tenant "Contoso". Microsoft's ids are typed here from Microsoft's documentation, not imported
 * from the program, so a wrong constant in the program cannot agree with itself.
 */
import type { TenantData } from "../../engine/tenant.mts";

/** learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2 (manifest example) */
export const EXO_APP_ID = "00000002-0000-0ff1-ce00-000000000000";
export const MANAGE_AS_APP_ROLE_ID = "dc50a0fb-09a3-484d-be87-e023b12c6440";

/** learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference */
export const ROLE_TEMPLATE_IDS: Readonly<Record<string, string>> = {
    "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "Exchange Recipient Administrator": "31392ffb-586c-42d1-9346-e59415a2cc4e",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    "Compliance Administrator": "17315797-102d-40b4-93e0-432062caca18",
    "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
};

export const TENANT_ID = "72f988bf-0000-4a1b-9c2d-3e4f5a6b7c8d";
export const DEPLOYER_OBJECT_ID = "6b1e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4";
export const EXO_SP_OBJECT_ID = "a0c2b9de-1111-4e3f-9a8b-0c1d2e3f4a5b";
export const OTHER_USER_ID = "0f5e4d3c-2b1a-4098-8776-655443322110";
/** The managed identity of Contoso's Azure Automation account. */
export const AUTOMATION_IDENTITY_ID = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";
/** A user-assigned managed identity on Contoso's Azure Function: its service principal object id and client id. */
export const FUNCTION_IDENTITY_ID = "4e3d2c1b-0a9f-4e8d-9c7b-6a5f4e3d2c1b";
export const FUNCTION_IDENTITY_CLIENT_ID = "b1a2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
/** learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2 (GCC High/DoD manifest example) */
export const EOP_APP_ID = "00000007-0000-0ff1-ce00-000000000000";
export const EOP_MANAGE_AS_APP_ROLE_ID = "455e5cd2-84e8-4751-8344-5672145dfa17";
export const EOP_SP_OBJECT_ID = "b7e6d5c4-3333-4a2b-9c8d-7e6f5a4b3c2d";
/**
 * The comment every Connect-IPPSSession line the stack hands out ends with. Microsoft's module page
 * (learn.microsoft.com/powershell/exchange/exchange-online-powershell-v2, Linux and macOS sections):
 * "Connect-IPPSSession and therefore Security & Compliance PowerShell isn't available in PowerShell 7 on
 * Linux [macOS] clients".
 */
export const WINDOWS_ONLY_CAVEAT = "  # Windows only: Connect-IPPSSession is not available in PowerShell 7 on Linux or macOS";

/** A Connect-IPPSSession output without its caveat, after checking that it carries it. */
export function withoutCaveat(line: unknown): string {
    const text = String(line);
    if (!text.endsWith(WINDOWS_ONLY_CAVEAT)) throw new Error(`Connect-IPPSSession line without its caveat: ${text}`);
    return text.slice(0, -WINDOWS_ONLY_CAVEAT.length);
}
export const SUBSCRIPTION_ID = "3f2e1d0c-9b8a-4765-8432-10fedcba9876";
export const KEY_VAULT_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-exo-automation/providers/Microsoft.KeyVault/vaults/kv-contoso-exo`;

export function contoso(overrides: Partial<TenantData> = {}): TenantData {
    return {
        tenantId: TENANT_ID,
        deployer: { objectId: DEPLOYER_OBJECT_ID, clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" },
        domains: [
            {
                domainName: "contoso.com",
                initial: false,
                default: true,
                verified: true,
                adminManaged: true,
                root: true,
                supportedServices: ["Email"],
            },
            {
                domainName: "contoso.onmicrosoft.com",
                initial: true,
                default: false,
                verified: true,
                adminManaged: true,
                root: true,
                supportedServices: ["Email"],
            },
            {
                domainName: "new.contoso.com",
                initial: false,
                default: false,
                verified: false,
                adminManaged: true,
                root: false,
                supportedServices: [],
            },
        ],
        servicePrincipals: [
            {
                objectId: EXO_SP_OBJECT_ID,
                clientId: EXO_APP_ID,
                displayName: "Office 365 Exchange Online",
                appRoles: [
                    { id: MANAGE_AS_APP_ROLE_ID, value: "Exchange.ManageAsApp", allowedMemberTypes: ["Application"] },
                    // learn.microsoft.com/exchange/client-developer/exchange-web-services/how-to-authenticate-an-ews-application-by-using-oauth
                    { id: "dc890d15-9560-4a4c-9b7f-a736ec74ec40", value: "full_access_as_app", allowedMemberTypes: ["Application"] },
                    { id: "e2a3a72e-5f79-4c64-b1b1-878b674786c9", value: "Mail.ReadWrite", allowedMemberTypes: ["Application"] },
                ],
            },
            {
                objectId: AUTOMATION_IDENTITY_ID,
                clientId: "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
                displayName: "aa-contoso-reports (managed identity)",
                appRoles: [],
            },
            {
                objectId: FUNCTION_IDENTITY_ID,
                clientId: FUNCTION_IDENTITY_CLIENT_ID,
                displayName: "func-contoso-mailflow",
                appRoles: [],
            },
            {
                objectId: "5c8e0bfa-2222-4d5e-8f9a-0b1c2d3e4f5a",
                clientId: "00000003-0000-0000-c000-000000000000",
                displayName: "Microsoft Graph",
                appRoles: [
                    { id: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", value: "Application.Read.All", allowedMemberTypes: ["Application"] },
                ],
            },
        ],
        roleTemplates: Object.entries(ROLE_TEMPLATE_IDS).map(([name, id]) => ({
            id,
            displayName: name === "Exchange Administrator" ? "Exchange Service Administrator" : name,
        })),
        userObjectIds: [OTHER_USER_ID],
        keyVaults: [KEY_VAULT_ID],
        ...overrides,
    };
}

/**
 * Contoso's tenant in a US Government cloud (GCC High or DoD): initial domain *.onmicrosoft.us, and the
 * Microsoft Exchange Online Protection service principal whose Exchange.ManageAsApp those clouds need too.
 */
export function contosoGov(overrides: Partial<TenantData> = {}): TenantData {
    const base = contoso();
    return {
        ...base,
        domains: base.domains.map((d) => (d.initial ? { ...d, domainName: "contoso.onmicrosoft.us" } : d)),
        servicePrincipals: [
            ...base.servicePrincipals,
            {
                objectId: EOP_SP_OBJECT_ID,
                clientId: EOP_APP_ID,
                displayName: "Microsoft Exchange Online Protection",
                appRoles: [{ id: EOP_MANAGE_AS_APP_ROLE_ID, value: "Exchange.ManageAsApp", allowedMemberTypes: ["Application"] }],
            },
        ],
        ...overrides,
    };
}

/** Contoso's tenant in China (21Vianet): initial domain *.partner.onmschina.cn, no Exchange Online Protection grant. */
export function contosoChina(overrides: Partial<TenantData> = {}): TenantData {
    const base = contoso();
    return {
        ...base,
        domains: base.domains.map((d) => (d.initial ? { ...d, domainName: "contoso.partner.onmschina.cn" } : d)),
        ...overrides,
    };
}

/** Fabrikam, a customer of Contoso's managed services: another tenant, with its own Exchange Online service principal. */
export const FABRIKAM_TENANT_ID = "3c9d2e1f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
export const FABRIKAM_EXO_SP_OBJECT_ID = "d4c3b2a1-5555-4f6e-8d7c-6b5a49382716";

export function fabrikam(overrides: Partial<TenantData> = {}): TenantData {
    const base = contoso();
    return {
        ...base,
        tenantId: FABRIKAM_TENANT_ID,
        deployer: { objectId: "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d", clientId: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" },
        domains: [
            {
                domainName: "fabrikam.onmicrosoft.com",
                initial: true,
                default: true,
                verified: true,
                adminManaged: true,
                root: true,
                supportedServices: ["Email"],
            },
        ],
        servicePrincipals: base.servicePrincipals
            .filter((sp) => sp.clientId === EXO_APP_ID)
            .map((sp) => ({ ...sp, objectId: FABRIKAM_EXO_SP_OBJECT_ID })),
        userObjectIds: [],
        keyVaults: [],
        ...overrides,
    };
}
