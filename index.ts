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
// Outputs that exist in some configurations only: exporting undefined would make Pulumi warn on
// every run, so they are added only when there is a value.
const optionalOutputs = module.exports as Record<string, unknown>;
// Self-signed active certificate only: a brought certificate's key is not in the stack.
if (access.privateKeyPem) optionalOutputs["privateKeyPem"] = access.privateKeyPem;
// Key Vault delivery (exo-cba:keyVaultId) only.
if (access.keyVaultSecretUri) optionalOutputs["keyVaultSecretUri"] = access.keyVaultSecretUri;
