/**
 * A simulated Microsoft 365 tenant behind Pulumi's mock runtime.
 *
 * It answers the program's invokes from tenant data and, outside previews, "creates" resources
 * the way the providers and Microsoft Graph would: generated ids, real RSA keys and real X.509
 * certificates (so thumbprints and dates can be checked with openssl), and the API's own rules
 * (a credential may not outlive its certificate, assignments must name an existing service
 * principal, a role must exist, ...). A call it has no model for fails, so a new invoke or
 * resource type cannot slip through untested.
 *
 * In a preview it behaves like the engine: resources get no id and every output that is not an
 * input is unknown.
 */
import { createHash, generateKeyPairSync, X509Certificate } from "node:crypto";
import forge from "node-forge";
import { unwrapForProvider, type Value } from "./wireValues.mts";

/** Shown for a value only the tenant can supply (used by the offline plan). */
export const FROM_TENANT = "[from tenant]";
/**
 * The placeholder tenant's initial domain: a domain name (the program checks what a tenant reports), in
 * the .invalid top-level domain that never resolves (RFC 2606). The plan shows it as FROM_TENANT.
 */
export const FROM_TENANT_DOMAIN = "from-tenant.invalid";

export interface AppRole {
    readonly id: string;
    readonly value: string;
    readonly allowedMemberTypes: readonly string[];
}

export interface TenantServicePrincipal {
    readonly objectId: string;
    readonly clientId: string;
    readonly displayName: string;
    readonly appRoles: readonly AppRole[];
}

export interface TenantDomain {
    readonly domainName: string;
    readonly initial: boolean;
    readonly default: boolean;
    readonly verified: boolean;
    readonly adminManaged: boolean;
    readonly root: boolean;
    readonly supportedServices: readonly string[];
}

export interface TenantData {
    readonly tenantId: string;
    /** The identity running Pulumi (azuread.getClientConfig). */
    readonly deployer: { readonly objectId: string; readonly clientId: string };
    readonly domains: readonly TenantDomain[];
    /** Service principals that exist before the program runs (Microsoft's first-party apps). */
    readonly servicePrincipals: readonly TenantServicePrincipal[];
    /** Built-in directory role templates: id and Graph displayName. */
    readonly roleTemplates: readonly { readonly id: string; readonly displayName: string }[];
    /** Other users, groups and managed identities that may be named as owners or readers. */
    readonly userObjectIds: readonly string[];
    /**
     * Application permissions granted before the program runs (an administrator's consent): principal,
     * resource (both service principal object ids) and app role.
     */
    readonly appRoleAssignments?: readonly { readonly principalId: string; readonly resourceId: string; readonly appRoleId: string }[];
    /** Azure Key Vaults that exist (ARM resource ids, RBAC authorization). */
    readonly keyVaults?: readonly string[];
    /**
     * When simulated certificates are issued (RFC 3339). Unset: now, as the tls provider does; a test
     * sets it to put a certificate near or past its end.
     */
    readonly issuedAt?: string;
}

/** An application registered in another tenant (by another stack), as this tenant's Graph can find it. */
export interface ForeignApplication {
    readonly clientId: string;
    readonly displayName: string;
    /** Graph's signInAudience: only a multitenant application gets a service principal outside its own tenant. */
    readonly signInAudience: string;
    /** The tenant it is registered in. */
    readonly tenantId: string;
}

/** The audiences of an application other tenants may have a service principal of (Graph's signInAudience values). */
const MULTITENANT_AUDIENCES: readonly string[] = ["AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount"];

export interface SimulationOptions {
    readonly tenant: TenantData;
    readonly preview: boolean;
    /** Applications of other tenants (multitenant or not), by the stacks that registered them. */
    readonly foreignApplications?: readonly ForeignApplication[];
}

interface ResourceArgs {
    readonly type: string;
    readonly name: string;
    /** Plain values: secrets unwrapped, unknowns absent. */
    readonly inputs: Record<string, unknown>;
    /** The explicit provider's configuration (plain), if the resource names one. */
    readonly provider: Record<string, unknown> | undefined;
}

interface CallArgs {
    readonly token: string;
    readonly inputs: Record<string, unknown>;
}

/** A tenant whose every value is a placeholder: the plan shows these as "[from tenant]". */
export function placeholderTenant(apiAppIds: readonly { appId: string; displayName: string }[], manageAsApp: string): TenantData {
    return {
        tenantId: FROM_TENANT,
        deployer: { objectId: FROM_TENANT, clientId: FROM_TENANT },
        domains: [
            {
                domainName: FROM_TENANT_DOMAIN,
                initial: true,
                default: true,
                verified: true,
                adminManaged: true,
                root: true,
                supportedServices: ["Email"],
            },
        ],
        servicePrincipals: apiAppIds.map((api) => ({
            objectId: FROM_TENANT,
            clientId: api.appId,
            displayName: api.displayName,
            appRoles: [{ id: FROM_TENANT, value: manageAsApp, allowedMemberTypes: ["Application"] }],
        })),
        roleTemplates: [],
        userObjectIds: [],
    };
}

class GraphError extends Error {}

export class SimulatedTenant {
    private readonly tenant: TenantData;
    private readonly preview: boolean;
    private readonly apps = new Map<string, { objectId: string; clientId: string; displayName: string }>();
    private readonly createdPrincipals = new Map<string, TenantServicePrincipal>();
    private readonly federated = new Map<string, { name: string; issuer: string; subject: string }[]>();
    private readonly assignments: { principalId: string; resourceId: string; appRoleId: string }[] = [];

    private readonly foreign: readonly ForeignApplication[];

    constructor(options: SimulationOptions) {
        this.tenant = options.tenant;
        this.preview = options.preview;
        this.foreign = options.foreignApplications ?? [];
    }

    /** Answers an invoke; throws as the provider would fail. */
    call(args: CallArgs): Record<string, unknown> {
        const t = this.tenant;
        switch (args.token) {
            case "azuread:index/getClientConfig:getClientConfig":
                return {
                    clientId: t.deployer.clientId,
                    objectId: t.deployer.objectId,
                    tenantId: t.tenantId,
                    id: `${t.deployer.clientId}-${t.tenantId}`,
                };
            case "azuread:index/getDomains:getDomains":
                return this.getDomains(args.inputs);
            case "azuread:index/getServicePrincipal:getServicePrincipal":
                return this.getServicePrincipal(args.inputs);
            default:
                throw new Error(`the simulated tenant has no model of the invoke ${args.token}; add one before using it`);
        }
    }

    /**
     * Creates a resource. `inputs` are marked values; the returned state keeps them as given (a secret
     * input stays a secret output) and adds what the provider computes.
     */
    newResource(args: { type: string; name: string; inputs: Record<string, Value>; providerConfig?: Record<string, Value> | undefined }): {
        id: string;
        state: Record<string, Value>;
    } {
        if (this.preview) {
            // The engine plans the inputs as outputs; everything computed stays unknown, and there is no id yet.
            return { id: "", state: { ...args.inputs } };
        }
        const model = this.models[args.type];
        if (!model) throw new Error(`the simulated tenant has no model of the resource type ${args.type}; add one before using it`);
        const created = model({
            type: args.type,
            name: args.name,
            inputs: unwrapForProvider(args.inputs),
            provider: args.providerConfig ? unwrapForProvider(args.providerConfig) : undefined,
        });
        return { id: created.id, state: { ...args.inputs, ...(created.state as Record<string, Value>) } };
    }

    /**
     * Properties a provider changes in place; a change to any other input replaces the resource
     * ("Changing this forces a new resource" in the azuread and tls provider documentation).
     */
    static updatable(type: string): readonly string[] {
        return UPDATABLE[type] ?? [];
    }

    /**
     * Makes an object that already exists in the stack's state known to the simulation (the engine
     * found it unchanged and did not ask the provider to create it).
     */
    adopt(type: string, outputs: Record<string, unknown>): void {
        if (type === "azuread:index/applicationRegistration:ApplicationRegistration") {
            const objectId = String(outputs["objectId"]);
            this.apps.set(objectId, { objectId, clientId: String(outputs["clientId"]), displayName: String(outputs["displayName"]) });
        } else if (type === "azuread:index/servicePrincipal:ServicePrincipal") {
            const objectId = String(outputs["objectId"]);
            this.createdPrincipals.set(objectId, {
                objectId,
                clientId: String(outputs["clientId"]),
                displayName: String(outputs["displayName"]),
                appRoles: [],
            });
        } else if (type === "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential") {
            const objectId = (/^\/applications\/([0-9a-f-]{36})$/i.exec(String(outputs["applicationId"]))?.[1] ?? "").toLowerCase();
            const list = this.federated.get(objectId) ?? [];
            list.push({ name: String(outputs["displayName"]), issuer: String(outputs["issuer"]), subject: String(outputs["subject"]) });
            this.federated.set(objectId, list);
        }
    }

    // ---- invokes ----

    private getDomains(a: Record<string, unknown>): Record<string, unknown> {
        const domains = this.tenant.domains
            .filter((d) => !a["onlyInitial"] || d.initial)
            .filter((d) => !a["onlyDefault"] || d.default)
            .filter((d) => !a["onlyRoot"] || d.root)
            .filter((d) => a["includeUnverified"] || d.verified)
            .filter((d) => a["adminManaged"] === undefined || d.adminManaged === a["adminManaged"])
            .map((d) => ({
                domainName: d.domainName,
                initial: d.initial,
                default: d.default,
                verified: d.verified,
                adminManaged: d.adminManaged,
                root: d.root,
                authenticationType: "Managed",
                supportedServices: [...d.supportedServices],
            }));
        return { ...a, id: `domains#${domains.length}`, domains };
    }

    private getServicePrincipal(a: Record<string, unknown>): Record<string, unknown> {
        const all = [...this.tenant.servicePrincipals, ...this.createdPrincipals.values()];
        const sp = all.find(
            (s) =>
                (typeof a["clientId"] === "string" && sameId(s.clientId, a["clientId"])) ||
                (typeof a["objectId"] === "string" && sameId(s.objectId, a["objectId"])) ||
                (a["displayName"] !== undefined && s.displayName === a["displayName"]),
        );
        if (!sp) {
            const filter = a["clientId"] ?? a["objectId"] ?? a["displayName"];
            throw new Error(`No service principal found for application ID: ${JSON.stringify(filter)}`);
        }
        return {
            id: `/servicePrincipals/${sp.objectId}`,
            objectId: sp.objectId,
            clientId: sp.clientId,
            displayName: sp.displayName,
            accountEnabled: true,
            appRoleAssignmentRequired: false,
            applicationTenantId: "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
            type: "Application",
            appRoles: sp.appRoles.map((r) => ({
                id: r.id,
                value: r.value,
                allowedMemberTypes: [...r.allowedMemberTypes],
                displayName: r.value,
                description: r.value,
                enabled: true,
            })),
            appRoleIds: Object.fromEntries(sp.appRoles.map((r) => [r.value, r.id])),
            oauth2PermissionScopeIds: {},
            servicePrincipalNames: [sp.clientId],
            tags: [],
        };
    }

    // ---- resources ----

    private readonly models: Record<string, (a: ResourceArgs) => { id: string; state: Record<string, unknown> }> = {
        "tls:index/privateKey:PrivateKey": (a) => this.privateKey(a),
        "tls:index/selfSignedCert:SelfSignedCert": (a) => this.selfSignedCert(a),
        "azuread:index/applicationRegistration:ApplicationRegistration": (a) => {
            const objectId = this.guid("app-object", a.name);
            const clientId = this.guid("app-client", a.name);
            const displayName = requireString(a.inputs, "displayName");
            this.apps.set(objectId, { objectId, clientId, displayName });
            return {
                id: `/applications/${objectId}`,
                state: { objectId, clientId, disabledByMicrosoft: "", publisherDomain: this.initialDomain() },
            };
        },
        "azuread:index/applicationOwner:ApplicationOwner": (a) => {
            const app = this.application(a.inputs["applicationId"]);
            const owner = requireString(a.inputs, "ownerObjectId");
            if (!this.isPrincipal(owner)) throw notFound(owner);
            return { id: `/applications/${app.objectId}/owners/${owner}`, state: {} };
        },
        "azuread:index/applicationCertificate:ApplicationCertificate": (a) => this.applicationCertificate(a),
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": (a) => this.federatedCredential(a),
        "azuread:index/applicationApiAccess:ApplicationApiAccess": (a) => {
            const app = this.application(a.inputs["applicationId"]);
            const apiClientId = requireString(a.inputs, "apiClientId");
            const api = this.principals().find((p) => p.clientId === apiClientId);
            if (!api)
                throw new GraphError(`Request_BadRequest: no service principal for the API with client id ${apiClientId} in this tenant`);
            for (const roleId of asStrings(a.inputs["roleIds"])) {
                if (!api.appRoles.some((r) => r.id === roleId && r.allowedMemberTypes.includes("Application"))) {
                    throw new GraphError(`Request_BadRequest: ${api.displayName} publishes no application role with id ${roleId}`);
                }
            }
            return { id: `/applications/${app.objectId}/apiAccess/${apiClientId}`, state: {} };
        },
        "azuread:index/servicePrincipal:ServicePrincipal": (a) => {
            const clientId = requireString(a.inputs, "clientId");
            // This tenant's application, or another tenant's that is multitenant: Graph finds no other
            // (a single-tenant application of another tenant is as unknown here as one that does not exist;
            // Microsoft documents no error of its own for that case, so it gets the unknown appId's).
            const local = [...this.apps.values()].find((x) => sameId(x.clientId, clientId));
            const foreign = this.foreign.find(
                (x) =>
                    sameId(x.clientId, clientId) && x.tenantId !== this.tenant.tenantId && MULTITENANT_AUDIENCES.includes(x.signInAudience),
            );
            const app = local ?? foreign;
            if (!app) {
                throw new GraphError(
                    `Request_BadRequest: The appId '${clientId}' of the service principal does not reference a valid application object.`,
                );
            }
            for (const owner of asStrings(a.inputs["owners"])) if (!this.isPrincipal(owner)) throw notFound(owner);
            // One service principal per application and tenant: one made earlier (by an administrator's consent)
            // is taken over with use_existing, and refused without it (terraform-provider-azuread
            // azuread_service_principal, use_existing).
            const existing = this.principals().find((p) => sameId(p.clientId, clientId));
            if (existing !== undefined && a.inputs["useExisting"] !== true) {
                throw new GraphError(
                    `A service principal for the application ${clientId} already exists in this tenant (object id ${existing.objectId}); import it, or set useExisting.`,
                );
            }
            // A new object for another application: Graph gives every service principal an id of its own.
            const objectId = existing?.objectId ?? this.guid("sp-object", `${a.name}/${clientId.toLowerCase()}`);
            this.createdPrincipals.set(objectId, { objectId, clientId, displayName: app.displayName, appRoles: [] });
            return {
                id: `/servicePrincipals/${objectId}`,
                state: {
                    objectId,
                    displayName: app.displayName,
                    applicationTenantId: foreign !== undefined && local === undefined ? foreign.tenantId : this.tenant.tenantId,
                    type: "Application",
                    appRoleIds: {},
                    servicePrincipalNames: [clientId],
                },
            };
        },
        "azuread:index/appRoleAssignment:AppRoleAssignment": (a) => {
            const principalId = requireString(a.inputs, "principalObjectId");
            const resourceId = requireString(a.inputs, "resourceObjectId");
            const appRoleId = requireString(a.inputs, "appRoleId");
            const principal = this.principals().find((p) => sameId(p.objectId, principalId));
            if (!principal) throw notFound(principalId);
            const resource = this.principals().find((p) => sameId(p.objectId, resourceId));
            if (!resource) throw notFound(resourceId);
            if (!resource.appRoles.some((r) => r.id === appRoleId && r.allowedMemberTypes.includes("Application"))) {
                throw new GraphError("Request_BadRequest: Permission being assigned was not found on application");
            }
            // One assignment of a role to a principal: Graph refuses a second (an administrator's consent made one).
            const same = (x: { principalId: string; resourceId: string; appRoleId: string }) =>
                sameId(x.principalId, principalId) && sameId(x.resourceId, resourceId) && sameId(x.appRoleId, appRoleId);
            if ([...(this.tenant.appRoleAssignments ?? []), ...this.assignments].some(same)) {
                throw new GraphError("Request_BadRequest: Permission being assigned already exists on the object.");
            }
            this.assignments.push({ principalId, resourceId, appRoleId });
            return {
                id: `/servicePrincipals/${resourceId}/appRoleAssignedTo/${this.guid("assignment", a.name)}`,
                state: {
                    principalDisplayName: principal.displayName,
                    principalType: "ServicePrincipal",
                    resourceDisplayName: resource.displayName,
                },
            };
        },
        "pulumi:providers:azure-native": (a) => {
            if (typeof a.inputs["subscriptionId"] !== "string")
                throw new Error("the simulated azure-native provider needs a subscriptionId");
            return { id: this.guid("provider", a.name), state: {} };
        },
        "azure-native:keyvault:Secret": (a) => this.keyVaultSecret(a),
        "azure-native:authorization:RoleAssignment": (a) => this.azureRoleAssignment(a),
        "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment": (a) => {
            const roleId = requireString(a.inputs, "roleId");
            const principal = requireString(a.inputs, "principalObjectId");
            if (!this.tenant.roleTemplates.some((r) => r.id === roleId)) {
                throw new GraphError(`Request_ResourceNotFound: The role definition ${roleId} does not exist in this tenant.`);
            }
            if (!this.isPrincipal(principal)) throw notFound(principal);
            const scope = a.inputs["directoryScopeId"] ?? "/";
            if (scope !== "/")
                throw new GraphError(`Request_BadRequest: the simulation only models tenant-wide scope "/", not ${JSON.stringify(scope)}`);
            return { id: this.guid("role-assignment", a.name), state: { directoryScopeId: "/" } };
        },
    };

    private privateKey(a: ResourceArgs): { id: string; state: Record<string, unknown> } {
        if (a.inputs["algorithm"] !== "RSA")
            throw new Error(`the simulation only generates RSA keys, not ${String(a.inputs["algorithm"])}`);
        const bits = Number(a.inputs["rsaBits"] ?? 2048);
        const pem = generateKeyPairSync("rsa", { modulusLength: bits }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
        const forgeKey = forge.pki.privateKeyFromPem(pem);
        const publicKeyPem = forge.pki.publicKeyToPem(forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e));
        return {
            id: sha1(publicKeyPem),
            state: { rsaBits: bits, privateKeyPem: pem, publicKeyPem, ecdsaCurve: "P224" },
        };
    }

    private selfSignedCert(a: ResourceArgs): { id: string; state: Record<string, unknown> } {
        const keyPem = requireString(a.inputs, "privateKeyPem");
        const hours = Number(a.inputs["validityPeriodHours"]);
        const uses = asStrings(a.inputs["allowedUses"]);
        const subject = (a.inputs["subject"] ?? {}) as Record<string, unknown>;
        const issuedAt = this.tenant.issuedAt ?? toRfc3339(new Date());
        const certPem = issueSelfSigned(keyPem, subject, uses, issuedAt, hours);
        const cert = new X509Certificate(certPem);
        return {
            id: BigInt(`0x${cert.serialNumber}`).toString(10),
            state: {
                certPem,
                keyAlgorithm: "RSA",
                validityStartTime: toRfc3339(new Date(cert.validFrom)),
                validityEndTime: toRfc3339(new Date(cert.validTo)),
                readyForRenewal: false,
                earlyRenewalHours: 0,
                isCaCertificate: false,
                setSubjectKeyId: false,
                setAuthorityKeyId: false,
            },
        };
    }

    /** Microsoft.KeyVault/vaults/secrets through ARM: the vault must exist in the provider's subscription. */
    private keyVaultSecret(a: ResourceArgs): { id: string; state: Record<string, unknown> } {
        const subscription = a.provider?.["subscriptionId"];
        if (typeof subscription !== "string") {
            throw new Error("azure-native: no subscription: the default provider has no subscriptionId configured in this simulation");
        }
        const group = requireString(a.inputs, "resourceGroupName");
        const vaultName = requireString(a.inputs, "vaultName");
        const vaultId = `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${vaultName}`;
        if (!(this.tenant.keyVaults ?? []).some((v) => v.toLowerCase() === vaultId.toLowerCase())) {
            throw new GraphError(
                `ResourceNotFound: The Resource 'Microsoft.KeyVault/vaults/${vaultName}' under resource group '${group}' was not found.`,
            );
        }
        const name = requireString(a.inputs, "secretName");
        const properties = (a.inputs["properties"] ?? {}) as Record<string, unknown>;
        const value = typeof properties["value"] === "string" ? properties["value"] : "";
        if (!value.includes("-----BEGIN CERTIFICATE-----") || !value.includes("PRIVATE KEY-----")) {
            throw new Error("the simulated vault expected a PEM bundle with a certificate and a private key");
        }
        const attributes = (properties["attributes"] ?? {}) as Record<string, unknown>;
        for (const field of ["expires", "notBefore"]) {
            if (attributes[field] !== undefined && !Number.isInteger(attributes[field])) {
                throw new GraphError(`BadRequest: attributes.${field} must be a whole number of seconds since 1970`);
            }
        }
        const version = sha1(value).slice(0, 32);
        const uri = `https://${vaultName.toLowerCase()}.vault.azure.net/secrets/${name}`;
        // ARM never returns a secret's value.
        const { value: _value, ...returned } = properties;
        return {
            id: `${vaultId}/secrets/${name}`,
            state: {
                name,
                type: "Microsoft.KeyVault/vaults/secrets",
                properties: { ...returned, secretUri: uri, secretUriWithVersion: `${uri}/${version}` },
            },
        };
    }

    private azureRoleAssignment(a: ResourceArgs): { id: string; state: Record<string, unknown> } {
        const scope = requireString(a.inputs, "scope");
        if (
            !/^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/.+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+\/secrets\/[^/]+$/i.test(
                scope,
            )
        ) {
            throw new Error(`the simulation models role assignments on Key Vault secrets only, not ${scope}`);
        }
        const role = requireString(a.inputs, "roleDefinitionId");
        if (!/^\/subscriptions\/[0-9a-f-]{36}\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/i.test(role)) {
            throw new GraphError(`InvalidRoleDefinitionId: The role definition ID '${role}' is not valid.`);
        }
        const principal = requireString(a.inputs, "principalId");
        if (!this.isPrincipal(principal))
            throw new GraphError(`PrincipalNotFound: Principal ${principal} does not exist in the directory ${this.tenant.tenantId}.`);
        const actualType = this.principals().some((p) => sameId(p.objectId, principal)) ? "ServicePrincipal" : "User";
        const declared = a.inputs["principalType"];
        if (declared !== undefined && declared !== actualType) {
            throw new GraphError(
                `UnmatchedPrincipalType: The PrincipalId '${principal}' has type '${actualType}', which is different from specified PrincipalType ${JSON.stringify(declared)}.`,
            );
        }
        const name = requireString(a.inputs, "roleAssignmentName");
        // Azure's rule, written out here rather than taken from components/microsoft.ts: the stand-in
        // must not share the program's checks, or it could not catch them.
        if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(name)) {
            throw new GraphError(
                `InvalidRoleAssignmentId: The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
            );
        }
        return { id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`, state: { principalType: actualType } };
    }

    /**
     * Graph's rules for federated identity credentials (learn.microsoft.com/graph/api/application-post-federatedidentitycredentials,
     * workload-identity-federation-considerations): at most 20 per application, a name of 3 to 120 URL-friendly
     * characters unique on the application, one audience, and one credential per issuer and subject.
     */
    private federatedCredential(a: ResourceArgs): { id: string; state: Record<string, unknown> } {
        const app = this.application(a.inputs["applicationId"]);
        const name = requireString(a.inputs, "displayName");
        if (!/^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/.test(name)) {
            throw new GraphError(`Request_BadRequest: Federated Identity Credential name '${name}' is invalid.`);
        }
        const issuer = requireString(a.inputs, "issuer");
        const subject = requireString(a.inputs, "subject");
        const audiences = asStrings(a.inputs["audiences"]);
        if (audiences.length !== 1) throw new GraphError("Request_BadRequest: audiences must hold exactly one value.");
        const existing = this.federated.get(app.objectId) ?? [];
        if (existing.length >= 20) {
            throw new GraphError("Request_BadRequest: Maximum number of federated identity credentials (20) reached for this application.");
        }
        if (existing.some((f) => f.name === name))
            throw new GraphError(`Request_BadRequest: A federated identity credential named '${name}' already exists.`);
        if (existing.some((f) => f.issuer === issuer && f.subject === subject)) {
            throw new GraphError("Request_BadRequest: A federated identity credential with the same issuer and subject already exists.");
        }
        existing.push({ name, issuer, subject });
        this.federated.set(app.objectId, existing);
        const credentialId = this.guid("federated", `${app.objectId}/${name}`);
        return { id: `/applications/${app.objectId}/federatedIdentityCredential/${credentialId}`, state: { credentialId } };
    }

    private applicationCertificate(a: ResourceArgs): { id: string; state: Record<string, unknown> } {
        const app = this.application(a.inputs["applicationId"]);
        if ((a.inputs["type"] ?? "AsymmetricX509Cert") !== "AsymmetricX509Cert") {
            throw new GraphError(`the simulation models certificate credentials only, not ${String(a.inputs["type"])}`);
        }
        if ((a.inputs["encoding"] ?? "pem") !== "pem") throw new GraphError("the simulation models PEM-encoded certificate values only");
        let cert: X509Certificate;
        try {
            cert = new X509Certificate(requireString(a.inputs, "value"));
        } catch {
            throw new GraphError("Request_BadRequest: Invalid value specified for property 'key' of resource 'KeyCredential'.");
        }
        const notAfter = new Date(cert.validTo).getTime();
        const endDate = a.inputs["endDate"];
        // Graph: "Key credential end date is invalid" when it is later than the certificate's NotAfter.
        if (typeof endDate === "string" && Date.parse(endDate) > notAfter) {
            throw new GraphError("Request_BadRequest: Key credential end date is invalid.");
        }
        const keyId = this.guid("key-id", `${a.name}:${cert.fingerprint256}`);
        return {
            id: `/applications/${app.objectId}/credentials/certificate/${keyId}`,
            state: {
                keyId,
                startDate: a.inputs["startDate"] ?? toRfc3339(new Date(cert.validFrom)),
                endDate: endDate ?? toRfc3339(new Date(notAfter)),
                encoding: "pem",
                type: "AsymmetricX509Cert",
            },
        };
    }

    // ---- tenant lookups ----

    private application(applicationId: unknown): { objectId: string; clientId: string } {
        const m = /^\/applications\/([0-9a-f-]{36})$/i.exec(String(applicationId));
        if (!m) {
            throw new GraphError(
                `applicationId must be an application resource id "/applications/<object id>" (got ${JSON.stringify(applicationId)})`,
            );
        }
        const app = this.apps.get((m[1] ?? "").toLowerCase());
        if (!app) throw notFound(m[1] ?? "");
        return app;
    }

    private principals(): TenantServicePrincipal[] {
        return [...this.tenant.servicePrincipals, ...this.createdPrincipals.values()];
    }

    private isPrincipal(objectId: string): boolean {
        return (
            sameId(objectId, this.tenant.deployer.objectId) ||
            this.tenant.userObjectIds.some((id) => sameId(id, objectId)) ||
            this.principals().some((p) => sameId(p.objectId, objectId))
        );
    }

    private initialDomain(): string {
        return this.tenant.domains.find((d) => d.initial)?.domainName ?? "";
    }

    /** A GUID derived from the tenant and a name: stable across evaluations, distinct per object. */
    private guid(kind: string, name: string): string {
        const h = createHash("sha256").update(`${this.tenant.tenantId}/${kind}/${name}`).digest("hex");
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    }
}

const UPDATABLE: Readonly<Record<string, readonly string[]>> = {
    "azuread:index/applicationRegistration:ApplicationRegistration": ["displayName", "notes", "signInAudience", "description"],
    "azuread:index/servicePrincipal:ServicePrincipal": ["owners", "notes", "description", "accountEnabled", "appRoleAssignmentRequired"],
    "azuread:index/applicationApiAccess:ApplicationApiAccess": ["roleIds", "scopeIds"],
    // Only applicationId and displayName force a new credential (terraform-provider-azuread's schema).
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": [
        "issuer",
        "subject",
        "audiences",
        "description",
    ],
    // A new value is a new version of the same secret.
    "azure-native:keyvault:Secret": ["properties", "tags"],
};

/** The characters of an ASN.1 PrintableString, with the asterisk Go's encoder also lets through. */
const PRINTABLE_STRING = /^[A-Za-z0-9 '()+,\-./:=?*]*$/;

/** Issues a self-signed certificate the way the tls provider does (hashicorp/terraform-provider-tls). */
function issueSelfSigned(keyPem: string, subject: Record<string, unknown>, uses: string[], issuedAt: string, hours: number): string {
    const key = forge.pki.privateKeyFromPem(keyPem);
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
    cert.serialNumber = `0${sha1(`${keyPem}${issuedAt}`).slice(0, 31)}`;
    const start = new Date(issuedAt);
    cert.validity.notBefore = start;
    cert.validity.notAfter = new Date(start.getTime() + hours * 3_600_000);
    const attrs: forge.pki.CertificateField[] = [];
    const fields: [string, string][] = [
        ["commonName", "commonName"],
        ["organization", "organizationName"],
        ["organizationalUnit", "organizationalUnitName"],
        ["country", "countryName"],
    ];
    for (const [input, name] of fields) {
        const value = subject[input];
        if (typeof value !== "string" || value === "") continue;
        // Go's encoding/asn1 (the tls provider's x509) writes a PrintableString when every character is
        // allowed there, a UTF8String otherwise.
        attrs.push(
            PRINTABLE_STRING.test(value)
                ? { name, value }
                : { name, value, valueTagClass: forge.asn1.Type.UTF8 as unknown as forge.asn1.Class },
        );
    }
    cert.setSubject(attrs);
    cert.setIssuer(attrs);
    const keyUsage: Record<string, boolean> = {};
    const extKeyUsage: Record<string, boolean> = {};
    const keyUsageNames: Record<string, string> = {
        digitalSignature: "digitalSignature",
        contentCommitment: "nonRepudiation",
        keyEncipherment: "keyEncipherment",
        dataEncipherment: "dataEncipherment",
        keyAgreement: "keyAgreement",
        certSigning: "keyCertSign",
        crlSigning: "cRLSign",
    };
    const extNames: Record<string, string> = {
        clientAuth: "clientAuth",
        serverAuth: "serverAuth",
        codeSigning: "codeSigning",
        emailProtection: "emailProtection",
        timestamping: "timeStamping",
    };
    for (const use of uses) {
        const ku = keyUsageNames[use];
        const eku = extNames[use];
        if (ku) keyUsage[ku] = true;
        else if (eku) extKeyUsage[eku] = true;
        else throw new Error(`the simulation does not model the certificate use ${use}`);
    }
    const extensions: object[] = [{ name: "basicConstraints", cA: false, critical: true }];
    if (Object.keys(keyUsage).length > 0) extensions.push({ ...keyUsage, name: "keyUsage", critical: true });
    if (Object.keys(extKeyUsage).length > 0) extensions.push({ name: "extKeyUsage", ...extKeyUsage });
    cert.setExtensions(extensions);
    cert.sign(key, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
}

/** Graph compares object ids as GUIDs: in any letter case. */
function sameId(a: string, b: string): boolean {
    return a.toLowerCase() === b.toLowerCase();
}

function notFound(id: string): GraphError {
    return new GraphError(
        `Request_ResourceNotFound: Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
}

function requireString(inputs: Record<string, unknown>, key: string): string {
    const v = inputs[key];
    if (typeof v !== "string" || v === "") throw new Error(`input ${key} must be a non-empty string (got ${JSON.stringify(v)})`);
    return v;
}

function asStrings(v: unknown): string[] {
    return Array.isArray(v) ? v.map(String) : [];
}

function sha1(text: string): string {
    return createHash("sha1").update(text).digest("hex");
}

function toRfc3339(d: Date): string {
    return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
