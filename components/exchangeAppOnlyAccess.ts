import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { type CertificateFacts, inspectCertificate } from "./certificate.ts";
import { connectCommand, connectCommandCrossPlatform } from "./connect.ts";
import { describeExpiry, describeRetirement, expiryStatus } from "./expiry.ts";
import { defaultSecretName, deliverToKeyVault } from "./keyVault.ts";
import { EXCHANGE_ONLINE_APP_ID, MANAGE_AS_APP_ROLE, findRole } from "./microsoft.ts";
import type { RegisteredCertificate, RoleOutput, StackOutputValues } from "./outputs.ts";
import { type SettingsInput, describeProblems, withDefaults } from "./settings.ts";
import { type ResolvedGeneration, checkSettings, generationsOf } from "./validation.ts";

/**
 * The component's arguments are the stack's settings (components/settings.ts declares each one, its
 * default and what is allowed); every one is optional.
 */
export type ExchangeAppOnlyAccessArgs = SettingsInput;

/** Self-signed certificate usages: the key signs Entra client assertions (RFC 7523) for client authentication. */
const CERT_USES = ["digitalSignature", "clientAuth"];

/**
 * Certificate-based app-only access to Exchange Online PowerShell for one tenant: key and certificate,
 * Entra application with that certificate as credential, the Exchange.ManageAsApp permission with admin
 * consent, its service principal and the directory roles.
 * https://learn.microsoft.com/powershell/exchange/app-only-auth-powershell-v2
 */
export class ExchangeAppOnlyAccess extends pulumi.ComponentResource {
    /** Every stack output (components/outputs.ts); optional ones are undefined when the configuration has none. */
    public readonly outputs: StackOutputValues;

    constructor(name: string, args: ExchangeAppOnlyAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        const settings = withDefaults(args);
        // The clock is read once, for the rules and the expiry warnings; no resource input depends on it.
        const now = new Date();
        // Validate before super(): a bad argument must not register anything.
        const { errors, warnings } = checkSettings(settings, now);
        if (errors.length > 0) {
            throw new pulumi.RunError(describeProblems(`Invalid arguments for ExchangeAppOnlyAccess "${name}"`, errors));
        }
        super("exo-cba:exchange:AppOnlyAccess", name, {}, opts);
        for (const w of warnings) void pulumi.log.warn(`${w.key} ${w.message}`, this);

        // Invokes in promise form, narrowed at once: lifting whole result types into Outputs costs more
        // type-checking than the rest of the program.
        const client = azuread.getClientConfig({ parent: this });
        const deployerObjectId = pulumi.output(client.then((c) => c.objectId));

        // 1. Application, owned by the configured principals or by whoever runs Pulumi.
        const app = new azuread.ApplicationRegistration(
            `${name}-app`,
            {
                displayName: settings.displayName,
                signInAudience: "AzureADMyOrg",
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
        const generations = generationsOf(settings).map((g, i) => this.generation(name, g, i === 0, settings.displayName, app));
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
        const renewBeforeDays = settings.renewBeforeDays;
        for (const g of generations) {
            g.certPem.apply((pem) => this.warnAboutExpiry(g.name, inspectCertificate(pem), g === active, renewBeforeDays, now));
        }

        // 3. Key Vault delivery (optional) follows the active certificate: a rotation writes a new secret version.
        const keyVaultSecretUri =
            settings.keyVaultId !== undefined && active.privateKeyPem !== undefined
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
        const roles = settings.roles.flatMap((roleName) => findRole(roleName) ?? []); // checkSettings refused unknown names
        for (const role of roles) {
            new azuread.DirectoryRoleAssignment(
                `${name}-role-${slug(role.name)}`,
                { roleId: role.templateId, principalObjectId: sp.objectId, directoryScopeId: "/" },
                { parent: this },
            );
        }

        const directoryRoles = pulumi.output(roles.map((r): RoleOutput => ({ name: r.name, templateId: r.templateId })));
        const organization = settings.organization
            ? pulumi.output(settings.organization)
            : pulumi.output(azuread.getDomains({ onlyInitial: true }, { parent: this }).then((r) => initialDomain(r.domains)));
        const connectValues = pulumi.output({ appId: app.clientId, organization, thumbprint: active.thumbprint });

        this.outputs = {
            appId: app.clientId,
            applicationObjectId: app.objectId,
            servicePrincipalObjectId: sp.objectId,
            tenantId: pulumi.output(client.then((c) => c.tenantId)),
            organization,
            thumbprint: active.thumbprint,
            certificateNotAfter: active.notAfter,
            certificatePem: active.certPem,
            privateKeyPem: active.privateKeyPem,
            certificates,
            renewBeforeDays: pulumi.output(renewBeforeDays),
            keyVaultSecretUri,
            connectCommand: connectValues.apply(connectCommand),
            connectCommandCrossPlatform: connectValues.apply((v) => connectCommandCrossPlatform(v)),
            directoryRoles,
        };
        this.registerOutputs(this.outputs);
    }

    /**
     * One certificate generation: key and self-signed certificate (unless supplied) and the
     * application credential. The first generation answers to the names the single-certificate
     * layout used, so stacks deployed before generations existed keep their certificate.
     */
    private generation(
        name: string,
        g: ResolvedGeneration,
        first: boolean,
        displayName: string,
        app: azuread.ApplicationRegistration,
    ): Generation {
        const prefix = `${name}-${g.name}`;
        const formerly = (role: string): pulumi.CustomResourceOptions => ({
            parent: this,
            ...(first ? { aliases: [{ name: `${name}-${role}` }] } : {}),
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

interface Generation {
    readonly name: string;
    readonly certPem: pulumi.Output<string>;
    readonly privateKeyPem: pulumi.Output<string> | undefined;
    readonly notAfter: pulumi.Output<string>;
    readonly thumbprint: pulumi.Output<string>;
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
        (sp) => ({ objectId: sp.objectId, appRoleIds: sp.appRoleIds }),
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
    return {
        objectId: pulumi.output(found.then((sp) => sp.objectId)),
        manageAsAppRoleId: pulumi.output(
            found.then(({ appRoleIds: ids }) => {
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
        ),
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
