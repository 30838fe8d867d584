import type * as AzureAD from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type * as TLS from "@pulumi/tls";
import { createRequire } from "node:module";
import { type CertificateFacts, inspectCertificate } from "./certificate.ts";
import { providerEnvironment } from "./config.ts";
import { federatedCredentialsOf } from "./secretless.ts";
import {
    type ConnectValues,
    COMPLIANCE_CAVEAT,
    connectCommand,
    connectCommandAccessToken,
    connectCommandCrossPlatform,
    connectCommandManagedIdentity,
    connectIppsCommand,
    connectIppsCommandAccessToken,
    adminConsentUrl,
    withCaveat,
} from "./connect.ts";
import {
    describeExpiry,
    describeRetirement,
    expiryStatus,
    INITIAL_GENERATION,
    type ResolvedGeneration,
    generationsOf,
} from "./rotation.ts";
import { show } from "./redaction.ts";
import { type KeyVaultCertificateSecretArgs, type KeyVaultModule, defaultSecretName } from "./keyVault.ts";
import { type DirectoryRoleInfo, EXCHANGE_APIS, EXCHANGE_ONLINE_API, type ExchangeApi, MANAGE_AS_APP_ROLE, findRole } from "./microsoft.ts";
import { type Cloud, cloudOf } from "./clouds.ts";
import type {
    FederatedCredentialOutput,
    HomeApplication,
    ManagedIdentityOutput,
    RegisteredCertificate,
    RoleOutput,
    StackOutputValues,
} from "./outputs.ts";
import { type Settings, type SettingsInput, withDefaults } from "./settings.ts";
import { describeProblems } from "./settingsReader.ts";
import { checkSettings, organizationHint } from "./validation.ts";

// The provider packages through require, as CommonJS loads them: an ES module import of @pulumi/azuread reads
// every one of its exports, and so runs each of its 70-odd lazily loaded resource modules (FACTS.md, Pulumi
// nodejs runtime); require keeps them lazy, so only the resources this program registers are loaded.
const require = createRequire(import.meta.url);
const azuread = require("@pulumi/azuread") as typeof AzureAD;
const tls = require("@pulumi/tls") as typeof TLS;

/**
 * The component's arguments are the stack's settings (components/settings.ts declares each one, its
 * default and what is allowed); every one is optional. A customer stack (`home`) also hands over what it
 * read of its home (home.ts readHome), which a constructor could not wait for.
 */
export type ExchangeAppOnlyAccessArgs = SettingsInput & { readonly homeApplication?: HomeApplication | undefined };

/** Self-signed certificate usages: the key signs Entra client assertions (RFC 7523) for client authentication. */
const CERT_USES = ["digitalSignature", "clientAuth"];

/**
 * App-only access to Exchange Online PowerShell for one tenant, with the least secret material each runner
 * needs: an Entra application that signs in with certificates (key and certificate made here, or brought)
 * and/or federated credentials (nothing stored), and managed identities that need no application at all.
 * Every principal gets the Exchange.ManageAsApp permission with admin consent (and in GCC High and DoD
 * Exchange Online Protection's too) and the directory roles.
 * https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2
 * https://learn.microsoft.com/powershell/exchange/connect-exo-powershell-managed-identity
 */
export class ExchangeAppOnlyAccess extends pulumi.ComponentResource {
    /** Every stack output (components/outputs.ts); optional ones are undefined when the configuration has none. */
    public readonly outputs: StackOutputValues;

    constructor(name: string, args: ExchangeAppOnlyAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        const settings = withDefaults(args);
        // The clock is read once, for the rules and the expiry warnings; no resource input depends on it.
        const now = new Date();
        // Validate before super(): a bad argument must not register anything.
        const { errors, warnings } = checkSettings(settings, now, providerEnvironment());
        if (errors.length > 0) {
            throw new pulumi.RunError(describeProblems(`Invalid arguments for ExchangeAppOnlyAccess "${name}"`, errors));
        }
        const home = args.homeApplication;
        if (home?.stack !== settings.home) {
            throw new pulumi.RunError(
                `ExchangeAppOnlyAccess "${name}": homeApplication must be what readHome (home.ts) read of the home setting (home ${show(settings.home ?? "")}, homeApplication ${show(home?.stack ?? "")}).`,
            );
        }
        super("exo-cba:exchange:AppOnlyAccess", name, {}, opts);
        for (const w of warnings) void pulumi.log.warn(`${w.key} ${w.message}`, this);
        for (const w of home?.warnings ?? []) void pulumi.log.warn(`exo-cba:home ${show(settings.home ?? "")} ${w}`, this);

        const cloud = cloudOf(settings);
        // Invokes in promise form, narrowed at once: lifting whole result types into Outputs costs more
        // type-checking than the rest of the program.
        const client = azuread.getClientConfig({ parent: this });
        const organization = settings.organization
            ? pulumi.output(settings.organization)
            : pulumi.output(azuread.getDomains({ onlyInitial: true }, { parent: this }).then((r) => initialDomain(r.domains)));
        const roles = settings.roles.flatMap((roleName) => findRole(roleName) ?? []); // checkSettings refused unknown names
        // The APIs whose Exchange.ManageAsApp every principal gets, looked up in the tenant rather than hard-coded.
        const apis = grantedApis(cloud).map((api) => lookUpApi(api, this));

        const tenantId = pulumi.output(client.then((c) => c.tenantId));
        const app = home
            ? this.customer(name, home, cloud, settings.consentedByAdministrator ? [] : apis, roles, organization, tenantId)
            : settings.application
              ? this.application(name, settings, cloud, apis, roles, organization, client, now)
              : NO_APPLICATION;

        // Managed identities: the same grants, to the identity's own service principal; nothing to own, no key.
        const managedIdentities = (settings.managedIdentities ?? []).map((mi): ManagedIdentityOutput => {
            this.grant(`${name}-mi-${mi.name}`, mi.objectId, apis, roles);
            return {
                name: mi.name,
                objectId: mi.objectId,
                ...(mi.clientId === undefined ? {} : { clientId: mi.clientId }),
                connectCommand: "",
            };
        });

        this.outputs = {
            ...app,
            tenantId,
            organization,
            cloud: cloud.name,
            exchangeEnvironmentName: cloud.exchangeEnvironmentName,
            managedIdentities:
                managedIdentities.length === 0
                    ? undefined
                    : organization.apply((org) =>
                          managedIdentities.map((mi) => ({
                              ...mi,
                              connectCommand: connectCommandManagedIdentity({
                                  organization: org,
                                  clientId: mi.clientId,
                                  cloud: cloud.name,
                              }),
                          })),
                      ),
            directoryRoles: roles.map((r): RoleOutput => ({ name: r.name, templateId: r.templateId })),
        };
        this.registerOutputs(this.outputs);
    }

    /**
     * The Entra application and everything that signs in as it: owners, certificate generations, federated
     * credentials, Key Vault delivery, the API permission, the service principal and its grants.
     */
    private application(
        name: string,
        settings: Settings,
        cloud: Cloud,
        apis: readonly Api[],
        roles: readonly DirectoryRoleInfo[],
        organization: pulumi.Output<string>,
        client: Promise<{ objectId: string }>,
        now: Date,
    ): ApplicationOutputs {
        const deployerObjectId = pulumi.output(client.then((c) => c.objectId));

        // 1. Application, owned by the configured principals or by whoever runs Pulumi.
        const app = new azuread.ApplicationRegistration(
            `${name}-app`,
            {
                displayName: settings.displayName,
                // Multitenant for a home stack, whose customers' tenants get its service principal (an update in place).
                signInAudience: settings.multitenant ? "AzureADMultipleOrgs" : "AzureADMyOrg",
                // Unchanged since the first release: a new text would update every deployed stack.
                notes: pulumi.interpolate`Certificate-based app-only access for Exchange Online PowerShell. Managed by Pulumi project ${pulumi.getProject()}, stack ${pulumi.getStack()}: change it there, not in the portal.`,
            },
            { parent: this },
        );
        const ownerIds: pulumi.Input<string[]> = settings.owners ? [...settings.owners] : deployerObjectId.apply((id) => [id]);
        if (settings.owners) {
            for (const id of settings.owners) {
                new azuread.ApplicationOwner(
                    `${name}-owner-${id.toLowerCase()}`,
                    { applicationId: app.id, ownerObjectId: id },
                    { parent: this },
                );
            }
        } else {
            new azuread.ApplicationOwner(
                `${name}-owner-deployer`,
                { applicationId: app.id, ownerObjectId: deployerObjectId },
                { parent: this },
            );
        }

        // 2. Certificates and their credentials, one set per generation; the last generation is active.
        //    An explicit empty list (federated credentials only) makes none.
        // Only a first generation named "initial" is the single certificate of stacks deployed before generations
        // existed; a first generation with another name is a new certificate.
        const generations = generationsOf(settings).map((g, i) =>
            this.generation(name, g, i === 0 && g.name === INITIAL_GENERATION, settings.displayName, app),
        );
        const active = generations[generations.length - 1];
        // One Output over the PEM strings: cheaper to type-check than one per generation's facts.
        const certificates = pulumi.output(generations.map((g) => g.certPem)).apply((pems: string[]) =>
            pems.map((pem, i): RegisteredCertificate => {
                const g = generations[i];
                const f = inspectCertificate(pem);
                return {
                    name: g.name,
                    thumbprint: f.thumbprint,
                    notBefore: f.notBefore,
                    notAfter: f.notAfter,
                    active: g === active,
                    selfSigned: g.privateKeyPem !== undefined,
                };
            }),
        );
        for (const g of generations) {
            g.certPem.apply((pem) => this.warnAboutExpiry(g.name, inspectCertificate(pem), g === active, settings.renewBeforeDays, now));
        }

        // 3. Federated credentials: a workload's own token (GitHub Actions, Azure DevOps, Kubernetes) signs in.
        const federated = federatedCredentialsOf(settings);
        for (const f of federated) {
            new azuread.ApplicationFederatedIdentityCredential(
                `${name}-federated-${f.name}`,
                {
                    applicationId: app.id,
                    displayName: f.name,
                    issuer: f.issuer,
                    subject: f.subject,
                    audiences: [f.audience],
                    description: pulumi.interpolate`Exchange Online app-only access; managed by Pulumi project ${pulumi.getProject()}, stack ${pulumi.getStack()}.`,
                },
                { parent: this },
            );
        }

        // 4. Key Vault delivery (optional) follows the active certificate: a rotation writes a new secret version.
        const keyVaultSecretUri =
            settings.keyVaultId !== undefined && active?.privateKeyPem !== undefined
                ? deliverToKeyVault(
                      `${name}-keyvault`,
                      {
                          keyVaultId: settings.keyVaultId,
                          secretName: settings.keyVaultSecretName ?? defaultSecretName(pulumi.getProject(), pulumi.getStack()),
                          certificatePem: active.certPem,
                          privateKeyPem: active.privateKeyPem,
                          notAfter: active.notAfter,
                          notBefore: active.certPem.apply((pem) => inspectCertificate(pem).notBefore),
                          thumbprint: active.thumbprint,
                          appId: app.clientId,
                          ...(settings.keyVaultReaderPrincipalIds ? { readerPrincipalIds: settings.keyVaultReaderPrincipalIds } : {}),
                      },
                      { parent: this },
                  )
                : undefined;

        // 5. API permission, one per API (Exchange Online; in US Government clouds Exchange Online Protection too).
        for (const api of apis) {
            new azuread.ApplicationApiAccess(
                `${name}-api-access${api.suffix}`,
                { applicationId: app.id, apiClientId: api.appId, roleIds: [api.manageAsAppRoleId] },
                { parent: this },
            );
        }

        // 6. Service principal, and 7-8. its admin consent and directory roles.
        const sp = new azuread.ServicePrincipal(`${name}-sp`, { clientId: app.clientId, owners: ownerIds }, { parent: this });
        this.grant(name, sp.objectId, apis, roles);

        // The certificate's connect lines, each from three Output<string>s: one Output of an object would cost
        // more type-checking than the rest of the component (Pulumi lifts every property of an Output's value).
        const thumbprint = active?.thumbprint;
        const certificate = thumbprint && {
            apply: (line: (v: ConnectValues) => string): pulumi.Output<string> =>
                app.clientId.apply((appId) =>
                    organization.apply((org) =>
                        thumbprint.apply((t) => line({ appId, organization: org, thumbprint: t, cloud: cloud.name })),
                    ),
                ),
        };
        const securityAndCompliance = roles.some((r) => r.securityAndCompliance);
        return {
            appId: app.clientId,
            applicationObjectId: app.objectId,
            multitenant: settings.multitenant ? true : undefined,
            home: undefined,
            adminConsentUrl: undefined,
            servicePrincipalObjectId: sp.objectId,
            thumbprint: active?.thumbprint,
            certificateNotAfter: active?.notAfter,
            certificatePem: active?.certPem,
            privateKeyPem: active?.privateKeyPem,
            certificates,
            renewBeforeDays: active ? settings.renewBeforeDays : undefined,
            keyVaultSecretUri,
            connectCommand: certificate?.apply(connectCommand),
            connectCommandCrossPlatform: certificate?.apply((v) => connectCommandCrossPlatform(v)),
            connectCommandAccessToken:
                federated.length > 0
                    ? organization.apply((org) => connectCommandAccessToken({ organization: org, cloud: cloud.name }))
                    : undefined,
            // Security & Compliance PowerShell only with a role that reaches it (Microsoft's app-only role table),
            // and only on Windows: the line says so, for the runner that pastes it (components/runners.ts).
            connectIppsCommand: !securityAndCompliance
                ? undefined
                : certificate
                  ? certificate.apply((v) => withCaveat(connectIppsCommand(v), COMPLIANCE_CAVEAT))
                  : federated.length > 0
                    ? organization.apply((org) =>
                          withCaveat(connectIppsCommandAccessToken({ organization: org, cloud: cloud.name }), COMPLIANCE_CAVEAT),
                      )
                    : undefined,
            federatedCredentials:
                federated.length > 0
                    ? federated.map((f): FederatedCredentialOutput => ({
                          name: f.name,
                          issuer: f.issuer,
                          subject: f.subject,
                          audience: f.audience,
                      }))
                    : undefined,
        };
    }

    /**
     * A customer stack: the home's multitenant application gets, in this tenant, its service principal (an
     * existing one, made by an administrator's consent, is taken over), the API permission's admin consent
     * (`apis`: none where an administrator consented already) and the directory roles. No application, key or credential here: they, and their rotation, are the home's.
     */
    private customer(
        name: string,
        home: HomeApplication,
        cloud: Cloud,
        apis: readonly Api[],
        roles: readonly DirectoryRoleInfo[],
        organization: pulumi.Output<string>,
        tenantId: pulumi.Output<string>,
    ): ApplicationOutputs {
        const sp = new azuread.ServicePrincipal(`${name}-sp`, { clientId: home.appId, useExisting: true }, { parent: this });
        this.grant(name, sp.objectId, apis, roles);
        const thumbprint = home.thumbprint;
        const line = (make: (v: ConnectValues) => string) =>
            thumbprint === undefined
                ? undefined
                : organization.apply((org) => make({ appId: home.appId, organization: org, thumbprint, cloud: cloud.name }));
        const tokenLine = (make: (v: { organization: string; cloud: Cloud["name"] }) => string) =>
            home.federated ? organization.apply((org) => make({ organization: org, cloud: cloud.name })) : undefined;
        const securityAndCompliance = roles.some((r) => r.securityAndCompliance);
        return {
            appId: home.appId,
            applicationObjectId: undefined,
            multitenant: undefined,
            home: home.stack,
            adminConsentUrl: tenantId.apply((t) => adminConsentUrl({ cloud: cloud.name, tenantId: t, appId: home.appId })),
            servicePrincipalObjectId: sp.objectId,
            thumbprint,
            certificateNotAfter: home.certificateNotAfter,
            certificatePem: home.certificatePem,
            privateKeyPem: undefined,
            certificates: home.certificates,
            renewBeforeDays: home.renewBeforeDays,
            keyVaultSecretUri: undefined,
            connectCommand: line(connectCommand),
            connectCommandCrossPlatform: line((v) => connectCommandCrossPlatform(v)),
            connectCommandAccessToken: tokenLine(connectCommandAccessToken),
            connectIppsCommand: !securityAndCompliance
                ? undefined
                : (line((v) => withCaveat(connectIppsCommand(v), COMPLIANCE_CAVEAT)) ??
                  tokenLine((v) => withCaveat(connectIppsCommandAccessToken(v), COMPLIANCE_CAVEAT))),
            federatedCredentials: undefined,
        };
    }

    /**
     * Exchange Online access for one principal: admin consent for each API's Exchange.ManageAsApp, then
     * the directory roles by template id (an activated role's object id replaces on every apply:
     * terraform-provider-azuread #1068, #1581), all assigned to the principal's service principal.
     */
    private grant(
        prefix: string,
        principalObjectId: pulumi.Input<string>,
        apis: readonly Api[],
        roles: readonly DirectoryRoleInfo[],
    ): void {
        for (const api of apis) {
            new azuread.AppRoleAssignment(
                `${prefix}-consent${api.suffix}`,
                { appRoleId: api.manageAsAppRoleId, principalObjectId, resourceObjectId: api.objectId },
                { parent: this },
            );
        }
        for (const role of roles) {
            new azuread.DirectoryRoleAssignment(
                `${prefix}-role-${slug(role.name)}`,
                { roleId: role.templateId, principalObjectId, directoryScopeId: "/" },
                { parent: this },
            );
        }
    }

    /**
     * One certificate generation: key and self-signed certificate (unless supplied) and the
     * application credential. `formerSingleCertificate`: it answers to the names the single-certificate
     * layout used too, so stacks deployed before generations existed keep their certificate.
     */
    private generation(
        name: string,
        g: ResolvedGeneration,
        formerSingleCertificate: boolean,
        displayName: string,
        app: AzureAD.ApplicationRegistration,
    ): Generation {
        const prefix = `${name}-${g.name}`;
        const formerly = (role: string): pulumi.CustomResourceOptions => ({
            parent: this,
            ...(formerSingleCertificate ? { aliases: [{ name: `${name}-${role}` }] } : {}),
        });
        let certPem: pulumi.Output<string>;
        let privateKeyPem: pulumi.Output<string> | undefined;
        if (g.certificatePem === undefined) {
            // The tls SDK marks the key outputs secret (additionalSecretOutputs) and the certificate's key input too.
            const key = new tls.PrivateKey(`${prefix}-key`, { algorithm: "RSA", rsaBits: g.rsaBits }, formerly("key"));
            const cert = new tls.SelfSignedCert(
                `${prefix}-cert`,
                {
                    privateKeyPem: key.privateKeyPem,
                    subject: { commonName: displayName },
                    validityPeriodHours: g.validityDays * 24,
                    allowedUses: CERT_USES,
                },
                formerly("cert"),
            );
            certPem = cert.certPem;
            privateKeyPem = pulumi.secret(key.privateKeyPem);
        } else {
            certPem = pulumi.output(g.certificatePem);
        }
        const notAfter = certPem.apply((pem) => inspectCertificate(pem).notAfter);
        // Graph refuses an end date later than the certificate's NotAfter, so take it from the certificate.
        new azuread.ApplicationCertificate(
            `${prefix}-credential`,
            { applicationId: app.id, type: "AsymmetricX509Cert", value: certPem, endDate: notAfter },
            formerly("credential"),
        );
        return { name: g.name, certPem, privateKeyPem, notAfter, thumbprint: certPem.apply((pem) => inspectCertificate(pem).thumbprint) };
    }

    private warnAboutExpiry(generation: string, f: CertificateFacts, active: boolean, renewBeforeDays: number, now: Date): void {
        const status = expiryStatus(f.notAfter, now, active ? renewBeforeDays : 0);
        const label = `${active ? "The active" : "The older"} certificate "${generation}" (thumbprint ${f.thumbprint})`;
        if (status.state === "expired" && active) void pulumi.log.error(describeExpiry(label, status), this);
        else if (status.state === "expired") void pulumi.log.warn(describeRetirement(label, status), this);
        else if (status.state === "renew") void pulumi.log.warn(describeExpiry(label, status), this);
    }
}

/** The outputs that come from the application, its own or the home's (all absent without one, but `certificates`: []). */
type ApplicationOutputs = Pick<
    StackOutputValues,
    | "appId"
    | "applicationObjectId"
    | "multitenant"
    | "home"
    | "adminConsentUrl"
    | "servicePrincipalObjectId"
    | "thumbprint"
    | "certificateNotAfter"
    | "certificatePem"
    | "privateKeyPem"
    | "certificates"
    | "renewBeforeDays"
    | "keyVaultSecretUri"
    | "connectCommand"
    | "connectCommandCrossPlatform"
    | "connectCommandAccessToken"
    | "connectIppsCommand"
    | "federatedCredentials"
>;

const NO_APPLICATION: ApplicationOutputs = {
    appId: undefined,
    applicationObjectId: undefined,
    multitenant: undefined,
    home: undefined,
    adminConsentUrl: undefined,
    servicePrincipalObjectId: undefined,
    thumbprint: undefined,
    certificateNotAfter: undefined,
    certificatePem: undefined,
    privateKeyPem: undefined,
    certificates: [],
    renewBeforeDays: undefined,
    keyVaultSecretUri: undefined,
    connectCommand: undefined,
    connectCommandCrossPlatform: undefined,
    connectCommandAccessToken: undefined,
    connectIppsCommand: undefined,
    federatedCredentials: undefined,
};

interface Generation {
    readonly name: string;
    readonly certPem: pulumi.Output<string>;
    readonly privateKeyPem: pulumi.Output<string> | undefined;
    readonly notAfter: pulumi.Output<string>;
    readonly thumbprint: pulumi.Output<string>;
}

/** An API whose Exchange.ManageAsApp is granted, as found in this tenant. */
interface Api extends ExchangeApi {
    /** Object id of the API's service principal in this tenant. */
    readonly objectId: pulumi.Output<string>;
    readonly manageAsAppRoleId: pulumi.Output<string>;
}

function grantedApis(cloud: Cloud): readonly ExchangeApi[] {
    return cloud.exchangeOnlineProtection ? EXCHANGE_APIS : [EXCHANGE_ONLINE_API];
}

/**
 * Finds the API's service principal in the tenant and the id of its Exchange.ManageAsApp app role,
 * turning the provider's failure into an actionable message.
 */
function lookUpApi(api: ExchangeApi, parent: pulumi.Resource): Api {
    const found = azuread.getServicePrincipal({ clientId: api.appId }, { parent }).then(
        (sp) => ({ objectId: sp.objectId, appRoleIds: sp.appRoleIds }),
        (e: unknown) => {
            throw new pulumi.ResourceError(
                `Could not read the "${api.title}" service principal (appId ${api.appId}) in this tenant. ` +
                    (api.suffix === ""
                        ? "It exists in every tenant with an Exchange Online subscription; without one there is nothing to grant. "
                        : "GCC High and DoD tenants need its Exchange.ManageAsApp as well as Exchange Online's; check exo-cba:cloud. ") +
                    "If it exists, check that the deploying identity may read service principals " +
                    `(Application.Read.All). Provider said: ${errorText(e)}`,
                parent,
                true,
            );
        },
    );
    return {
        ...api,
        objectId: pulumi.output(found.then((sp) => sp.objectId)),
        manageAsAppRoleId: pulumi.output(
            found.then(({ appRoleIds: ids }) => {
                const id = ids[MANAGE_AS_APP_ROLE];
                if (id === undefined) {
                    throw new pulumi.ResourceError(
                        `The tenant's ${api.title} service principal publishes no "${MANAGE_AS_APP_ROLE}" app role ` +
                            `(it has: ${Object.keys(ids).sort().join(", ") || "none"}). App-only Exchange Online PowerShell is not available here.`,
                        parent,
                        true,
                    );
                }
                return id;
            }),
        ),
    };
}

function initialDomain(domains: readonly { domainName: string; initial: boolean }[]): string {
    const initial = domains.find((d) => d.initial);
    if (!initial) {
        throw new pulumi.RunError(
            "The tenant reported no initial domain (*.onmicrosoft.com, *.onmicrosoft.us, ...). Set exo-cba:organization to the tenant's initial domain.",
        );
    }
    // Graph's answer goes into every connect line: it must be a domain name, whatever the tenant (or a
    // proxy in between) says.
    const hint = organizationHint(initial.domainName);
    if (hint !== undefined) {
        throw new pulumi.RunError(
            `The tenant reported the initial domain ${show(initial.domainName)}, which is not a bare domain name: ${hint} ` +
                "Set exo-cba:organization to the tenant's initial domain.",
        );
    }
    return initial.domainName;
}

function errorText(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

function slug(text: string): string {
    return text.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

/**
 * Writes the certificate and key into the vault as one secret (keyVaultSecret.ts) and returns the
 * versionless secret URI. The module is required here, on first use: a static import would load
 * azure-native for every stack, and an import() cannot be awaited inside a component's constructor.
 */
function deliverToKeyVault(
    name: string,
    args: KeyVaultCertificateSecretArgs,
    opts: pulumi.ComponentResourceOptions,
): pulumi.Output<string> {
    const { KeyVaultCertificateSecret } = require("./keyVaultSecret.ts") as KeyVaultModule;
    return new KeyVaultCertificateSecret(name, args, opts).secretUri;
}
