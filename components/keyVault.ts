/**
 * Key Vault delivery without azure-native: vault resource ids, secret names, and what the delivering
 * component (keyVaultSecret.ts) takes and exports. That file imports @pulumi/azure-native, whose type
 * declarations run to half a million lines, so the stack's component requires it only when it delivers to
 * a vault (exchangeAppOnlyAccess.ts deliverToKeyVault).
 */
import type * as pulumi from "@pulumi/pulumi";
import { GUID_PATTERN } from "./microsoft.ts";

export interface KeyVaultCertificateSecretArgs {
    /** ARM resource id of an existing vault that uses Azure RBAC. */
    readonly keyVaultId: string;
    readonly secretName: string;
    readonly certificatePem: pulumi.Input<string>;
    readonly privateKeyPem: pulumi.Input<string>;
    /** Certificate NotAfter (RFC 3339): the secret expires with the certificate. */
    readonly notAfter: pulumi.Input<string>;
    readonly notBefore: pulumi.Input<string>;
    readonly thumbprint: pulumi.Input<string>;
    readonly appId: pulumi.Input<string>;
    /**
     * Object ids of managed identities or service principals granted "Key Vault Secrets User" on this
     * secret only (e.g. an Automation account's identity).
     * @default none
     */
    readonly readerPrincipalIds?: readonly string[];
}

/** What keyVaultSecret.ts exports (checked there with `satisfies`). */
export interface KeyVaultModule {
    readonly KeyVaultCertificateSecret: new (
        name: string,
        args: KeyVaultCertificateSecretArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) => pulumi.ComponentResource & { readonly secretUri: pulumi.Output<string> };
}

export interface KeyVaultRef {
    readonly subscriptionId: string;
    readonly resourceGroupName: string;
    readonly vaultName: string;
}

/**
 * /subscriptions/<GUID>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>. A group name is 1 to
 * 90 letters, digits, underscores, parentheses, hyphens and periods, not ending in a period (so never "." or
 * ".."); a vault name 3 to 24 letters, digits and hyphens, starting with a letter.
 * https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules
 */
const VAULT_ID = new RegExp(
    `^/subscriptions/(${GUID_PATTERN})/resourceGroups/([-\\w.()]{0,89}[-\\w()])/providers/Microsoft\\.KeyVault/vaults/([a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9])$`,
    "i",
);

/** Parses "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>", or returns undefined. */
export function tryParseKeyVaultId(id: string): KeyVaultRef | undefined {
    // No trimming: the id is also hashed into the role assignment's name, so " /subscriptions/…" would be another vault.
    const m = VAULT_ID.exec(id);
    if (!m) return undefined;
    return { subscriptionId: m[1].toLowerCase(), resourceGroupName: m[2], vaultName: m[3] };
}

export function parseKeyVaultId(id: string): KeyVaultRef {
    const ref = tryParseKeyVaultId(id);
    if (!ref) throw new Error("not a Key Vault resource id");
    return ref;
}

/** Key Vault object names: 1 to 127 letters, digits and hyphens. */
export const SECRET_NAME = /^[a-zA-Z0-9-]{1,127}$/;

/** The secret name used when none is configured: from the project and stack, sanitised. */
export function defaultSecretName(project: string, stack: string): string {
    return `${project}-${stack}`.replace(/[^a-zA-Z0-9-]/g, "-").slice(0, 127);
}
