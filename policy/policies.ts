/**
 * The policies of the exo-cba pack: the program's promises, checked on what the engine is about to
 * create. They read resource inputs only and do not import the program: a guard that shared the code
 * it guards would agree with that code's mistakes.
 */
import * as crypto from "node:crypto";
import {
    type Policies,
    type PolicyResource,
    type ReportViolation,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationArgs,
    type StackValidationPolicy,
    UnknownValueError,
} from "@pulumi/policy";

/** Resource type tokens, as the provider SDKs register them. */
const TYPES = {
    privateKey: "tls:index/privateKey:PrivateKey",
    selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    application: "azuread:index/application:Application",
    applicationCertificate: "azuread:index/applicationCertificate:ApplicationCertificate",
    servicePrincipalCertificate: "azuread:index/servicePrincipalCertificate:ServicePrincipalCertificate",
    applicationApiAccess: "azuread:index/applicationApiAccess:ApplicationApiAccess",
    applicationPassword: "azuread:index/applicationPassword:ApplicationPassword",
    servicePrincipal: "azuread:index/servicePrincipal:ServicePrincipal",
    servicePrincipalPassword: "azuread:index/servicePrincipalPassword:ServicePrincipalPassword",
    tokenSigningCertificate: "azuread:index/servicePrincipalTokenSigningCertificate:ServicePrincipalTokenSigningCertificate",
    appRoleAssignment: "azuread:index/appRoleAssignment:AppRoleAssignment",
    delegatedPermissionGrant: "azuread:index/servicePrincipalDelegatedPermissionGrant:ServicePrincipalDelegatedPermissionGrant",
    directoryRoleAssignment: "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
    group: "azuread:index/group:Group",
    groupWithoutMembers: "azuread:index/groupWithoutMembers:GroupWithoutMembers",
    groupMember: "azuread:index/groupMember:GroupMember",
    pimGroupAssignment: "azuread:index/privilegedAccessGroupAssignmentSchedule:PrivilegedAccessGroupAssignmentSchedule",
    pimGroupEligibility: "azuread:index/privilegedAccessGroupEligibilitySchedule:PrivilegedAccessGroupEligibilitySchedule",
    directoryRoleMember: "azuread:index/directoryRoleMember:DirectoryRoleMember",
    directoryRoleEligibility: "azuread:index/directoryRoleEligibilityScheduleRequest:DirectoryRoleEligibilityScheduleRequest",
    administrativeUnitRoleMember: "azuread:index/administrativeUnitRoleMember:AdministrativeUnitRoleMember",
    federatedIdentityCredential: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
    flexibleFederatedIdentityCredential:
        "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential",
} as const;

/** Global Administrator's role template id. https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference */
const GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10";

/**
 * The built-in roles Microsoft supports for app-only Exchange Online access, by template id: the only
 * roles exo-cba assigns. Template ids: https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference;
 * the list: https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2#assign-microsoft-entra-roles-to-the-application
 */
export const SUPPORTED_ROLES: ReadonlyMap<string, string> = new Map([
    ["29232cdf-9323-42fd-ade2-1d097af3e4de", "Exchange Administrator"],
    ["31392ffb-586c-42d1-9346-e59415a2cc4e", "Exchange Recipient Administrator"],
    ["f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader"],
    ["17315797-102d-40b4-93e0-432062caca18", "Compliance Administrator"],
    ["5d6b6bb7-de71-4623-b4af-96380a352509", "Security Reader"],
    ["194ae4cb-b126-40b2-bd5b-6091b380977d", "Security Administrator"],
    ["729827e3-9c14-49f7-bb1b-9608f156bbb8", "Helpdesk Administrator"],
    [GLOBAL_ADMINISTRATOR, "Global Administrator"],
]);

/** An API whose only permission exo-cba may request or grant is its Exchange.ManageAsApp app role. */
interface ExchangeApi {
    readonly name: string;
    readonly appId: string;
    readonly manageAsApp: string;
    /** Its service principal's displayName, where a source confirms it. */
    readonly displayName: string | undefined;
}

const EXCHANGE_APIS: readonly ExchangeApi[] = [
    {
        // https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2 (manifest example)
        name: "Office 365 Exchange Online",
        appId: "00000002-0000-0ff1-ce00-000000000000",
        manageAsApp: "dc50a0fb-09a3-484d-be87-e023b12c6440",
        displayName: "Office 365 Exchange Online",
    },
    {
        // GCC High and DoD also grant it from Exchange Online Protection: CISA ScubaGear docs/prerequisites/noninteractive.md
        name: "Exchange Online Protection",
        appId: "00000007-0000-0ff1-ce00-000000000000",
        manageAsApp: "455e5cd2-84e8-4751-8344-5672145dfa17",
        displayName: undefined,
    },
];
const EXCHANGE_ONLINE = EXCHANGE_APIS[0];

/**
 * Exchange Online's full_access_as_app (EWS with full access to every mailbox). The id belongs to that API
 * alone, so an assignment of it is refused without knowing the tenant's service principal.
 * https://learn.microsoft.com/exchange/client-developer/exchange-web-services/how-to-authenticate-an-ews-application-by-using-oauth
 */
const FULL_ACCESS_AS_APP = "dc890d15-9560-4a4c-9b7f-a736ec74ec40";
const PERMISSION_NAMES: ReadonlyMap<string, string> = new Map([
    [FULL_ACCESS_AS_APP, "full_access_as_app"],
    ...EXCHANGE_APIS.map((api): [string, string] => [api.manageAsApp, `${api.name}'s Exchange.ManageAsApp`]),
]);

/**
 * Entra's token-exchange audience for workload identity federation, one per cloud: the global service,
 * Microsoft Entra ID for US Government (GCC High and DoD) and China operated by 21Vianet.
 * https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity
 * deploy.yml applies one policy/config.json to every stack, whatever its cloud, so the default holds all three.
 */
const TOKEN_EXCHANGE_AUDIENCES: readonly string[] = [
    "api://AzureADTokenExchange",
    "api://AzureADTokenExchangeUSGov",
    "api://AzureADTokenExchangeChina",
];

/** Microsoft Graph's appId, the same in every tenant. https://learn.microsoft.com/graph/permissions-grant-via-msgraph */
const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/**
 * Microsoft Graph application permissions (app roles) with a known path to Global Administrator: the
 * "Tier 0" of github.com/emiliensocchi/azure-tiering ("Microsoft Graph application permissions",
 * tiered-msgraph-app-permissions.json, August 2026), each with its shortest path in brief. Microsoft's own
 * caution: "Permissions that allow granting authorization, such as AppRoleAssignment.ReadWrite.All, allow an
 * application to grant additional privileges to itself, other applications, or any user. Likewise,
 * permissions that allow managing credentials, such as Application.ReadWrite.All, allow an application to act
 * as other entities" (https://learn.microsoft.com/graph/permissions-reference, Application permissions).
 * Ids from Microsoft's table of them (microsoftgraph/microsoft-graph-docs-contrib
 * concepts/includes/permissions-ids.md, type Application), which agrees with azure-tiering's on each. Tier 0
 * application permissions missing from the (older) copy of that table read here, RoleAssignmentSchedule.
 * ReadWrite.Directory among them, are left out until their ids are confirmed from Microsoft: docs/policy.md
 * names them.
 */
const GRAPH_ESCALATING_ROLES: ReadonlyMap<string, { readonly name: string; readonly path: string }> = new Map(
    (
        [
            [
                "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8",
                "RoleManagement.ReadWrite.Directory",
                "assigns any directory role, Global Administrator included, to any principal, itself too",
            ],
            [
                "06b708a9-e830-4db3-a914-8e69da51d44f",
                "AppRoleAssignment.ReadWrite.All",
                "grants any app role, RoleManagement.ReadWrite.Directory included, to itself, without admin consent",
            ],
            [
                "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
                "Application.ReadWrite.All",
                "adds a credential to any application or service principal and signs in as it, with its permissions",
            ],
            [
                "18a4783c-866b-4cc7-a460-3d5e5662c884",
                "Application.ReadWrite.OwnedBy",
                "adds a credential to the applications and service principals it owns and signs in as them",
            ],
            [
                "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
                "Directory.ReadWrite.All",
                "adds members to groups, and with them the roles those groups hold",
            ],
            [
                "62a82d76-70ea-41e2-9197-370581804d09",
                "Group.ReadWrite.All",
                "adds members to groups, and with them the roles those groups hold",
            ],
            [
                "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
                "GroupMember.ReadWrite.All",
                "adds members to groups, and with them the roles those groups hold",
            ],
            [
                "a402ca1c-2696-4531-972d-6e5ee4aa11ea",
                "Policy.ReadWrite.PermissionGrant",
                "lets itself consent to RoleManagement.ReadWrite.Directory through a permission grant policy",
            ],
            [
                "2f6817f8-7b12-4f0f-bc18-eeaf60705a9e",
                "PrivilegedAccess.ReadWrite.AzureADGroup",
                "adds members and owners to role-assignable groups",
            ],
            [
                "854d9ab1-6657-4ec8-be45-823027bcd009",
                "PrivilegedAccess.ReadWrite.AzureAD",
                "manages privileged role assignments (legacy Privileged Identity Management)",
            ],
            [
                "6f9d5abc-2db6-400b-a267-7de22a40fb87",
                "PrivilegedAccess.ReadWrite.AzureResources",
                "manages privileged Azure role assignments (legacy Privileged Identity Management)",
            ],
            [
                "50483e42-d915-4231-9639-7fdb7fd190e5",
                "UserAuthenticationMethod.ReadWrite.All",
                "creates a Temporary Access Pass for any user, an administrator included, and signs in as them",
            ],
            [
                "29c18626-4985-4dcd-85c0-193eef327366",
                "Policy.ReadWrite.AuthenticationMethod",
                "enables the Temporary Access Pass for the tenant, the first step to taking over accounts",
            ],
            [
                "5eb59dd3-1da2-4329-8733-9dabdc435916",
                "AdministrativeUnit.ReadWrite.All",
                "removes an administrator from a restricted management administrative unit, so the account can be taken over",
            ],
            [
                "7e05723c-0bb0-42da-be95-ae9f08a6e53c",
                "Domain.ReadWrite.All",
                "federates a domain and signs in as its users, administrators included",
            ],
            [
                "292d869f-3427-49a8-9dab-8c70152b74e9",
                "Organization.ReadWrite.All",
                "uploads a trusted root certificate for certificate-based authentication and signs in as any user",
            ],
            [
                "9acd699f-1e81-4958-b001-93b1d2506e19",
                "EntitlementManagement.ReadWrite.All",
                "changes access packages so that privileged groups can be requested without approval",
            ],
            [
                "01c0a623-fc9b-48e9-b794-0756f8e8f067",
                "Policy.ReadWrite.ConditionalAccess",
                "rewrites Conditional Access, locking out every administrator",
            ],
            [
                "cc13eba4-8cd8-44c6-b4d4-f93237adce58",
                "DelegatedAdminRelationship.ReadWrite.All",
                "adds users to groups approved in partner (GDAP) relationships, gaining their roles in customer tenants",
            ],
            [
                "9241abd9-d0e6-425a-bd4f-47ba86e767a4",
                "DeviceManagementConfiguration.ReadWrite.All",
                "runs code on Intune-managed devices, an administrator's included",
            ],
            [
                "e330c4f0-4170-414e-a55a-2f022ec2b57b",
                "DeviceManagementRBAC.ReadWrite.All",
                "assigns Intune roles that run code on managed devices, an administrator's included",
            ],
            [
                "741f803b-c850-494e-b5df-cde7c675a1ca",
                "User.ReadWrite.All",
                "changes user properties that dynamic groups holding roles select their members by",
            ],
        ] as const
    ).map(([id, name, path]) => [id, { name, path }]),
);

/** Entra signs client assertions with RS256/PS256, so the key must be RSA; below 2048 bits is refused. */
export const MIN_RSA_BITS = 2048;
/** The tls provider's rsaBits default. https://www.pulumi.com/registry/packages/tls/api-docs/privatekey/ */
const TLS_DEFAULT_RSA_BITS = 2048;

const DEFAULT_MAX_VALIDITY_DAYS = 730;
const DEFAULT_EXPIRING_WITHIN_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

/** A value a preview cannot know yet (it depends on a resource not yet created); the update checks it again. */
const UNKNOWN: unique symbol = Symbol("unknown during preview");

/**
 * One input as plain data. The policy SDK hands over a proxy that throws on reading an unknown value;
 * this copy puts UNKNOWN where it would throw, so one unknown element leaves its neighbours checkable.
 */
function read(props: Record<string, unknown>, key: string): unknown {
    return readPlain(() => props[key]);
}

function readPlain(get: () => unknown): unknown {
    let value: unknown;
    try {
        value = get();
    } catch (e) {
        if (e instanceof UnknownValueError) return UNKNOWN;
        throw e;
    }
    if (value === null || typeof value !== "object") return value;
    const source = value as Record<string, unknown>;
    const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [] : {};
    for (const key of Object.keys(source)) (copy as Record<string, unknown>)[key] = readPlain(() => source[key]);
    return copy;
}

/** The same id, whatever its letter case; Entra ids are case-insensitive GUIDs. */
function sameId(a: unknown, b: string): boolean {
    return typeof a === "string" && a.toLowerCase() === b;
}

/** A list input as read: its known items, UNKNOWN for a whole unknown list, undefined when absent, or a value that is no list. */
type ListInput = unknown[] | typeof UNKNOWN | undefined | { readonly notAList: unknown };

function knownItems(list: unknown): ListInput {
    if (list === UNKNOWN || list === undefined) return list;
    if (!Array.isArray(list)) return { notAList: list };
    return (list as unknown[]).filter((item) => item !== UNKNOWN);
}

/**
 * A number input as the number it spells: a JSON number, or a string of decimal digits (a stack file
 * or program may pass "1024"). Anything else, "1e9" or "0x800" included, cannot be checked: undefined.
 */
function numberOf(value: unknown): number | undefined {
    if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
    if (typeof value === "string" && /^\d+(\.\d+)?$/.test(value)) return Number(value);
    return undefined;
}

/** The stack a resource belongs to: urn:pulumi:<stack>::<project>::<type>::<name>. */
function stackOf(urn: string): string {
    return /^urn:pulumi:([^:]+)::/.exec(urn)?.[1] ?? "";
}

/** A value for a message: strings quoted, anything else as JSON. */
function show(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

interface CertificateFacts {
    readonly thumbprint: string;
    readonly notAfter: Date;
    readonly keyType: string;
    readonly rsaBits: number | undefined;
}

/** Reads a credential's certificate as the azuread provider decodes it (`encoding`: pem, base64 or hex). */
function certificateOf(value: unknown, encoding: unknown): CertificateFacts | string {
    if (typeof value !== "string") return "value is not a string";
    const how = encoding === undefined ? "pem" : encoding;
    let data: string | Buffer;
    if (how === "pem") data = value;
    else if (how === "base64") data = Buffer.from(value, "base64");
    else if (how === "hex") data = Buffer.from(value, "hex");
    else return `encoding ${JSON.stringify(how)} is not one of pem, base64, hex`;
    try {
        const x509 = new crypto.X509Certificate(data);
        return {
            thumbprint: x509.fingerprint.replaceAll(":", ""),
            notAfter: new Date(x509.validTo),
            keyType: x509.publicKey.asymmetricKeyType ?? "unknown",
            rsaBits: x509.publicKey.asymmetricKeyDetails?.modulusLength,
        };
    } catch (e) {
        return `value is not a readable X.509 certificate (${e instanceof Error ? e.message : String(e)})`;
    }
}

function iso(d: Date): string {
    return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Applies a check to one resource type, or to each of several, only; other types pass untouched. */
function forType(
    type: string | readonly string[],
    check: (args: ResourceValidationArgs, report: ReportViolation) => void,
): (args: ResourceValidationArgs, report: ReportViolation) => void {
    const types: readonly string[] = typeof type === "string" ? [type] : type;
    return (args, report) => {
        if (types.includes(args.type)) check(args, report);
    };
}

/**
 * The resources that register a certificate as a credential: on the application, and on its service
 * principal, where Entra accepts it for sign-in just the same. Both take the same inputs (value,
 * encoding, type, endDate, endDateRelative), so one set of rules holds for both.
 */
const CERTIFICATE_CREDENTIALS: readonly string[] = [TYPES.applicationCertificate, TYPES.servicePrincipalCertificate];

interface NoGlobalAdministratorConfig {
    readonly allowedStacks?: readonly string[];
}

const noGlobalAdministrator: ResourceValidationPolicy = {
    name: "no-global-administrator",
    description:
        "No directory role assignment grants Global Administrator (to any principal), unless the stack is listed in allowedStacks.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedStacks: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Stacks that may assign Global Administrator (the stack file must also set exo-cba:allowGlobalAdministrator).",
            },
        },
    },
    // By template id only: an activated role's object id is tenant-specific, and supported-directory-roles refuses it.
    validateResource: forType(TYPES.directoryRoleAssignment, (args, report) => {
        const roleId = read(args.props, "roleId");
        if (!sameId(roleId, GLOBAL_ADMINISTRATOR)) return;
        const stack = stackOf(args.urn);
        const allowed = args.getConfig<NoGlobalAdministratorConfig>().allowedStacks ?? [];
        if (allowed.includes(stack)) return;
        report(
            `${args.name} assigns Global Administrator (role template ${GLOBAL_ADMINISTRATOR}) in stack "${stack}": the principal could ` +
                "then do anything in the tenant. Use the least-privileged role that works (exo-cba:roles). If this stack really needs it, " +
                `add "${stack}" to allowedStacks of no-global-administrator in policy/config.json, a change reviewed on its own.`,
        );
    }),
};

function supportedRoleList(): string {
    return [...SUPPORTED_ROLES].map(([id, name]) => `${name} (${id})`).join(", ");
}

/** Resources that grant a directory role by other means than a DirectoryRoleAssignment, and why each is refused. */
const OTHER_ROLE_GRANTS: readonly [type: string, what: string][] = [
    [TYPES.directoryRoleMember, "names the role by its activated object id, which differs per tenant and could be any role"],
    [TYPES.directoryRoleEligibility, "makes a principal eligible for a role through Privileged Identity Management"],
    [TYPES.administrativeUnitRoleMember, "names the role by its activated object id, which differs per tenant and could be any role"],
];

const supportedDirectoryRoles: ResourceValidationPolicy = {
    name: "supported-directory-roles",
    description:
        "Directory roles are granted only with a DirectoryRoleAssignment whose roleId is the template id of a role Microsoft supports for app-only Exchange Online.",
    enforcementLevel: "mandatory",
    validateResource: [
        forType(TYPES.directoryRoleAssignment, (args, report) => {
            const roleId = read(args.props, "roleId");
            if (roleId === UNKNOWN) return;
            if (typeof roleId === "string" && SUPPORTED_ROLES.has(roleId.toLowerCase())) return;
            report(
                `${args.name} assigns directory role ${show(roleId)}, which is not the template id of a role exo-cba supports. ` +
                    "Assign by template id (an activated role's object id differs per tenant, so it cannot be checked and may be any role; " +
                    "roles such as Privileged Role Administrator can grant themselves every other), one of: " +
                    `${supportedRoleList()}.`,
            );
        }),
        ...OTHER_ROLE_GRANTS.map(([type, what]) =>
            forType(type, (args, report) => {
                report(
                    `${args.name} is a ${type.split(":").pop() ?? type}, which ${what}; exo-cba never uses it. Grant directory roles with ` +
                        "azuread.DirectoryRoleAssignment and the role's template id (exo-cba:roles).",
                );
            }),
        ),
    ],
};

const rsaKeySize: ResourceValidationPolicy = {
    name: "rsa-key-size",
    description: `Keys are RSA of at least ${MIN_RSA_BITS} bits: generated keys and the certificates registered as credentials.`,
    enforcementLevel: "mandatory",
    validateResource: [
        forType(TYPES.privateKey, (args, report) => {
            const algorithm = read(args.props, "algorithm");
            const bits = read(args.props, "rsaBits");
            if (algorithm === UNKNOWN) return;
            if (algorithm !== "RSA") {
                report(
                    `${args.name} makes a ${String(algorithm)} key; Entra client assertions need RSA (algorithm: "RSA", rsaBits ${MIN_RSA_BITS} or more).`,
                );
                return;
            }
            if (bits === UNKNOWN) return;
            const size = bits === undefined ? TLS_DEFAULT_RSA_BITS : numberOf(bits);
            if (size === undefined) {
                report(`${args.name} has rsaBits ${show(bits)}, which is not a number; use 2048, 3072 or 4096 (exo-cba:certRsaBits).`);
            } else if (size < MIN_RSA_BITS) {
                report(
                    `${args.name} makes a ${size}-bit RSA key; use at least ${MIN_RSA_BITS} bits (exo-cba:certRsaBits: 2048, 3072 or 4096).`,
                );
            }
        }),
        forType(CERTIFICATE_CREDENTIALS, (args, report) => {
            const value = read(args.props, "value");
            const encoding = read(args.props, "encoding");
            if (value === UNKNOWN || encoding === UNKNOWN) return;
            const cert = certificateOf(value, encoding);
            if (typeof cert === "string") return; // credential-within-certificate reports unreadable certificates
            if (cert.keyType !== "rsa" || (cert.rsaBits ?? 0) < MIN_RSA_BITS) {
                const key = cert.keyType === "rsa" ? `a ${String(cert.rsaBits)}-bit RSA key` : `a ${cert.keyType.toUpperCase()} key`;
                report(
                    `${args.name} registers certificate ${cert.thumbprint} with ${key}; Entra needs RSA of at least ${MIN_RSA_BITS} bits. Issue a new certificate.`,
                );
            }
        }),
    ],
};

const credentialWithinCertificate: ResourceValidationPolicy = {
    name: "credential-within-certificate",
    description:
        "A certificate credential, on the application or its service principal, does not outlive its certificate: endDate is not after the certificate's NotAfter.",
    enforcementLevel: "mandatory",
    validateResource: forType(CERTIFICATE_CREDENTIALS, (args, report) => {
        const value = read(args.props, "value");
        const encoding = read(args.props, "encoding");
        const endDate = read(args.props, "endDate");
        const endDateRelative = read(args.props, "endDateRelative");
        if (value === UNKNOWN || encoding === UNKNOWN || endDate === UNKNOWN || endDateRelative === UNKNOWN) return;
        const cert = certificateOf(value, encoding);
        if (typeof cert === "string") {
            report(`${args.name}: ${cert}; its end date cannot be checked against the certificate.`);
            return;
        }
        if (endDate === undefined) {
            if (endDateRelative !== undefined) {
                // Relative to the moment of creation: nothing to compare with before it happens.
                report(
                    `${args.name} sets endDateRelative; set endDate to the certificate's NotAfter (${iso(cert.notAfter)}) instead, which can be checked.`,
                );
            }
            return;
        }
        const end = typeof endDate === "string" ? new Date(endDate) : new Date(NaN);
        if (Number.isNaN(end.getTime())) {
            report(`${args.name} has endDate ${JSON.stringify(endDate)}, which is not an RFC 3339 date.`);
        } else if (end.getTime() > cert.notAfter.getTime()) {
            report(
                `${args.name} ends ${iso(end)}, after its certificate ${cert.thumbprint} (NotAfter ${iso(cert.notAfter)}); Microsoft Graph ` +
                    `refuses it ("Key credential end date is invalid"). Take endDate from the certificate.`,
            );
        }
    }),
};

function exchangeApiOf(appId: unknown): ExchangeApi | undefined {
    return EXCHANGE_APIS.find((api) => sameId(appId, api.appId));
}

function permissionName(id: unknown): string {
    const name = typeof id === "string" ? PERMISSION_NAMES.get(id.toLowerCase()) : undefined;
    return name ? `${name} (${id as string})` : show(id);
}

/** The sentence that ends every exchange-online-manage-as-app-only message. */
function onlyManageAsApp(api: ExchangeApi): string {
    return (
        `From ${api.name} only Exchange.ManageAsApp (${api.manageAsApp}, an application permission) may be requested or granted: ` +
        "app-only PowerShell needs nothing else, and permissions such as full_access_as_app open every mailbox. Remove the others."
    );
}

/** Checks an API's role and scope ids as ApplicationApiAccess and requiredResourceAccesses state them. */
function extraPermissions(api: ExchangeApi, roles: unknown[], scopes: unknown[]): string[] {
    return [
        ...roles.filter((id) => !sameId(id, api.manageAsApp)).map((id) => `application permission ${permissionName(id)}`),
        ...scopes.map((id) => `delegated permission ${permissionName(id)}`),
    ];
}

/**
 * The service principals, by object id, that stand for an Exchange API in this stack. An assignment names
 * its resource by that object id, which differs per tenant; it is recognised by an assignment of the API's
 * own Exchange.ManageAsApp or full_access_as_app, by the resource's display name (known after creation), or
 * by a ServicePrincipal resource of the API's appId (useExisting) in the stack.
 */
function exchangeServicePrincipals(resources: readonly PolicyResource[]): Map<string, ExchangeApi> {
    const found = new Map<string, ExchangeApi>();
    for (const r of resources) {
        if (r.type === TYPES.appRoleAssignment) {
            const objectId = read(r.props, "resourceObjectId");
            if (typeof objectId !== "string") continue;
            const role = read(r.props, "appRoleId");
            const name = read(r.props, "resourceDisplayName");
            const api =
                EXCHANGE_APIS.find((a) => sameId(role, a.manageAsApp) || (a.displayName !== undefined && name === a.displayName)) ??
                (sameId(role, FULL_ACCESS_AS_APP) ? EXCHANGE_ONLINE : undefined);
            if (api) found.set(objectId.toLowerCase(), api);
        } else if (r.type === TYPES.servicePrincipal) {
            const api = exchangeApiOf(read(r.props, "clientId"));
            const objectId = read(r.props, "objectId");
            if (api && typeof objectId === "string") found.set(objectId.toLowerCase(), api);
        }
    }
    return found;
}

const exchangeOnlineManageAsAppOnly: ResourceValidationPolicy & StackValidationPolicy = {
    name: "exchange-online-manage-as-app-only",
    description:
        "The only permission of Office 365 Exchange Online or Exchange Online Protection requested or granted is that API's Exchange.ManageAsApp.",
    enforcementLevel: "mandatory",
    validateResource: [
        forType(TYPES.applicationApiAccess, (args, report) => {
            const api = exchangeApiOf(read(args.props, "apiClientId"));
            if (!api) return; // another API, or not known yet
            const problems: string[] = [];
            const lists: Record<string, unknown[]> = {};
            for (const key of ["roleIds", "scopeIds"]) {
                const items = knownItems(read(args.props, key));
                if (Array.isArray(items)) lists[key] = items;
                else if (items !== UNKNOWN && items !== undefined) problems.push(`${key} ${show(items.notAList)} is not a list`);
            }
            problems.push(...extraPermissions(api, lists.roleIds ?? [], lists.scopeIds ?? []));
            if (problems.length > 0) report(`${args.name} requests from ${api.name}: ${problems.join("; ")}. ${onlyManageAsApp(api)}`);
        }),
        forType(TYPES.application, (args, report) => {
            const accesses = knownItems(read(args.props, "requiredResourceAccesses"));
            if (!Array.isArray(accesses)) return; // none, unknown, or refused by the provider's schema
            for (const access of accesses) {
                const entry = (access ?? {}) as Record<string, unknown>;
                const api = exchangeApiOf(entry.resourceAppId);
                const items = knownItems(entry.resourceAccesses);
                if (!api || !Array.isArray(items)) continue;
                const roles: unknown[] = [];
                const scopes: unknown[] = [];
                const others: string[] = [];
                for (const item of items) {
                    const { id, type } = (item ?? {}) as Record<string, unknown>;
                    if (id === UNKNOWN || type === UNKNOWN) continue;
                    if (type === "Role") roles.push(id);
                    else if (type === "Scope") scopes.push(id);
                    else others.push(`${permissionName(id)} of type ${show(type)}`);
                }
                const problems = [...extraPermissions(api, roles, scopes), ...others];
                if (problems.length > 0) {
                    report(
                        `${args.name} requests from ${api.name} (requiredResourceAccesses): ${problems.join("; ")}. ${onlyManageAsApp(api)}`,
                    );
                }
            }
        }),
        // Checked as each assignment is about to be created: stack policies run only after an update has made everything.
        forType(TYPES.appRoleAssignment, (args, report) => {
            if (!sameId(read(args.props, "appRoleId"), FULL_ACCESS_AS_APP)) return;
            report(`${args.name} grants ${permissionName(FULL_ACCESS_AS_APP)}. ${onlyManageAsApp(EXCHANGE_ONLINE)}`);
        }),
    ],
    // Stack policies see every resource at once but run after the update (pulumi/docs #15367): a preview
    // (which CI runs first) is where these stop a grant before it exists.
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
        const exchange = exchangeServicePrincipals(args.resources);
        const apiAt = (objectId: unknown) => (typeof objectId === "string" ? exchange.get(objectId.toLowerCase()) : undefined);
        for (const r of args.resources) {
            if (r.type === TYPES.appRoleAssignment) {
                const api = apiAt(read(r.props, "resourceObjectId"));
                const role = read(r.props, "appRoleId");
                // full_access_as_app is reported by the resource check above.
                if (!api || role === UNKNOWN || sameId(role, api.manageAsApp) || sameId(role, FULL_ACCESS_AS_APP)) continue;
                report(`${r.name} grants app role ${permissionName(role)} on ${api.name}. ${onlyManageAsApp(api)}`, r.urn);
            } else if (r.type === TYPES.delegatedPermissionGrant) {
                const api = apiAt(read(r.props, "resourceServicePrincipalObjectId"));
                if (!api) continue;
                const claims = knownItems(read(r.props, "claimValues"));
                const what = Array.isArray(claims) && claims.length > 0 ? claims.map(show).join(", ") : "delegated permissions";
                report(`${r.name} grants ${what} on ${api.name} (a delegated permission grant). ${onlyManageAsApp(api)}`, r.urn);
            }
        }
    },
};

/** A Graph application permission with a known path to Global Administrator, as "Name (id)", or undefined. */
function escalatingGraphRole(id: unknown): string | undefined {
    const role = typeof id === "string" ? GRAPH_ESCALATING_ROLES.get(id.toLowerCase()) : undefined;
    return role ? `${role.name} (${id as string}), which ${role.path}` : undefined;
}

/** The sentences that end every no-graph-privilege-escalation message, for `count` permissions. */
function noGraphEscalation(count: number): string {
    return (
        `${count === 1 ? "It has" : "Each has"} a known path to Global Administrator (the Tier 0 of github.com/emiliensocchi/azure-tiering), ` +
        "and exo-cba needs no Microsoft Graph permission: Exchange.ManageAsApp and the directory roles in exo-cba:roles are all it uses. " +
        `Remove ${count === 1 ? "it" : "them"}.`
    );
}

const noGraphPrivilegeEscalation: ResourceValidationPolicy = {
    name: "no-graph-privilege-escalation",
    description:
        "No Microsoft Graph application permission with a known path to Global Administrator (RoleManagement.ReadWrite.Directory, AppRoleAssignment.ReadWrite.All, Application.ReadWrite.All and others) is requested or granted.",
    enforcementLevel: "mandatory",
    validateResource: [
        forType(TYPES.applicationApiAccess, (args, report) => {
            if (!sameId(read(args.props, "apiClientId"), MICROSOFT_GRAPH_APP_ID)) return; // another API, or not known yet
            // An application permission's id among scopeIds is a mistake Graph would not honour; refused all the same.
            const found = ["roleIds", "scopeIds"].flatMap((key) => {
                const items = knownItems(read(args.props, key));
                return Array.isArray(items) ? items.map(escalatingGraphRole).filter((f) => f !== undefined) : [];
            });
            if (found.length > 0)
                report(`${args.name} requests from Microsoft Graph ${found.join("; ")}. ${noGraphEscalation(found.length)}`);
        }),
        forType(TYPES.application, (args, report) => {
            const accesses = knownItems(read(args.props, "requiredResourceAccesses"));
            if (!Array.isArray(accesses)) return;
            for (const access of accesses) {
                const entry = (access ?? {}) as Record<string, unknown>;
                const items = knownItems(entry.resourceAccesses);
                if (!sameId(entry.resourceAppId, MICROSOFT_GRAPH_APP_ID) || !Array.isArray(items)) continue;
                // Whatever the type says: the ids are application permissions'.
                const found = items
                    .map((item) => escalatingGraphRole(((item ?? {}) as Record<string, unknown>).id))
                    .filter((f) => f !== undefined);
                if (found.length > 0) {
                    report(
                        `${args.name} requests from Microsoft Graph (requiredResourceAccesses) ${found.join("; ")}. ${noGraphEscalation(found.length)}`,
                    );
                }
            }
        }),
        // Refused wherever the assignment points, as it is about to be created: these ids are Microsoft Graph's,
        // so the resource's object id (which differs per tenant) need not be recognised first.
        forType(TYPES.appRoleAssignment, (args, report) => {
            const found = escalatingGraphRole(read(args.props, "appRoleId"));
            if (found) report(`${args.name} grants Microsoft Graph's ${found}. ${noGraphEscalation(1)}`);
        }),
    ],
};

/**
 * The principals of the stack: its service principals, and every principal it grants an app role or a
 * directory role to (a managed identity's service principal comes in by object id from the stack's config).
 * Known by object id, and by the resources their ids come from, which the engine reports even while a
 * preview does not know the value (AnalyzerResource.propertyDependencies).
 */
interface StackPrincipals {
    readonly byObjectId: ReadonlyMap<string, string>;
    readonly bySource: ReadonlyMap<PolicyResource, string>;
}

function stackPrincipals(resources: readonly PolicyResource[]): StackPrincipals {
    const byObjectId = new Map<string, string>();
    const bySource = new Map<PolicyResource, string>();
    for (const r of resources) {
        if (r.type !== TYPES.servicePrincipal) continue;
        const what = `the service principal ${r.name}`;
        bySource.set(r, what);
        const objectId = read(r.props, "objectId");
        if (typeof objectId === "string") byObjectId.set(objectId.toLowerCase(), what);
    }
    for (const r of resources) {
        if (r.type !== TYPES.appRoleAssignment && r.type !== TYPES.directoryRoleAssignment) continue;
        const what = `a principal ${r.name} grants a role to`;
        const objectId = read(r.props, "principalObjectId");
        if (typeof objectId === "string" && !byObjectId.has(objectId.toLowerCase())) byObjectId.set(objectId.toLowerCase(), what);
        for (const source of r.propertyDependencies.principalObjectId ?? []) if (!bySource.has(source)) bySource.set(source, what);
    }
    return { byObjectId, bySource };
}

/** Which of the stack's principals the input `key` of `r` names (a value, or an item of a list), as text for a message. */
function principalsIn(principals: StackPrincipals, r: PolicyResource, key: string): string[] {
    const value = read(r.props, key);
    const items = Array.isArray(value) ? value : [value];
    const found = items.flatMap((item) => {
        const what = typeof item === "string" ? principals.byObjectId.get(item.toLowerCase()) : undefined;
        return what ? [`${show(item)} (${what})`] : [];
    });
    // A value a preview does not know yet: where it comes from tells whose it is. A known value speaks for itself.
    if (found.length > 0 || !items.includes(UNKNOWN)) return found;
    return (r.propertyDependencies[key] ?? []).flatMap((source) => {
        const what = principals.bySource.get(source);
        return what ? [`${what} (its object id, not known yet)`] : [];
    });
}

/** Resources that put a principal into a group, and the inputs that name the group and the principal. */
const GROUP_MEMBERSHIPS: readonly {
    readonly type: string;
    readonly group: string | undefined;
    readonly principals: readonly [key: string, as: string][];
}[] = [
    { type: TYPES.groupMember, group: "groupObjectId", principals: [["memberObjectId", "a member"]] },
    {
        type: TYPES.group,
        group: undefined,
        principals: [
            ["members", "a member"],
            ["owners", "an owner"],
        ],
    },
    { type: TYPES.groupWithoutMembers, group: undefined, principals: [["owners", "an owner"]] },
    // Privileged Identity Management for groups: assignmentType is "member" or "owner".
    { type: TYPES.pimGroupAssignment, group: "groupId", principals: [["principalId", "a member or owner"]] },
    { type: TYPES.pimGroupEligibility, group: "groupId", principals: [["principalId", "an eligible member or owner"]] },
];

const noGroupMembership: StackValidationPolicy = {
    name: "no-group-membership",
    description:
        "No principal of the stack (the application's service principal, a managed identity's) becomes a member or owner of a group: a group gives roles by membership.",
    enforcementLevel: "mandatory",
    // A stack check: the member names the stack's principal by an object id that another resource produces. It runs
    // at the end of a preview (where the values' sources show who it is) and after an update (pulumi/docs #15367).
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
        const principals = stackPrincipals(args.resources);
        for (const r of args.resources) {
            const kind = GROUP_MEMBERSHIPS.find((m) => m.type === r.type);
            if (!kind) continue;
            const group = kind.group === undefined ? "this group" : `group ${show(read(r.props, kind.group))}`;
            for (const [key, as] of kind.principals) {
                const found = principalsIn(principals, r, key);
                if (found.length === 0) continue;
                report(
                    `${r.name} makes ${found.join(", ")} ${as} of ${group} (${key}). A group gives its members what it holds: the ` +
                        "Microsoft Entra roles of a role-assignable group, Azure and app roles, access wherever the group is trusted; an owner " +
                        "can add members, itself included. None of it shows among the stack's role assignments. Remove it: the stack's principals " +
                        "get roles only from exo-cba:roles (DirectoryRoleAssignment by template id) and Exchange.ManageAsApp.",
                    r.urn,
                );
            }
        }
    },
};

interface SelfSignedValidityConfig {
    readonly maxValidityDays?: number;
}

const selfSignedValidity: ResourceValidationPolicy = {
    name: "self-signed-validity",
    description: "A self-signed certificate is valid for no longer than maxValidityDays.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            maxValidityDays: {
                type: "integer",
                minimum: 1,
                default: DEFAULT_MAX_VALIDITY_DAYS,
                description: "Longest allowed validity of a self-signed certificate, in days.",
            },
        },
    },
    validateResource: forType(TYPES.selfSignedCert, (args, report) => {
        const given = read(args.props, "validityPeriodHours");
        if (given === UNKNOWN) return;
        const maxDays = args.getConfig<SelfSignedValidityConfig>().maxValidityDays ?? DEFAULT_MAX_VALIDITY_DAYS;
        const hours = numberOf(given);
        if (hours === undefined) {
            report(
                `${args.name} has validityPeriodHours ${given === undefined ? "unset" : show(given)}, which is not a number of hours; ` +
                    `it cannot be checked against the ${maxDays}-day limit. Set exo-cba:certValidityDays.`,
            );
        } else if (hours > maxDays * 24) {
            report(
                `${args.name} would be valid for ${hours % 24 === 0 ? `${hours / 24} days` : `${hours} hours`}; at most ${maxDays} days are allowed. Lower exo-cba:certValidityDays ` +
                    "(or validityDays of its generation), or raise maxValidityDays of self-signed-validity in policy/config.json.",
            );
        }
    }),
};

interface CertificateExpiryConfig {
    readonly expiringWithinDays?: number;
}

function certificateExpiry(now: () => Date): ResourceValidationPolicy {
    return {
        name: "certificate-expiry",
        description: "Warns when a registered certificate expires within expiringWithinDays.",
        enforcementLevel: "advisory",
        configSchema: {
            properties: {
                expiringWithinDays: {
                    type: "integer",
                    minimum: 0,
                    default: DEFAULT_EXPIRING_WITHIN_DAYS,
                    description: "Warn this many days before a certificate expires.",
                },
            },
        },
        validateResource: forType(CERTIFICATE_CREDENTIALS, (args, report) => {
            const value = read(args.props, "value");
            const encoding = read(args.props, "encoding");
            if (value === UNKNOWN || encoding === UNKNOWN) return;
            const cert = certificateOf(value, encoding);
            if (typeof cert === "string") return;
            const within = args.getConfig<CertificateExpiryConfig>().expiringWithinDays ?? DEFAULT_EXPIRING_WITHIN_DAYS;
            // The same window as the program's warning and npm run check-expiry: inclusive, to the millisecond.
            const leftMs = cert.notAfter.getTime() - now().getTime();
            if (leftMs > within * DAY_MS) return;
            const days = Math.floor(leftMs / DAY_MS);
            const when =
                leftMs < 0
                    ? `expired on ${iso(cert.notAfter)}`
                    : `expires on ${iso(cert.notAfter)} (${days === 1 ? "1 day" : `${days} days`} left)`;
            report(
                `${args.name}: certificate ${cert.thumbprint} ${when}. Rotate it: add a certificate generation to exo-cba:certificates ` +
                    "(README: Rotate the certificate).",
            );
        }),
    };
}

interface FederatedIdentityCredentialConfig {
    readonly allowedAudiences?: readonly string[];
}

/**
 * Why a subject would let more than one exact workload sign in, or undefined. Entra matches the subject
 * literally, but a wildcard shows the intent to match many; a pull request subject is what every pull
 * request's workflow run gets, before anyone reviews its code (GitHub Docs: "About security hardening with
 * OpenID Connect", example subject claims).
 */
function subjectProblem(subject: string): string | undefined {
    if (subject.includes("*")) return `subject ${show(subject)} has a wildcard; name one workload exactly`;
    const pullRequest = subject.split(":").some((part) => /^pull_request(_target)?$/i.test(part)) || /(^|:)ref:refs\/pull\//i.test(subject);
    if (pullRequest) {
        return (
            `subject ${show(subject)} trusts pull requests: any pull request could get an Exchange token with this application's roles. ` +
            "Trust a protected environment (repo:<owner>/<repo>:environment:<name>) or branch (repo:<owner>/<repo>:ref:refs/heads/main) instead"
        );
    }
    if (subject.trim() === "") return "subject is empty";
    return undefined;
}

const federatedIdentityCredential: ResourceValidationPolicy = {
    name: "federated-identity-credential",
    description:
        "A federated identity credential trusts one exact workload: no wildcard or pull-request subject, an https issuer, an allowed audience.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedAudiences: {
                type: "array",
                items: { type: "string" },
                default: [...TOKEN_EXCHANGE_AUDIENCES],
                description: "The audiences a federated identity credential may accept (the list replaces the default).",
            },
        },
    },
    validateResource: [
        forType(TYPES.federatedIdentityCredential, (args, report) => {
            const problems: string[] = [];
            const subject = read(args.props, "subject");
            if (subject !== UNKNOWN) {
                const problem = typeof subject === "string" ? subjectProblem(subject) : `subject ${show(subject)} is not a string`;
                if (problem) problems.push(problem);
            }
            const issuer = read(args.props, "issuer");
            if (issuer !== UNKNOWN && !isHttpsUrl(issuer)) {
                problems.push(`issuer ${show(issuer)} is not an https:// URL (Entra fetches the issuer's signing keys from it)`);
            }
            const allowed = args.getConfig<FederatedIdentityCredentialConfig>().allowedAudiences ?? TOKEN_EXCHANGE_AUDIENCES;
            const audiences = read(args.props, "audiences");
            if (audiences !== UNKNOWN) {
                const list = Array.isArray(audiences) ? audiences : undefined;
                const others = (list ?? []).filter((a) => a !== UNKNOWN && !(typeof a === "string" && allowed.includes(a)));
                if (!list || list.length !== 1) {
                    problems.push(`audiences ${show(audiences)} must hold exactly one audience, one of ${allowed.map(show).join(", ")}`);
                } else if (others.length > 0) {
                    problems.push(
                        `audience ${others.map(show).join(", ")} is not one of ${allowed.map(show).join(", ")} ` +
                            "(allowedAudiences of federated-identity-credential in policy/config.json)",
                    );
                }
            }
            if (problems.length > 0) report(`${args.name}: ${problems.join("; ")}.`);
        }),
        forType(TYPES.flexibleFederatedIdentityCredential, (args, report) => {
            report(
                `${args.name} is an ApplicationFlexibleFederatedIdentityCredential, whose claims-matching expressions accept wildcards; ` +
                    "exo-cba never uses it. Use an ApplicationFederatedIdentityCredential with one exact subject.",
            );
        }),
    ],
};

/** The sentence that ends every no-password-credentials message. */
const SIGN_IN_WITHOUT_SECRETS =
    "exo-cba signs in with a certificate (exo-cba:certificates), a federated credential (exo-cba:federatedCredentials) " +
    "or a managed identity (exo-cba:managedIdentities), none of which stores a secret in Entra. Remove it.";

/** Resources that store a password credential, and what each is. */
const PASSWORD_RESOURCES: readonly [type: string, what: string][] = [
    [TYPES.applicationPassword, "an ApplicationPassword: a client secret on the application"],
    [TYPES.servicePrincipalPassword, "a ServicePrincipalPassword: a client secret on the service principal"],
    [
        TYPES.tokenSigningCertificate,
        "a ServicePrincipalTokenSigningCertificate: Entra generates a SAML signing key and stores a password credential with it on the service principal",
    ],
];

const noPasswordCredentials: ResourceValidationPolicy = {
    name: "no-password-credentials",
    description:
        "No client secret or other stored password on the application or its service principal: no ApplicationPassword, ServicePrincipalPassword, Application password block, symmetric key or token signing certificate.",
    enforcementLevel: "mandatory",
    validateResource: [
        // Refused whatever their inputs say, known or not: their existence is the secret.
        ...PASSWORD_RESOURCES.map(([type, what]) =>
            forType(type, (args, report) => {
                report(`${args.name} is ${what}. ${SIGN_IN_WITHOUT_SECRETS}`);
            }),
        ),
        forType(TYPES.application, (args, report) => {
            // A single password block, generated at creation (terraform-provider-azuread application resource, `password`).
            const password = read(args.props, "password");
            if (password === UNKNOWN || password === undefined || password === null) return;
            report(`${args.name} has a password block: Entra generates a client secret for the application. ${SIGN_IN_WITHOUT_SECRETS}`);
        }),
        forType(CERTIFICATE_CREDENTIALS, (args, report) => {
            // The provider's type: AsymmetricX509Cert or Symmetric (a key the application and Entra share).
            const type = read(args.props, "type");
            if (type === UNKNOWN || type === undefined || type === "AsymmetricX509Cert") return;
            const problem =
                typeof type === "string" && type.toLowerCase() === "symmetric"
                    ? `registers a key of type ${show(type)}: a shared secret, stored in Entra like a password`
                    : `has type ${show(type)}, which is not AsymmetricX509Cert: it cannot be told from a shared secret`;
            report(`${args.name} ${problem}. ${SIGN_IN_WITHOUT_SECRETS}`);
        }),
    ],
};

/**
 * GitHub Actions' OIDC issuer, or an enterprise's own (https://token.actions.githubusercontent.com/<enterprise>):
 * GitHub Docs, "OpenID Connect reference" (customizing the issuer value for an enterprise).
 */
function isGitHubActionsIssuer(issuer: string): boolean {
    try {
        const url = new URL(issuer);
        return (
            url.protocol === "https:" &&
            url.host === "token.actions.githubusercontent.com" &&
            url.username === "" &&
            url.password === "" &&
            /^\/?([^/]+)?$/.test(url.pathname)
        );
    } catch {
        return false;
    }
}

/** The value after `name:` in a colon-separated subject (`ref_type:tag`), lower-cased, for each such pair. */
function subjectValues(subject: string, name: string): string[] {
    const parts = subject.split(":");
    return parts.flatMap((part, i) => (part.toLowerCase() === name && i + 1 < parts.length ? [parts[i + 1].toLowerCase()] : []));
}

/**
 * What a subject trusts beyond one reviewed workload: a tag (GitHub's ref:refs/tags/..., or a ref_type:tag pair as
 * in GitLab's project_path:<group>/<project>:ref_type:tag:ref:<name> and GitHub's customised subjects), or a branch
 * (ref:refs/heads/..., ref_type:branch). Like the pull request check, by the subject's parts, in any letter case.
 */
function refTrusted(subject: string): "tag" | "branch" | undefined {
    const refTypes = subjectValues(subject, "ref_type");
    if (/(^|:)ref:refs\/tags\//i.test(subject) || refTypes.includes("tag")) return "tag";
    if (/(^|:)ref:refs\/heads\//i.test(subject) || refTypes.includes("branch")) return "branch";
    return undefined;
}

const federatedSubjectTagOrBranch: ResourceValidationPolicy = {
    name: "federated-subject-tag-or-branch",
    description:
        "Warns about a federated identity credential that trusts a tag, or a branch of another issuer than GitHub Actions: whoever can push that ref gets the application's Exchange roles.",
    enforcementLevel: "advisory",
    validateResource: forType(TYPES.federatedIdentityCredential, (args, report) => {
        const subject = read(args.props, "subject");
        if (typeof subject !== "string") return; // unknown yet, or refused by federated-identity-credential
        const ref = refTrusted(subject);
        if (ref === "tag") {
            report(
                `${args.name}: subject ${show(subject)} trusts a tag. Whoever may push to the repository can usually create a tag, on any ` +
                    "commit, reviewed or not, and its run gets a token with this application's Exchange roles. Trust a protected environment " +
                    "with required reviewers instead (repo:<owner>/<repo>:environment:<name>, exo-cba:federatedCredentials), or restrict who " +
                    "may create matching tags (a tag ruleset) and accept this warning.",
            );
            return;
        }
        const issuer = read(args.props, "issuer");
        if (ref !== "branch" || typeof issuer !== "string" || isGitHubActionsIssuer(issuer)) return;
        report(
            `${args.name}: subject ${show(subject)} trusts a branch of issuer ${show(issuer)}, whose branch protection this pack cannot see: ` +
                "every pipeline that runs on that branch gets a token with this application's Exchange roles. Make sure only reviewed " +
                "changes reach it (a protected branch that only maintainers may push or merge to), or trust a deployment with an approval " +
                "step instead (exo-cba:federatedCredentials).",
        );
    }),
};

function isHttpsUrl(value: unknown): boolean {
    if (typeof value !== "string" || !value.startsWith("https://")) return false;
    try {
        return new URL(value).host !== "";
    } catch {
        return false;
    }
}

/** Every policy of the pack; `now` is the clock the expiry warning reads. */
export function createPolicies(now: () => Date = () => new Date()): Policies {
    return [
        noGlobalAdministrator,
        supportedDirectoryRoles,
        rsaKeySize,
        credentialWithinCertificate,
        exchangeOnlineManageAsAppOnly,
        selfSignedValidity,
        certificateExpiry(now),
        federatedIdentityCredential,
        noPasswordCredentials,
        noGraphPrivilegeEscalation,
        noGroupMembership,
        federatedSubjectTagOrBranch,
    ];
}
