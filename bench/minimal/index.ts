/**
 * The benchmark's baseline: the resources and invokes exo-cba registers for the dev stack, written out
 * by hand with no component, validation or configuration. Not a program to deploy.
 */
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

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
const app = new azuread.ApplicationRegistration("exo-app", { displayName: NAME, signInAudience: "AzureADMyOrg" });
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

export const appId = app.clientId;
export const tenantId = client.tenantId;
export const organization = domains.domains.apply((d) => d[0]?.domainName ?? "");
export const certificatePem = cert.certPem;
export const certificateNotAfter = cert.validityEndTime;
export const privateKeyPem = pulumi.secret(key.privateKeyPem);
