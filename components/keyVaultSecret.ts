import type * as Authorization from "@pulumi/azure-native/authorization/index.js";
import type * as KeyVault from "@pulumi/azure-native/keyvault/index.js";
import type * as AzureNativeProvider from "@pulumi/azure-native/provider.js";
import * as pulumi from "@pulumi/pulumi";
import { createRequire } from "node:module";
import { createHash, createPrivateKey } from "node:crypto";
import { type KeyVaultCertificateSecretArgs, type KeyVaultModule, type KeyVaultRef, parseKeyVaultId } from "./keyVault.ts";

// azure-native's submodules through require, as CommonJS loads them: an ES module import of a package reads
// every export of it, which runs each lazily loaded module (FACTS.md, Pulumi nodejs runtime), and Node refuses
// the directory imports these are in an ES module.
const require = createRequire(import.meta.url);
const authorization = require("@pulumi/azure-native/authorization/index.js") as typeof Authorization;
const keyvault = require("@pulumi/azure-native/keyvault/index.js") as typeof KeyVault;
const { Provider } = require("@pulumi/azure-native/provider.js") as typeof AzureNativeProvider;

/**
 * Built-in Azure role "Key Vault Secrets User": read secret contents.
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security#key-vault-secrets-user
 */
export const KEY_VAULT_SECRETS_USER_ROLE_ID = "4633458b-17de-408a-b874-0445c86b69e6";

/**
 * The active certificate and its private key as one Key Vault secret (a PEM bundle, as Key Vault
 * stores certificates), for runners that read it with a managed identity instead of a file.
 */
export class KeyVaultCertificateSecret extends pulumi.ComponentResource {
    /** Versionless secret URI: always the newest version. */
    public readonly secretUri: pulumi.Output<string>;

    constructor(name: string, args: KeyVaultCertificateSecretArgs, opts?: pulumi.ComponentResourceOptions) {
        super("exo-cba:keyvault:CertificateSecret", name, {}, opts);
        const vault: KeyVaultRef = parseKeyVaultId(args.keyVaultId);
        // The vault's subscription decides, whatever subscription the CLI session defaults to.
        const provider = new Provider(`${name}-provider`, { subscriptionId: vault.subscriptionId }, { parent: this });

        const bundle = pulumi
            .all([args.privateKeyPem, args.certificatePem])
            .apply(([key, cert]) => `${createPrivateKey(key).export({ type: "pkcs8", format: "pem" }).toString()}${cert.trimEnd()}\n`);
        const secret = new keyvault.Secret(
            `${name}-secret`,
            {
                resourceGroupName: vault.resourceGroupName,
                vaultName: vault.vaultName,
                secretName: args.secretName,
                properties: {
                    value: pulumi.secret(bundle),
                    contentType: "application/x-pem-file",
                    attributes: {
                        enabled: true,
                        notBefore: pulumi.output(args.notBefore).apply(epochSeconds),
                        expires: pulumi.output(args.notAfter).apply(epochSeconds),
                    },
                },
                tags: { thumbprint: args.thumbprint, appId: args.appId, "managed-by": "exo-cba" },
            },
            { parent: this, provider },
        );

        for (const principalId of args.readerPrincipalIds ?? []) {
            new authorization.RoleAssignment(
                `${name}-reader-${principalId.toLowerCase()}`,
                {
                    // A name derived from what the assignment is, so a re-run never makes a second one.
                    roleAssignmentName: stableGuid(
                        `${args.keyVaultId}/secrets/${args.secretName}|${principalId.toLowerCase()}|${KEY_VAULT_SECRETS_USER_ROLE_ID}`,
                    ),
                    scope: secret.id,
                    roleDefinitionId: `/subscriptions/${vault.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER_ROLE_ID}`,
                    principalId,
                    // The SDK would default to "User", which Azure refuses for a managed identity.
                    principalType: "ServicePrincipal",
                    description: `Reads the Exchange Online app-only certificate (${args.secretName}).`,
                },
                { parent: this, provider },
            );
        }

        this.secretUri = secret.properties.secretUri;
        this.registerOutputs({ secretUri: this.secretUri });
    }
}

// keyVault.ts deliverToKeyVault() loads this file on demand through the KeyVaultModule shape.
({ KeyVaultCertificateSecret }) satisfies KeyVaultModule;

function epochSeconds(rfc3339: string): number {
    return Math.floor(Date.parse(rfc3339) / 1000);
}

/** A GUID derived from `text` (the hash's bytes shaped as a version-5-style UUID). */
function stableGuid(text: string): string {
    const h = createHash("sha1").update(text).digest("hex");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}
