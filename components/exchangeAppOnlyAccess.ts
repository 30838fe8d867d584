import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { type CertificateFacts, inspectCertificate } from "./certificate.ts";
import { connectCommand, connectCommandCrossPlatform } from "./connect.ts";
import { EXCHANGE_ONLINE_APP_ID, MANAGE_AS_APP_ROLE, findRole } from "./microsoft.ts";
import {
    type AccessSettings,
    DEFAULT_ROLES,
    DEFAULT_RSA_BITS,
    DEFAULT_VALIDITY_DAYS,
    checkSettings,
    describeProblems,
} from "./validation.ts";

export interface ExchangeAppOnlyAccessArgs {
    /** Display name of the Entra application; also the certificate's subject CN. */
    readonly displayName: string;
    /**
     * Value for `Connect-ExchangeOnline -Organization`.
     * @default the tenant's initial *.onmicrosoft.com domain, looked up with azuread.getDomains
     */
    readonly organization?: string;
    /**
     * Entra directory roles (portal names) assigned to the application's service principal.
     * @default ["Exchange Administrator"]
     */
    readonly roles?: readonly string[];
    /**
     * Global Administrator in `roles` is refused unless this is true.
     * @default false
     */
    readonly allowGlobalAdministrator?: boolean;
    /**
     * Lifetime of the self-signed certificate, in days (1 to 3650).
     * @default 365
     */
    readonly certValidityDays?: number;
    /**
     * RSA key size of the self-signed certificate: 2048, 3072 or 4096.
     * @default 2048
     */
    readonly certRsaBits?: number;
    /**
     * Bring your own certificate: its public PEM. When set, no key or certificate is generated and
     * the private key never enters Pulumi state.
     * @default unset: a key and self-signed certificate are generated
     */
    readonly certificatePem?: string;
    /**
     * Object ids of the users or service principals that own the application and service principal.
     * @default the identity running Pulumi (azuread.getClientConfig)
     */
    readonly owners?: readonly string[];
}

/** Self-signed certificate usages: the key signs Entra client assertions (RFC 7523) for client authentication. */
const CERT_USES = ["digitalSignature", "clientAuth"];

/**
 * Certificate-based app-only access to Exchange Online PowerShell for one tenant: key and certificate,
 * Entra application with that certificate as credential, the Exchange.ManageAsApp permission with admin
 * consent, its service principal and the directory roles.
 * https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2
 */
export class ExchangeAppOnlyAccess extends pulumi.ComponentResource {
    /** Application (client) id: `Connect-ExchangeOnline -AppId`. */
    public readonly appId: pulumi.Output<string>;
    public readonly applicationObjectId: pulumi.Output<string>;
    public readonly servicePrincipalObjectId: pulumi.Output<string>;
    public readonly tenantId: pulumi.Output<string>;
    /** `Connect-ExchangeOnline -Organization`. */
    public readonly organization: pulumi.Output<string>;
    /** SHA-1 thumbprint of the certificate: 40 upper-case hex characters. */
    public readonly thumbprint: pulumi.Output<string>;
    /** Certificate NotAfter, RFC 3339. */
    public readonly certificateNotAfter: pulumi.Output<string>;
    public readonly certificatePem: pulumi.Output<string>;
    /** PEM private key (secret); undefined when the certificate is brought. */
    public readonly privateKeyPem: pulumi.Output<string> | undefined;
    public readonly connectCommand: pulumi.Output<string>;
    public readonly connectCommandCrossPlatform: pulumi.Output<string>;
    /** The directory roles assigned, by portal name and template id (what access tokens carry as `wids`). */
    public readonly directoryRoles: pulumi.Output<{ name: string; templateId: string }[]>;

    constructor(name: string, args: ExchangeAppOnlyAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        const settings = withDefaults(args);
        // Validate before super(): a bad argument must not register anything.
        const { errors, warnings } = checkSettings(settings, new Date());
        if (errors.length > 0) {
            throw new pulumi.RunError(describeProblems(`Invalid arguments for ExchangeAppOnlyAccess "${name}"`, errors));
        }
        super("exo-cba:exchange:AppOnlyAccess", name, {}, opts);
        for (const w of warnings) void pulumi.log.warn(`${w.key} ${w.message}`, this);

        const client = azuread.getClientConfigOutput({ parent: this });

        // 1. Certificate
        let certPem: pulumi.Output<string>;
        if (settings.certificatePem === undefined) {
            // The tls SDK marks the key outputs secret (additionalSecretOutputs) and the certificate's key input too.
            const key = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: settings.certRsaBits }, { parent: this });
            const cert = new tls.SelfSignedCert(
                `${name}-cert`,
                {
                    privateKeyPem: key.privateKeyPem,
                    subject: { commonName: settings.displayName },
                    validityPeriodHours: settings.certValidityDays * 24,
                    allowedUses: CERT_USES,
                },
                { parent: this },
            );
            certPem = cert.certPem;
            this.privateKeyPem = pulumi.secret(key.privateKeyPem);
        } else {
            certPem = pulumi.output(settings.certificatePem);
            this.privateKeyPem = undefined;
        }
        const facts: pulumi.Output<CertificateFacts> = certPem.apply(inspectCertificate);

        // 2. Application, owned by the configured principals or by whoever runs Pulumi.
        const app = new azuread.ApplicationRegistration(
            `${name}-app`,
            {
                displayName: settings.displayName,
                signInAudience: "AzureADMyOrg",
                notes: pulumi.interpolate`Certificate-based app-only access for Exchange Online PowerShell. Managed by Pulumi project ${pulumi.getProject()}, stack ${pulumi.getStack()}: change it there, not in the portal.`,
            },
            { parent: this },
        );
        const ownerIds: pulumi.Input<string[]> = settings.owners ? [...settings.owners] : client.objectId.apply((id) => [id]);
        if (settings.owners) {
            for (const id of settings.owners) {
                new azuread.ApplicationOwner(`${name}-owner-${id.toLowerCase()}`, { applicationId: app.id, ownerObjectId: id }, { parent: this });
            }
        } else {
            new azuread.ApplicationOwner(`${name}-owner-deployer`, { applicationId: app.id, ownerObjectId: client.objectId }, { parent: this });
        }

        // 3. Credential: Graph refuses an end date later than the certificate's NotAfter, so take it from the certificate.
        new azuread.ApplicationCertificate(
            `${name}-credential`,
            {
                applicationId: app.id,
                type: "AsymmetricX509Cert",
                value: certPem,
                endDate: facts.notAfter,
            },
            { parent: this },
        );

        // 4. API permission, looked up in the tenant rather than hard-coded.
        const exchange = lookUpExchangeOnline(this);
        new azuread.ApplicationApiAccess(
            `${name}-api-access`,
            { applicationId: app.id, apiClientId: EXCHANGE_ONLINE_APP_ID, roleIds: [exchange.manageAsAppRoleId] },
            { parent: this },
        );

        // 5. Service principal
        const sp = new azuread.ServicePrincipal(`${name}-sp`, { clientId: app.clientId, owners: ownerIds }, { parent: this });

        // 6. Admin consent: assign the app role to our service principal on the Exchange Online service principal.
        new azuread.AppRoleAssignment(
            `${name}-consent`,
            { appRoleId: exchange.manageAsAppRoleId, principalObjectId: sp.objectId, resourceObjectId: exchange.objectId },
            { parent: this },
        );

        // 7. Directory roles, by template id (an activated role's object id replaces on every apply:
        //    terraform-provider-azuread #1068, #1581), assigned to the service principal.
        const roles = settings.roles.flatMap((name) => findRole(name) ?? []); // checkSettings refused unknown names
        for (const role of roles) {
            new azuread.DirectoryRoleAssignment(
                `${name}-role-${slug(role.name)}`,
                { roleId: role.templateId, principalObjectId: sp.objectId, directoryScopeId: "/" },
                { parent: this },
            );
        }

        this.directoryRoles = pulumi.output(roles.map((r) => ({ name: r.name, templateId: r.templateId })));
        this.appId = app.clientId;
        this.applicationObjectId = app.objectId;
        this.servicePrincipalObjectId = sp.objectId;
        this.tenantId = client.tenantId;
        this.organization = settings.organization
            ? pulumi.output(settings.organization)
            : azuread.getDomainsOutput({ onlyInitial: true }, { parent: this }).domains.apply(initialDomain);
        this.thumbprint = facts.thumbprint;
        this.certificateNotAfter = facts.notAfter;
        this.certificatePem = certPem;
        this.connectCommand = pulumi
            .all([this.appId, this.organization, this.thumbprint])
            .apply(([appId, organization, thumbprint]) => connectCommand({ appId, organization, thumbprint }));
        this.connectCommandCrossPlatform = pulumi
            .all([this.appId, this.organization])
            .apply(([appId, organization]) => connectCommandCrossPlatform({ appId, organization }));

        this.registerOutputs({
            appId: this.appId,
            applicationObjectId: this.applicationObjectId,
            servicePrincipalObjectId: this.servicePrincipalObjectId,
            tenantId: this.tenantId,
            organization: this.organization,
            thumbprint: this.thumbprint,
            certificateNotAfter: this.certificateNotAfter,
            certificatePem: this.certificatePem,
            privateKeyPem: this.privateKeyPem,
            connectCommand: this.connectCommand,
            connectCommandCrossPlatform: this.connectCommandCrossPlatform,
            directoryRoles: this.directoryRoles,
        });
    }
}

/** Fills in the documented defaults. */
export function withDefaults(args: ExchangeAppOnlyAccessArgs): AccessSettings {
    return {
        displayName: args.displayName,
        organization: args.organization,
        roles: args.roles ?? DEFAULT_ROLES,
        allowGlobalAdministrator: args.allowGlobalAdministrator ?? false,
        certValidityDays: args.certValidityDays ?? DEFAULT_VALIDITY_DAYS,
        certRsaBits: args.certRsaBits ?? DEFAULT_RSA_BITS,
        certificatePem: args.certificatePem,
        owners: args.owners,
    };
}

interface ExchangeOnlineServicePrincipal {
    readonly objectId: pulumi.Output<string>;
    readonly manageAsAppRoleId: pulumi.Output<string>;
}

/**
 * Finds the tenant's "Office 365 Exchange Online" service principal and the id of its
 * Exchange.ManageAsApp app role, turning the provider's failure into an actionable message.
 */
function lookUpExchangeOnline(parent: pulumi.Resource): ExchangeOnlineServicePrincipal {
    const found = azuread.getServicePrincipal({ clientId: EXCHANGE_ONLINE_APP_ID }, { parent }).then(
        (sp) => sp,
        (e: unknown) => {
            throw new pulumi.ResourceError(
                `Could not read the "Office 365 Exchange Online" service principal (appId ${EXCHANGE_ONLINE_APP_ID}) in this tenant. ` +
                    "It exists in every tenant with an Exchange Online subscription; without one there is nothing to grant. " +
                    "If the tenant has Exchange Online, check that the deploying identity may read service principals " +
                    `(Application.Read.All). Provider said: ${errorText(e)}`,
                parent,
                true,
            );
        },
    );
    const sp = pulumi.output(found);
    return {
        objectId: sp.objectId,
        manageAsAppRoleId: sp.appRoleIds.apply((ids) => {
            const id = ids[MANAGE_AS_APP_ROLE];
            if (id === undefined) {
                throw new pulumi.ResourceError(
                    `The tenant's Office 365 Exchange Online service principal publishes no "${MANAGE_AS_APP_ROLE}" app role ` +
                        `(it has: ${Object.keys(ids).sort().join(", ") || "none"}). App-only Exchange Online PowerShell is not available here.`,
                    parent,
                    true,
                );
            }
            return id;
        }),
    };
}

function initialDomain(domains: readonly { domainName: string; initial: boolean }[]): string {
    const initial = domains.find((d) => d.initial);
    if (!initial) {
        throw new pulumi.RunError(
            "The tenant reported no initial *.onmicrosoft.com domain. Set exo-cba:organization to the tenant's initial domain.",
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
