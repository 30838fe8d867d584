/** The rules of Key Vault delivery: the vault's id, the secret's name and its readers. Loaded on first use (loadRules.ts). */
import { SECRET_NAME, tryParseKeyVaultId } from "../keyVault.ts";
import { type Settings, type Report } from "../settings.ts";
import { checkObjectIds } from "./values.ts";
import { generationsOf } from "../rotation.ts";
import { show } from "../redaction.ts";

/** Key Vault delivery: the vault's id, the secret's name and its readers. */
export function checkKeyVault(s: Settings, err: Report): void {
    if (s.keyVaultId !== undefined && s.certificates !== undefined && s.certificates.length === 0) {
        err("keyVaultId", "delivers the active certificate, and exo-cba:certificates is empty: this stack has no certificate to deliver.");
        return;
    }
    if (s.keyVaultId === undefined) {
        if (s.keyVaultSecretName !== undefined)
            err("keyVaultSecretName", "has no effect without exo-cba:keyVaultId; set the vault or remove this key.");
        if (s.keyVaultReaderPrincipalIds !== undefined) {
            err("keyVaultReaderPrincipalIds", "has no effect without exo-cba:keyVaultId; set the vault or remove this key.");
        }
        return;
    }
    if (!tryParseKeyVaultId(s.keyVaultId)) {
        err(
            "keyVaultId",
            `must be the resource id of an existing vault, /subscriptions/<subscription id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name> (got ${show(s.keyVaultId)}). ` +
                "Find it with: az keyvault show --name <vault> --query id --output tsv",
        );
    }
    const generations = generationsOf(s);
    const active = generations[generations.length - 1];
    if (active?.certificatePem !== undefined) {
        err(
            "keyVaultId",
            "needs the certificate's private key, and a brought certificate keeps its key outside the stack. Import the certificate " +
                "into the vault yourself (az keyvault certificate import), or let the stack generate the active certificate.",
        );
    }
    if (s.keyVaultSecretName !== undefined && !SECRET_NAME.test(s.keyVaultSecretName)) {
        err("keyVaultSecretName", `must be 1 to 127 letters, digits or hyphens (got ${show(s.keyVaultSecretName)}).`);
    }
    if (s.keyVaultReaderPrincipalIds !== undefined) checkObjectIds("keyVaultReaderPrincipalIds", s.keyVaultReaderPrincipalIds, err);
}
