/**
 * Key Vault resource ids. Pure.
 */

export interface KeyVaultRef {
    readonly subscriptionId: string;
    readonly resourceGroupName: string;
    readonly vaultName: string;
}

const VAULT_ID =
    /^\/subscriptions\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/resourceGroups\/([-\w._()]{1,90})\/providers\/Microsoft\.KeyVault\/vaults\/([a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9])$/i;

/** Parses "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<name>", or returns undefined. */
export function tryParseKeyVaultId(id: string): KeyVaultRef | undefined {
    const m = VAULT_ID.exec(id.trim());
    if (!m) return undefined;
    return { subscriptionId: m[1]!.toLowerCase(), resourceGroupName: m[2]!, vaultName: m[3]! };
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
