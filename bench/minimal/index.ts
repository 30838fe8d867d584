/**
 * The benchmark's baseline: the resources (with the same inputs), invokes and stack outputs exo-cba has for
 * the dev stack, written out by hand with no component, validation or configuration. The bench checks that
 * both register and export the same before it measures. Not a program to deploy.
 *
 * An ES module, loaded natively or by Pulumi's default (ts-node, type-checked) as the bench chooses; the
 * provider packages come through require, as the program's do, so that both load the same modules of them.
 */
import type * as AzureAD from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type * as TLS from "@pulumi/tls";
import { X509Certificate } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const azuread = require("@pulumi/azuread") as typeof AzureAD;
const tls = require("@pulumi/tls") as typeof TLS;

const EXCHANGE_ONLINE = "00000002-0000-0ff1-ce00-000000000000";
const EXCHANGE_ADMINISTRATOR = "29232cdf-9323-42fd-ade2-1d097af3e4de";
const NAME = "EXO Reporting Script";

const client = azuread.getClientConfigOutput();
const exchange = azuread.getServicePrincipalOutput({ clientId: EXCHANGE_ONLINE });
const manageAsApp = exchange.appRoleIds.apply((ids) => ids["Exchange.ManageAsApp"] ?? "");
const domains = azuread.getDomainsOutput({ onlyInitial: true });

const key = new tls.PrivateKey("exo-initial-key", { algorithm: "RSA", rsaBits: 2048 });
const cert = new tls.SelfSignedCert("exo-initial-cert", {
    privateKeyPem: key.privateKeyPem,
    subject: { commonName: NAME },
    validityPeriodHours: 365 * 24,
    allowedUses: ["digitalSignature", "clientAuth"],
});
const app = new azuread.ApplicationRegistration("exo-app", {
    displayName: NAME,
    signInAudience: "AzureADMyOrg",
    notes: `Certificate-based app-only access for Exchange Online PowerShell. Managed by Pulumi project ${pulumi.getProject()}, stack ${pulumi.getStack()}: change it there, not in the portal.`,
});
new azuread.ApplicationOwner("exo-owner-deployer", { applicationId: app.id, ownerObjectId: client.objectId });
new azuread.ApplicationCertificate("exo-initial-credential", {
    applicationId: app.id,
    type: "AsymmetricX509Cert",
    value: cert.certPem,
    endDate: cert.validityEndTime,
});
new azuread.ApplicationApiAccess("exo-api-access", { applicationId: app.id, apiClientId: EXCHANGE_ONLINE, roleIds: [manageAsApp] });
const sp = new azuread.ServicePrincipal("exo-sp", { clientId: app.clientId, owners: [client.objectId] });
new azuread.AppRoleAssignment("exo-consent", {
    appRoleId: manageAsApp,
    principalObjectId: sp.objectId,
    resourceObjectId: exchange.objectId,
});
new azuread.DirectoryRoleAssignment("exo-role-exchange-administrator", {
    roleId: EXCHANGE_ADMINISTRATOR,
    principalObjectId: sp.objectId,
    directoryScopeId: "/",
});

const facts = cert.certPem.apply((pem) => {
    const x = new X509Certificate(pem);
    const time = (d: Date) => d.toISOString().replace(".000Z", "Z");
    return { thumbprint: x.fingerprint.replaceAll(":", ""), notBefore: time(x.validFromDate), notAfter: time(x.validToDate) };
});
const organization = domains.domains.apply((d) => d.find((x) => x.initial)?.domainName ?? "");

export const appId = app.clientId;
export const applicationObjectId = app.objectId;
export const servicePrincipalObjectId = sp.objectId;
export const tenantId = client.tenantId;
export { organization };
export const cloud = "global";
export const exchangeEnvironmentName = "O365Default";
export const thumbprint = facts.thumbprint;
export const certificateNotAfter = facts.notAfter;
export const certificatePem = cert.certPem;
export const privateKeyPem = pulumi.secret(key.privateKeyPem);
export const certificates = facts.apply((f) => [{ name: "initial", ...f, active: true, selfSigned: true }]);
export const renewBeforeDays = 30;
export const connectCommand = pulumi.interpolate`Connect-ExchangeOnline -CertificateThumbprint '${facts.thumbprint}' -AppId '${app.clientId}' -Organization '${organization}'`;
export const connectCommandCrossPlatform = pulumi.interpolate`Connect-ExchangeOnline -CertificateFilePath '<path-to-certificate.pfx>' -CertificatePassword (Read-Host -AsSecureString -Prompt "PFX password") -AppId '${app.clientId}' -Organization '${organization}'`;
export const directoryRoles = [{ name: "Exchange Administrator", templateId: EXCHANGE_ADMINISTRATOR }];
