import { loadSettings } from "./components/config.ts";
import { ExchangeAppOnlyAccess } from "./components/exchangeAppOnlyAccess.ts";

const access = new ExchangeAppOnlyAccess("exo", loadSettings());

export const appId = access.appId;
export const thumbprint = access.thumbprint;
export const tenantId = access.tenantId;
export const organization = access.organization;
export const servicePrincipalObjectId = access.servicePrincipalObjectId;
export const applicationObjectId = access.applicationObjectId;
export const certificateNotAfter = access.certificateNotAfter;
export const certificatePem = access.certificatePem;
export const connectCommand = access.connectCommand;
export const connectCommandCrossPlatform = access.connectCommandCrossPlatform;
export const directoryRoles = access.directoryRoles;
export const certificates = access.certificates;
export const renewBeforeDays = access.renewBeforeDays;
// Self-signed mode only. A bring-your-own stack has no key, and exporting undefined would make
// Pulumi warn on every run, so the output is added only when there is one.
if (access.privateKeyPem) module.exports.privateKeyPem = access.privateKeyPem;
// Only with Key Vault delivery (exo-cba:keyVaultId).
if (access.keyVaultSecretUri) module.exports.keyVaultSecretUri = access.keyVaultSecretUri;
