/**
 * Key Vault delivery: the active certificate and its key as one PEM secret in an existing vault,
 * readable by the listed identities only, following rotation.
 */
import assert from "node:assert/strict";
import { createPrivateKey } from "node:crypto";
import { before, describe, it } from "node:test";
import { AUTOMATION_IDENTITY_ID, KEY_VAULT_ID, SUBSCRIPTION_ID } from "./support/contoso.mts";
import {
    allText,
    isSecret,
    ofType,
    only,
    openssl,
    opensslNotAfter,
    opensslThumbprint,
    rawConfig,
    type Run,
    run,
    stackConfig,
    steps,
    str,
} from "./support/harness.mts";

const SECRET = "azure-native:keyvault:Secret";
const READER = "azure-native:authorization:RoleAssignment";
const PROVIDER = "pulumi:providers:azure-native";
/** "Key Vault Secrets User", learn.microsoft.com/azure/role-based-access-control/built-in-roles/security */
const KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6";

describe("Key Vault delivery", () => {
    const config = stackConfig({ "exo-cba:keyVaultId": KEY_VAULT_ID, "exo-cba:keyVaultReaderPrincipalIds": [AUTOMATION_IDENTITY_ID] });
    let ev: Run;
    let outputs: Record<string, unknown>;
    before(async () => {
        ev = await run(config, { recordModules: true });
        assert.equal(ev.failed, false, `${ev.errors.join("\n")}\n${ev.stderr}`);
        outputs = ev.outputs ?? {};
    });

    it("loads Key Vault delivery and @pulumi/azure-native's modules for the vault, which the default stack does not", () => {
        const modules = ev.modules ?? [];
        assert.ok(modules.includes("components/keyVaultSecret.ts"));
        for (const sub of ["keyvault", "authorization"]) {
            assert.ok(
                modules.some((m) => m.startsWith(`node_modules/@pulumi/azure-native/${sub}/`)),
                sub,
            );
        }
    });

    it("writes one secret into the configured vault, through a provider for the vault's subscription", () => {
        const secret = only(ev, SECRET);
        assert.equal(secret.inputs["resourceGroupName"], "rg-exo-automation");
        assert.equal(secret.inputs["vaultName"], "kv-contoso-exo");
        assert.equal(secret.inputs["secretName"], "exo-cba-test");
        const provider = only(ev, PROVIDER);
        assert.equal(provider.inputs["subscriptionId"], SUBSCRIPTION_ID);
        assert.ok(secret.provider.startsWith(`${provider.urn}::`), "the secret must use that provider");
        assert.equal(secret.failure, undefined);
    });
    it("holds the certificate and its key as a PEM bundle, marked secret", () => {
        const properties = only(ev, SECRET).inputs["properties"] as Record<string, never>;
        assert.ok(isSecret(properties["value"]), "the secret value must be a Pulumi secret");
        const bundle = str(properties["value"]);
        assert.equal(properties["contentType"], "application/x-pem-file");
        assert.equal(opensslThumbprint(bundle), outputs["thumbprint"]);
        assert.equal(
            openssl(["pkey", "-pubout"], bundle),
            openssl(["x509", "-noout", "-pubkey"], bundle),
            "the key must belong to the certificate",
        );
        assert.equal(createPrivateKey(bundle).asymmetricKeyType, "rsa");
    });
    it("expires with the certificate and is tagged with thumbprint and AppId", () => {
        const secret = only(ev, SECRET);
        const attributes = (secret.inputs["properties"] as Record<string, Record<string, unknown>>)["attributes"];
        const notAfter = opensslNotAfter(String(outputs["certificatePem"]));
        assert.equal(attributes["expires"], notAfter.getTime() / 1000);
        assert.equal(attributes["enabled"], true);
        assert.deepEqual(secret.inputs["tags"], { appId: outputs["appId"], thumbprint: outputs["thumbprint"], "managed-by": "exo-cba" });
    });
    it("lets each listed identity read that secret only, with Key Vault Secrets User", () => {
        const reader = only(ev, READER);
        assert.equal(reader.inputs["principalId"], AUTOMATION_IDENTITY_ID);
        assert.equal(
            reader.inputs["principalType"],
            "ServicePrincipal",
            'a managed identity; the SDK\'s default "User" is refused by Azure',
        );
        assert.equal(reader.inputs["scope"], only(ev, SECRET).id);
        assert.equal(
            reader.inputs["roleDefinitionId"],
            `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${KEY_VAULT_SECRETS_USER}`,
        );
        assert.match(str(reader.inputs["roleAssignmentName"]), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });
    it("exports the versionless secret URI", () => {
        assert.equal(outputs["keyVaultSecretUri"], "https://kv-contoso-exo.vault.azure.net/secrets/exo-cba-test");
    });
    it("never shows the key outside the secret", () => {
        const key = str(outputs["privateKeyPem"] as never);
        for (const line of key.split("\n").slice(1, -2)) assert.ok(!allText(ev).includes(line));
    });
    it("changes nothing when run again", async () => {
        const again = await run(config, { prior: ev });
        assert.deepEqual(steps(again), []);
    });
    it("follows rotation: the new certificate becomes a new version of the same secret", async () => {
        const rotated = await run(
            stackConfig({
                "exo-cba:keyVaultId": KEY_VAULT_ID,
                "exo-cba:keyVaultReaderPrincipalIds": [AUTOMATION_IDENTITY_ID],
                "exo-cba:certificates": ["initial", "next"],
            }),
            { prior: ev },
        );
        assert.equal(rotated.failed, false, rotated.errors.join("\n"));
        assert.deepEqual(steps(rotated), [
            "create exo-next-cert",
            "create exo-next-credential",
            "create exo-next-key",
            "update exo-keyvault-secret",
        ]);
        const bundle = str((only(rotated, SECRET).inputs["properties"] as Record<string, never>)["value"]);
        assert.equal(opensslThumbprint(bundle), rotated.outputs?.["thumbprint"]);
        assert.notEqual(rotated.outputs?.["thumbprint"], outputs["thumbprint"]);
        assert.equal(ofType(rotated, READER)[0]?.step, "same", "readers keep their assignment");
    });
});

describe("Key Vault settings that are refused", () => {
    it("a vault with a certificate whose key the stack does not have, and a malformed id", async () => {
        const ev = await run(
            rawConfig({
                "exo-cba:keyVaultId": "kv-contoso-exo",
                "exo-cba:certificatePem": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "exo-cba:keyVaultReaderPrincipalIds": '["automation-account"]',
            }),
        );
        assert.equal(ev.failed, true);
        assert.deepEqual(
            ev.recording.resources.map((r) => r.type),
            ["pulumi:pulumi:Stack"],
        );
        const message = ev.errors.join("\n");
        assert.match(message, /exo-cba:keyVaultId must be the resource id of an existing vault, \/subscriptions\/.*az keyvault show/);
        assert.match(
            message,
            /exo-cba:keyVaultId needs the certificate's private key, and a brought certificate keeps its key outside the stack/,
        );
        assert.match(message, /exo-cba:keyVaultReaderPrincipalIds item 0 \("automation-account"\) is not an object id/);
    });
    it("readers or a secret name without a vault", async () => {
        const ev = await run(
            rawConfig({
                "exo-cba:keyVaultReaderPrincipalIds": JSON.stringify([AUTOMATION_IDENTITY_ID]),
                "exo-cba:keyVaultSecretName": "x",
            }),
        );
        assert.equal(ev.failed, true);
        assert.match(ev.errors.join("\n"), /exo-cba:keyVaultReaderPrincipalIds has no effect without exo-cba:keyVaultId/);
        assert.match(ev.errors.join("\n"), /exo-cba:keyVaultSecretName has no effect without exo-cba:keyVaultId/);
    });
});
