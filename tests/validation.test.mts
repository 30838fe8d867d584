/**
 * The configuration rules, as pure functions: every rule, its error naming the key, and all
 * problems reported together.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "../components/config.ts";
import { type Settings, withDefaults } from "../components/settings.ts";
import { federatedCredentialsOf } from "../components/secretless.ts";
import { checkSettings } from "../components/validation.ts";
import type { RuleModules } from "../components/rules/loadRules.ts";
import * as federatedCredentials from "../components/rules/federatedCredentials.ts";
import * as generations from "../components/rules/generations.ts";
import * as items from "../components/rules/items.ts";
import * as keyVault from "../components/rules/keyVault.ts";
import * as managedIdentities from "../components/rules/managedIdentities.ts";
import * as withoutApplication from "../components/rules/withoutApplication.ts";
import { isBlank } from "../components/rules/values.ts";
import { makeCertificate } from "./support/certificates.mts";

// Each rule module has the signatures validation.ts calls it by (`npm run typecheck` holds them: the loader
// itself sees only the signatures, so that type-checking the program reads no rule it does not load).
({ federatedCredentials, generations, items, keyVault, managedIdentities, withoutApplication }) satisfies RuleModules;

/** The rules take the clock as an argument: every certificate below is dated relative to this instant. */
const NOW = new Date("2026-11-27T12:00:00Z");
/** The defaults (their values are checked against the README in "stack configuration parsing"). */
const VALID: Settings = withDefaults({});

function errorsFor(patch: Partial<Settings>, now = NOW) {
    return checkSettings({ ...VALID, ...patch }, now).errors;
}

function assertRejected(patch: Partial<Settings>, key: string, pattern: RegExp, now = NOW) {
    const errors = errorsFor(patch, now);
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0].key, key);
    assert.match(errors[0].message, pattern);
}

describe("a valid configuration", () => {
    it("passes with the defaults", () => {
        assert.deepEqual(checkSettings(VALID, NOW), { errors: [], warnings: [] });
    });
    it("passes with every supported role at once when Global Administrator is allowed", () => {
        const roles = [
            "Exchange Administrator",
            "Exchange Recipient Administrator",
            "Global Reader",
            "Compliance Administrator",
            "Security Reader",
            "Security Administrator",
            "Helpdesk Administrator",
            "Global Administrator",
        ];
        const result = checkSettings({ ...VALID, roles, allowGlobalAdministrator: true }, NOW);
        assert.deepEqual(result.errors, []);
        assert.equal(result.warnings.length, 1, "Global Administrator still earns a least-privilege warning");
    });
});

describe("displayName", () => {
    it("refuses a blank name", () => assertRejected({ displayName: "   " }, "displayName", /blank/));
    it("refuses more than 120 characters", () => assertRejected({ displayName: "x".repeat(121) }, "displayName", /at most 120/));
    it("accepts exactly 120 characters", () => assert.deepEqual(errorsFor({ displayName: "x".repeat(120) }), []));
    for (const [what, name] of [
        ["a terminal escape", "EXO \u001b[31mred\u001b[0m"],
        ["a line break", "EXO\nReporting"],
        ["a carriage return that rewrites the line", "EXO\rOK"],
        ["a tab", "EXO\tReporting"],
        ["a right-to-left override", "EXO \u202egnitroper"],
        ["a C1 control", "EXO \u009b2J"],
    ] as const) {
        it(`refuses ${what}, which would reach the application's name, the certificate and terminals`, () => {
            const errors = errorsFor({ displayName: name });
            assert.equal(errors.length, 1);
            assert.equal(errors[0].key, "displayName");
            assert.match(errors[0].message, /control characters/);
            // eslint-disable-next-line no-control-regex -- the point is to find control characters
            assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202e]/.test(errors[0].message), "the message carries the control character itself");
        });
    }
    it("accepts letters of any script", () => assert.deepEqual(errorsFor({ displayName: "Exchange-Berichte für Zürich – 東京" }), []));
    it("refuses a name that starts or ends with what shows nothing: a space, a zero-width space, a Hangul filler", () => {
        for (const name of [" EXO", "EXO ", "\u200bEXO", "EXO\u3164", "\u2800EXO"]) {
            const errors = errorsFor({ displayName: name });
            assert.deepEqual(
                errors.map((e) => e.key),
                ["displayName"],
                JSON.stringify(name),
            );
            assert.match(errors[0].message, /^must not start or end with spaces or characters that show nothing/, JSON.stringify(name));
        }
    });
});

describe("organization", () => {
    for (const [value, hint] of [
        ["https://contoso.onmicrosoft.com", /scheme/],
        ["contoso.onmicrosoft.com/path", /path/],
        ["admin@contoso.onmicrosoft.com", /e-mail/],
        ["contoso", /at least one dot/],
        ["conto so.onmicrosoft.com", /spaces/],
        ["-contoso.onmicrosoft.com", /letters, digits/],
        ["10.0.0.1", /IP address/],
    ] as const) {
        it(`refuses ${JSON.stringify(value)}`, () => assertRejected({ organization: value }, "organization", hint));
    }
    it("accepts the initial domain without a warning", () => {
        assert.deepEqual(checkSettings({ ...VALID, organization: "contoso.onmicrosoft.com" }, NOW), { errors: [], warnings: [] });
    });
    it("accepts a vanity domain but warns that Connect-ExchangeOnline needs the initial one", () => {
        const result = checkSettings({ ...VALID, organization: "contoso.com" }, NOW);
        assert.deepEqual(result.errors, []);
        assert.equal(result.warnings[0]?.key, "organization");
        assert.match(result.warnings[0].message, /initial/);
    });
});

describe("roles", () => {
    it("refuses an empty list", () => assertRejected({ roles: [] }, "roles", /at least one role/));
    it("refuses a role Microsoft does not support, listing the allowed ones", () =>
        assertRejected({ roles: ["User Administrator"] }, "roles", /not a role Microsoft supports.*Allowed: "Exchange Administrator"/));
    it("suggests the right case", () =>
        assertRejected({ roles: ["exchange administrator"] }, "roles", /Did you mean "Exchange Administrator"/));
    it("explains the Graph name of Exchange Administrator", () =>
        assertRejected({ roles: ["Exchange Service Administrator"] }, "roles", /portal name "Exchange Administrator"/));
    it("refuses duplicates", () => assertRejected({ roles: ["Global Reader", "Global Reader"] }, "roles", /more than once/));
    it("refuses Global Administrator unless allowGlobalAdministrator is true", () =>
        assertRejected({ roles: ["Global Administrator"] }, "roles", /allowGlobalAdministrator/));
});

describe("certValidityDays and certRsaBits", () => {
    for (const days of [0, -1, 3651, 1.5]) {
        it(`refuses ${days} days`, () => assertRejected({ certValidityDays: days }, "certValidityDays", /1 to 3650/));
    }
    for (const days of [1, 3650]) {
        it(`accepts ${days} days`, () => assert.deepEqual(errorsFor({ certValidityDays: days, renewBeforeDays: 0 }), []));
    }
    it("refuses a validity no longer than the renewal window, naming both", () => {
        assertRejected({ certValidityDays: 30 }, "certValidityDays", /is 30 days, no longer than renewBeforeDays \(30\)/);
        assertRejected({ certValidityDays: 10, renewBeforeDays: 10 }, "certValidityDays", /no longer than renewBeforeDays \(10\)/);
        assert.deepEqual(errorsFor({ certValidityDays: 31 }), []);
    });
    it("refuses a generation's own validity no longer than the renewal window", () =>
        assertRejected(
            { certificates: [{ name: "short", validityDays: 20 }] },
            "certificates",
            /item 0 \("short"\) validityDays is 20 days, no longer than renewBeforeDays \(30\)/,
        ));
    it("does not hold a brought certificate to it, but warns that certValidityDays has no effect there", () => {
        const brought = makeCertificate({ now: NOW, fromDays: -1, toDays: 300 }).certPem;
        const result = checkSettings({ ...VALID, certificatePem: brought, certValidityDays: 10 }, NOW);
        assert.deepEqual(result.errors, []);
        assert.deepEqual(
            result.warnings.map((w) => [w.key, w.message]),
            [
                [
                    "certValidityDays",
                    "has no effect: the brought certificate (exo-cba:certificatePem) has its own validity and key; remove it.",
                ],
            ],
        );
    });
    it("warns of settings with no effect without a certificate or without an application", () => {
        const noCertificate = checkSettings(
            {
                ...VALID,
                certificates: [],
                certRsaBits: 4096,
                federatedCredentials: [{ name: "gh-prod", github: "contoso/reports", environment: "production" }],
            },
            NOW,
        );
        assert.deepEqual(noCertificate.errors, []);
        assert.deepEqual(
            noCertificate.warnings.map((w) => w.key),
            ["certRsaBits"],
        );
        assert.match(noCertificate.warnings[0].message, /exo-cba:certificates is empty, so there is no certificate/);
        const noApplication = checkSettings(
            {
                ...VALID,
                application: false,
                displayName: "Reports",
                renewBeforeDays: 10,
                managedIdentities: [{ name: "automation", objectId: "4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d" }],
            },
            NOW,
        );
        assert.deepEqual(noApplication.errors, []);
        assert.deepEqual(
            noApplication.warnings.map((w) => w.key),
            ["displayName", "renewBeforeDays"],
        );
    });
    it("without an application, refuses each setting only an application uses and warns of those with a default", () => {
        // The README's Configuration section: these concern the application, its certificates and credentials.
        const applicationOnly: Partial<Settings> = {
            certificatePem: makeCertificate({ now: NOW }).certPem,
            owners: ["4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1e"],
            certificates: [{ name: "initial" }],
            federatedCredentials: [{ name: "gh-prod", github: "contoso/reports", environment: "production" }],
            keyVaultId: "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-exo",
            keyVaultSecretName: "exo-cba-contoso",
            keyVaultReaderPrincipalIds: ["4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1f"],
        };
        const withDefault: Partial<Settings> = { displayName: "Reports", certValidityDays: 90, certRsaBits: 4096, renewBeforeDays: 10 };
        const identities = { managedIdentities: [{ name: "automation", objectId: "4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d" }] };
        const result = checkSettings({ ...VALID, ...applicationOnly, ...withDefault, ...identities, application: false }, NOW);
        assert.deepEqual(result.errors.map((e) => e.key).sort(), Object.keys(applicationOnly).sort());
        for (const e of result.errors)
            assert.equal(e.message, "has no effect without an application (exo-cba:application is false); remove it.");
        assert.deepEqual(result.warnings.map((w) => w.key).sort(), Object.keys(withDefault).sort());
        // The same settings at their defaults, or unset, say nothing.
        assert.deepEqual(checkSettings({ ...VALID, ...identities, application: false }, NOW), { errors: [], warnings: [] });
    });
    for (const bits of [1024, 2047, 8192]) {
        it(`refuses ${bits} bits`, () => assertRejected({ certRsaBits: bits }, "certRsaBits", /2048, 3072, 4096/));
    }
    for (const bits of [2048, 3072, 4096]) it(`accepts ${bits} bits`, () => assert.deepEqual(errorsFor({ certRsaBits: bits }), []));
});

describe("certificatePem (bring your own)", () => {
    const made = makeCertificate({ now: NOW, fromDays: -1, toDays: 30 });

    it("accepts a current 2048-bit RSA certificate", () => {
        assert.deepEqual(checkSettings({ ...VALID, certificatePem: made.certPem }, NOW), { errors: [], warnings: [] });
    });
    it("refuses a private key whatever the case of its header, and never quotes it", () => {
        const lower = made.keyPem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, (m) => m.toLowerCase());
        const errors = errorsFor({ certificatePem: lower + made.certPem });
        assert.equal(errors.length, 1);
        assert.match(errors[0].message, /contains a private key/);
        for (const line of made.keyPem.split("\n").slice(1, -2)) assert.ok(!errors[0].message.includes(line));
    });
    it("never quotes a private key pasted into a setting that expects a name", () => {
        const errors = errorsFor({
            organization: made.keyPem,
            keyVaultId: made.keyPem,
            keyVaultSecretName: made.keyPem,
            roles: [made.keyPem],
        });
        assert.deepEqual(errors.map((e) => e.key).sort(), ["keyVaultId", "keyVaultSecretName", "organization", "roles"]);
        for (const e of errors) {
            assert.ok(!/-----\s*BEGIN/i.test(e.message), e.message);
            assert.ok(!e.message.includes(made.keyPem.split("\n")[1].slice(0, 16)), `key material quoted: ${e.message}`);
        }
    });
    it("refuses a pasted private key and never quotes it", () => {
        const errors = errorsFor({ certificatePem: made.keyPem + made.certPem });
        assert.equal(errors.length, 1);
        assert.match(errors[0].message, /contains a private key/);
        const keyBody = made.keyPem.split("\n")[1];
        assert.ok(!errors[0].message.includes(keyBody), "the message quotes key material");
    });
    it("refuses a file with no PEM certificate, explaining DER conversion", () =>
        assertRejected({ certificatePem: "MIIC+zCCAeOgAwIBAgIJ" }, "certificatePem", /openssl x509 -inform der/));
    it("refuses a chain", () => {
        const other = makeCertificate({ now: NOW });
        assertRejected({ certificatePem: made.certPem + other.certPem }, "certificatePem", /2 certificates/);
    });
    it("refuses an unreadable certificate block", () =>
        assertRejected(
            { certificatePem: "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n" },
            "certificatePem",
            /not a readable X\.509/,
        ));
    it("refuses RSA below 2048 bits", () => {
        const small = makeCertificate({ now: NOW, key: 1024 });
        const errors = errorsFor({ certificatePem: small.certPem });
        assert.equal(errors.length, 1);
        assert.match(errors[0].message, /1024-bit RSA key; at least 2048/);
    });
    it("refuses a non-RSA key", () => {
        const ec = makeCertificate({ now: NOW, key: "ec" });
        const errors = errorsFor({ certificatePem: ec.certPem });
        assert.equal(errors.length, 1);
        assert.match(errors[0]?.message ?? "", /EC key.*RSA/);
    });
    it("refuses an expired certificate, naming its end date", () => {
        const { certPem } = makeCertificate({ now: NOW, fromDays: -400, toDays: -35 });
        assertRejected({ certificatePem: certPem }, "certificatePem", /expired on 2026-10-23T12:00:00Z/);
    });
    it("refuses a certificate one second past its NotAfter, accepts it at that second", () => {
        const { certPem } = makeCertificate({ now: NOW, fromDays: -30, toDays: 0 });
        assert.deepEqual(errorsFor({ certificatePem: certPem }), []);
        assertRejected({ certificatePem: certPem }, "certificatePem", /expired on 2026-11-27T12:00:00Z/, new Date(NOW.getTime() + 1000));
    });
    it("refuses a certificate that ends before it begins, with nothing else to say about it", () => {
        const { certPem } = makeCertificate({ now: NOW, fromDays: 10, toDays: 5 });
        const result = checkSettings({ ...VALID, certificatePem: certPem }, NOW);
        assert.deepEqual(
            result.errors.map((e) => e.key),
            ["certificatePem"],
        );
        assert.match(
            result.errors[0].message,
            /ends \(2026-12-02T12:00:00Z\) before it begins \(2026-12-07T12:00:00Z\): it can never be used/,
        );
        assert.deepEqual(result.warnings, []);
    });
    it("accepts a certificate that is not valid yet, warning when runners can use it", () => {
        const { certPem } = makeCertificate({ now: NOW, fromDays: 35, toDays: 400 });
        const result = checkSettings({ ...VALID, certificatePem: certPem }, NOW);
        assert.deepEqual(result.errors, []);
        assert.equal(result.warnings.length, 1);
        assert.equal(result.warnings[0].key, "certificatePem");
        assert.match(result.warnings[0].message, /not valid until 2027-01-01T12:00:00Z .*Runners can use it from 2027-01-01T12:00:00Z/);
    });
});

describe("owners", () => {
    it("refuses something that is not an object id", () => assertRejected({ owners: ["alice@contoso.com"] }, "owners", /not an object id/));
    it("refuses duplicates, ignoring case", () =>
        assertRejected(
            { owners: ["6b1e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4", "6B1E1C2D-3F4A-4B5C-8D6E-7F8091A2B3C4"] },
            "owners",
            /more than once/,
        ));
    it("refuses an empty list passed to the component", () => assertRejected({ owners: [] }, "owners", /empty list/));
});

describe("certificate generations", () => {
    const made = makeCertificate({ now: NOW });
    it("accept names, self-signed settings and brought certificates together", () => {
        const certificates = [
            { name: "initial" },
            { name: "2027", validityDays: 730, rsaBits: 3072 },
            { name: "pki", certificatePem: made.certPem },
        ];
        assert.deepEqual(checkSettings({ ...VALID, certificates }, NOW).errors, []);
    });
    it("refuse a name that cannot be part of a resource name", () =>
        assertRejected(
            { certificates: [{ name: "next year" }] },
            "certificates",
            /item 0 \("next year"\) needs a name of 1 to 32 letters/,
        ));
    it("refuse names that differ only in case", () =>
        assertRejected({ certificates: [{ name: "a" }, { name: "A" }] }, "certificates", /repeats a name/));
    it("refuse a generation's own validity and key size out of range", () => {
        const errors = errorsFor({ certificates: [{ name: "a", validityDays: 0, rsaBits: 1024 }] });
        assert.deepEqual(
            errors.map((e) => e.message),
            [
                'item 0 ("a") validityDays must be a whole number of days from 1 to 3650 (got 0).',
                'item 0 ("a") rsaBits must be one of 2048, 3072, 4096 (got 1024).',
            ],
        );
    });
    it("refuse validityDays on a brought certificate", () =>
        assertRejected(
            { certificates: [{ name: "a", certificatePem: made.certPem, validityDays: 5 }] },
            "certificates",
            /brings its own certificate, so validityDays and rsaBits do not apply/,
        ));
    it("refuse the same certificate twice", () => {
        const errors = checkSettings(
            {
                ...VALID,
                certificates: [
                    { name: "a", certificatePem: made.certPem },
                    { name: "b", certificatePem: made.certPem },
                ],
            },
            NOW,
        ).errors;
        assert.match(errors[0]?.message ?? "", /item 1 \("b"\) is the same certificate as item 0 \("a"\)/);
    });
    it("accept an expired older brought certificate, but not an expired active one", () => {
        const expired = makeCertificate({ now: NOW, fromDays: -400, toDays: -35 }).certPem;
        assert.deepEqual(
            checkSettings({ ...VALID, certificates: [{ name: "old", certificatePem: expired }, { name: "new" }] }, NOW).errors,
            [],
        );
        assertRejected(
            { certificates: [{ name: "new" }, { name: "old", certificatePem: expired }] },
            "certificates",
            /item 1 \("old"\) certificatePem expired on 2026-10-23T12:00:00Z/,
        );
    });
    it("refuse renewBeforeDays out of range", () => assertRejected({ renewBeforeDays: 366 }, "renewBeforeDays", /0 to 365/));
});

describe("Key Vault delivery settings", () => {
    const vault =
        "/subscriptions/3f2e1d0c-9b8a-4765-8432-10fedcba9876/resourceGroups/rg-exo/providers/Microsoft.KeyVault/vaults/kv-contoso-exo";
    it("accept a vault id, a secret name and managed identities", () => {
        assert.deepEqual(
            errorsFor({
                keyVaultId: vault,
                keyVaultSecretName: "exo-contoso",
                keyVaultReaderPrincipalIds: ["9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"],
            }),
            [],
        );
    });
    for (const id of [
        "kv-contoso-exo",
        "https://kv-contoso-exo.vault.azure.net/",
        `${vault}/secrets/x`,
        vault.replace("vaults/kv-contoso-exo", "vaults/k"),
        vault.replace("resourceGroups/rg-exo", "resourceGroups/.."),
        vault.replace("resourceGroups/rg-exo", "resourceGroups/."),
        vault.replace("resourceGroups/rg-exo", "resourceGroups/rg-exo/../other"),
        vault.replace("resourceGroups/rg-exo", "resourceGroups/rg."),
        // Around spaces or a line break the same vault would hash to another role assignment name.
        ` ${vault}`,
        `${vault}\n`,
    ]) {
        it(`refuse ${JSON.stringify(id)} as a vault id`, () =>
            assertRejected({ keyVaultId: id }, "keyVaultId", /resource id of an existing vault/));
    }
    it("refuse a secret name Key Vault would not take", () =>
        assertRejected({ keyVaultId: vault, keyVaultSecretName: "exo_cba" }, "keyVaultSecretName", /letters, digits or hyphens/));
    it("refuse a brought active certificate, whose key the stack does not have", () => {
        const made = makeCertificate({ now: NOW });
        const errors = checkSettings({ ...VALID, keyVaultId: vault, certificatePem: made.certPem }, NOW).errors;
        assert.deepEqual(
            errors.map((e) => e.key),
            ["keyVaultId"],
        );
        assert.match(errors[0].message, /needs the certificate's private key/);
    });
});

describe("stack configuration parsing", () => {
    it("applies the documented defaults when keys are absent", () => {
        const { settings, errors } = parseConfig({}, NOW);
        assert.deepEqual(errors, []);
        assert.deepEqual(settings, {
            displayName: "EXO Reporting Script",
            organization: undefined,
            cloud: "global",
            roles: ["Exchange Administrator"],
            allowGlobalAdministrator: false,
            application: true,
            multitenant: false,
            home: undefined,
            consentedByAdministrator: false,
            certValidityDays: 365,
            certRsaBits: 2048,
            certificatePem: undefined,
            owners: undefined,
            certificates: undefined,
            renewBeforeDays: 30,
            managedIdentities: undefined,
            federatedCredentials: undefined,
            keyVaultId: undefined,
            keyVaultSecretName: undefined,
            keyVaultReaderPrincipalIds: undefined,
        });
    });
    it('treats the Pulumi.yaml defaults "" and [] as not set', () => {
        const { settings } = parseConfig({ organization: "", certificatePem: "", owners: "[]" }, NOW);
        assert.equal(settings?.organization, undefined);
        assert.equal(settings?.certificatePem, undefined);
        assert.equal(settings?.owners, undefined);
    });
    it("reads lists, integers and booleans in the form the CLI passes them", () => {
        const { settings, errors } = parseConfig(
            { roles: '["Global Reader","Security Reader"]', certValidityDays: "90", certRsaBits: "4096", allowGlobalAdministrator: "true" },
            NOW,
        );
        assert.deepEqual(errors, []);
        assert.deepEqual(settings?.roles, ["Global Reader", "Security Reader"]);
        assert.equal(settings?.certValidityDays, 90);
        assert.equal(settings?.certRsaBits, 4096);
        assert.equal(settings?.allowGlobalAdministrator, true);
    });
    it("names the key of every mistyped value", () => {
        const { settings, errors } = parseConfig(
            {
                certValidityDays: "a year",
                certRsaBits: "2048.0",
                allowGlobalAdministrator: "yes",
                roles: "Exchange Administrator",
                owners: '{"a":1}',
            },
            NOW,
        );
        assert.equal(settings, undefined);
        const byKey = Object.fromEntries(errors.map((e) => [e.key, e.message]));
        assert.match(byKey["certValidityDays"] ?? "", /whole number, 1 to 3650 \(got "a year"\)/);
        assert.match(byKey["certRsaBits"] ?? "", /whole number, 2048, 3072 or 4096 \(got/);
        assert.match(byKey["allowGlobalAdministrator"] ?? "", /true or false/);
        assert.match(byKey["roles"] ?? "", /list of strings/);
        assert.match(byKey["owners"] ?? "", /list of strings/);
        assert.equal(errors.length, 5);
    });
    it("refuses unknown keys and suggests the near one", () => {
        const { errors } = parseConfig({ role: '["Global Reader"]' }, NOW);
        assert.equal(errors[0]?.key, "role");
        assert.match(errors[0].message, /not a setting of this project\. Did you mean roles\?/);
    });
    it("reports type errors and rule errors together", () => {
        const { errors } = parseConfig({ certValidityDays: "x", certRsaBits: "1024", displayName: "" }, NOW);
        assert.deepEqual(errors.map((e) => e.key).sort(), ["certRsaBits", "certValidityDays", "displayName"]);
    });
});

describe("cloud", () => {
    const cloud = (c: string, configured?: string, variable?: string) =>
        checkSettings({ ...VALID, cloud: c }, NOW, { configured, variable }).errors.map((e) => `${e.key} ${e.message}`);
    it("global needs nothing, and accepts the provider's global names", () => {
        assert.deepEqual(cloud("global"), []);
        assert.deepEqual(cloud("global", "public"), []);
        assert.deepEqual(cloud("global", undefined, "global"), []);
    });
    it("a US Government or China cloud needs azuread:environment, named in the fix", () => {
        assert.deepEqual(cloud("gcc-high"), [
            "cloud is gcc-high (GCC High), so the azuread provider must be told too: pulumi config set azuread:environment usgovernment",
        ]);
        assert.match(cloud("dod")[0], /pulumi config set azuread:environment dod$/);
        assert.match(cloud("china")[0], /pulumi config set azuread:environment china$/);
        // ARM_ENVIRONMENT is the runner's, not the stack's: the reviewed stack file must say it.
        assert.equal(cloud("gcc-high", undefined, "usgovernment").length, 1);
    });
    it("GCC High is the provider's L4 environment, DoD its L5 (dod), not the other way round", () => {
        assert.deepEqual(cloud("gcc-high", "usgovernmentl4"), []);
        assert.deepEqual(cloud("dod", "usgovernmentl5"), []);
        assert.equal(cloud("dod", "usgovernment").length, 1);
        assert.equal(cloud("gcc-high", "dod").length, 1);
    });
    it("accepts the provider's names in any letter case", () => assert.deepEqual(cloud("gcc-high", "USGovernment"), []));
    it("refuses a cloud it does not know, listing the four", () => {
        assert.deepEqual(cloud("usgov"), ['cloud must be one of global, gcc-high, dod, china (got "usgov").']);
    });
    it("a global stack refuses a provider pointed elsewhere, by setting or by ARM_ENVIRONMENT", () => {
        assert.match(cloud("global", "usgovernment")[0], /For that cloud: pulumi config set exo-cba:cloud gcc-high$/);
        assert.match(
            cloud("global", undefined, "china")[0],
            /the ARM_ENVIRONMENT variable points the azuread provider at "china".*\(or unset ARM_ENVIRONMENT\)$/,
        );
    });
    it("warns when the organization is another cloud's initial domain", () => {
        const r = checkSettings({ ...VALID, cloud: "gcc-high", organization: "contoso.onmicrosoft.com" }, NOW, {
            configured: "usgovernment",
            variable: undefined,
        });
        assert.deepEqual(r.errors, []);
        assert.match(
            r.warnings[0]?.message ?? "",
            /initial domain of another cloud: tenants in the GCC High cloud have \*\.onmicrosoft\.us domains/,
        );
    });
});

describe("managed identities", () => {
    const mi = (list: { name: string; objectId: string; clientId?: string }[]) => errorsFor({ managedIdentities: list });
    it("accept system- and user-assigned identities", () => {
        assert.deepEqual(
            mi([
                { name: "automation", objectId: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a" },
                { name: "func", objectId: "4e3d2c1b-0a9f-4e8d-9c7b-6a5f4e3d2c1b", clientId: "b1a2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" },
            ]),
            [],
        );
    });
    it("refuse an object id that is not a GUID, and the client id given as the object id", () => {
        const id = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";
        assert.match(
            mi([{ name: "a", objectId: "aa-contoso" }])[0]?.message ?? "",
            /objectId must be the object id \(a GUID\) of the identity's service principal/,
        );
        assert.match(mi([{ name: "a", objectId: id, clientId: id.toUpperCase() }])[0]?.message ?? "", /same GUID as objectId and clientId/);
    });
    it("refuse the same identity twice, by object id or client id, ignoring case", () => {
        const errors = mi([
            { name: "a", objectId: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", clientId: "b1a2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d" },
            { name: "b", objectId: "4e3d2c1b-0a9f-4e8d-9c7b-6a5f4e3d2c1b", clientId: "B1A2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D" },
        ]);
        assert.equal(errors.length, 1);
        assert.match(errors[0].message, /item 1 \("b"\) is the same identity as item 0 \("a"\)/);
    });
    it("refuse names that cannot be part of a resource name, or repeat", () => {
        assert.match(
            mi([{ name: "my identity", objectId: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a" }])[0]?.message ?? "",
            /1 to 32 letters, digits or inner hyphens/,
        );
        assert.match(
            mi([
                { name: "a", objectId: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a" },
                { name: "A", objectId: "4e3d2c1b-0a9f-4e8d-9c7b-6a5f4e3d2c1b" },
            ])[0]?.message ?? "",
            /repeats a name/,
        );
    });
});

describe("federated credentials", () => {
    const fic = (list: object[], patch: Partial<Settings> = {}) =>
        checkSettings({ ...VALID, federatedCredentials: list as never, ...patch }, NOW);
    it("expand the GitHub shorthand to GitHub's subjects, a ':' in an environment as %3A", () => {
        const s = {
            ...VALID,
            federatedCredentials: [
                { name: "env", github: "contoso/reports", environment: "prod:eu" },
                { name: "main", github: "contoso/reports", branch: "main" },
            ],
        };
        assert.deepEqual(federatedCredentialsOf(s), [
            {
                name: "env",
                issuer: "https://token.actions.githubusercontent.com",
                subject: "repo:contoso/reports:environment:prod%3Aeu",
                audience: "api://AzureADTokenExchange",
            },
            {
                name: "main",
                issuer: "https://token.actions.githubusercontent.com",
                subject: "repo:contoso/reports:ref:refs/heads/main",
                audience: "api://AzureADTokenExchange",
            },
        ]);
    });
    it("take GitHub's immutable owner@id/repo@id form", () => {
        const s = { ...VALID, federatedCredentials: [{ name: "env", github: "contoso@123456/reports@456789", environment: "prod" }] };
        assert.deepEqual(fic(s.federatedCredentials).errors, []);
        assert.equal(federatedCredentialsOf(s)[0].subject, "repo:contoso@123456/reports@456789:environment:prod");
    });
    for (const [what, item, pattern] of [
        [
            "a pull_request subject",
            { name: "pr-subject", issuer: "https://token.actions.githubusercontent.com", subject: "repo:o/r:pull_request" },
            /trusts pull requests/,
        ],
        [
            "a pull request's ref",
            { name: "pr-ref", issuer: "https://token.actions.githubusercontent.com", subject: "repo:o/r:ref:refs/pull/1/merge" },
            /trusts pull requests/,
        ],
        [
            "a wildcard",
            { name: "wild", issuer: "https://token.actions.githubusercontent.com", subject: "repo:o/*:ref:refs/heads/main" },
            /has a wildcard/,
        ],
        ["an http issuer", { name: "http", issuer: "http://issuer.contoso.com", subject: "x" }, /issuer must be an https:\/\/ URL/],
        // new URL() drops inner tabs and line breaks: the issuer registered would not be the one written.
        [
            "an issuer with a tab inside",
            { name: "tab", issuer: "https://issuer.con\ttoso.com", subject: "x" },
            /issuer must be .*control characters/,
        ],
        ["an issuer with a line break inside", { name: "line", issuer: "https://issuer.contoso.com/a\nb", subject: "x" }, /issuer must be/],
        [
            "an issuer with a terminal escape",
            { name: "esc", issuer: "https://issuer.contoso.com/\u001b[31m", subject: "x" },
            /issuer must be/,
        ],
        [
            "an issuer with a right-to-left override",
            { name: "rlo", issuer: "https://issuer.contoso.com/\u202e", subject: "x" },
            /issuer must be/,
        ],
        [
            "an issuer with a password",
            { name: "user", issuer: "https://user:hunter2@issuer.contoso.com", subject: "x" },
            /user name, password/,
        ],
        ["an issuer with a query", { name: "query", issuer: "https://issuer.contoso.com/?tenant=x", subject: "x" }, /query, fragment/],
        ["an issuer with an empty query", { name: "empty-query", issuer: "https://issuer.contoso.com/?", subject: "x" }, /query, fragment/],
        ["an issuer with a fragment", { name: "frag", issuer: "https://issuer.contoso.com/#x", subject: "x" }, /query, fragment/],
        ["an empty audience", { name: "aud0", github: "o/r", branch: "main", audiences: [""] }, /audience must be 1 to 600 characters/],
        [
            "an audience with a terminal escape",
            { name: "aud1", github: "o/r", branch: "main", audiences: ["api://x\u001b[31m"] },
            /audience must be .*control characters/,
        ],
        [
            "an audience of 601 characters",
            { name: "aud2", github: "o/r", branch: "main", audiences: ["a".repeat(601)] },
            /audience must be 1 to 600/,
        ],
        ["a name under 3 characters", { name: "ab", github: "o/r", branch: "main" }, /3 to 32 letters/],
        [
            "environment and branch both",
            { name: "both", github: "o/r", branch: "main", environment: "prod" },
            /exactly one of environment .* or branch/,
        ],
        ["neither", { name: "none", github: "o/r" }, /exactly one of environment/],
        ["github and issuer together", { name: "mixed", github: "o/r", branch: "main", issuer: "https://x" }, /use one form/],
        ["a repository named ..", { name: "dots", github: "o/..", branch: "main" }, /github must be <owner>\/<repo>/],
        ["an owner with a double hyphen", { name: "owner", github: "con--toso/r", branch: "main" }, /github must be <owner>\/<repo>/],
        ["a branch with refs/heads/", { name: "ref", github: "o/r", branch: "refs/heads/main" }, /without refs\/heads\//],
        ["a branch with a space", { name: "space", github: "o/r", branch: "my branch" }, /must be a git branch name/],
        ["two audiences", { name: "aud", github: "o/r", branch: "main", audiences: ["a", "b"] }, /exactly one value/],
        [
            "a subject with a line break",
            { name: "newline", issuer: "https://x.contoso.com", subject: "a\nb" },
            /without surrounding spaces or control characters/,
        ],
    ] as const) {
        it(`refuse ${what}`, () => {
            const errors = fic([item]).errors;
            assert.equal(errors.length, 1, JSON.stringify(errors));
            assert.equal(errors[0].key, "federatedCredentials");
            assert.match(errors[0].message, pattern);
        });
    }
    it("refuse more than 20, Entra's limit on an application", () => {
        const many = Array.from({ length: 21 }, (_, i) => ({ name: `env-${i}`, github: "contoso/reports", environment: `e${i}` }));
        assert.deepEqual(fic(many.slice(0, 20)).errors, []);
        assert.match(
            fic(many)
                .errors.map((e) => e.message)
                .join("\n"),
            /lists 21 credentials; Entra allows at most 20/,
        );
    });
    it("warn on an audience other than the cloud's", () => {
        const r = fic([
            { name: "k8s", issuer: "https://oidc.contoso.com", subject: "system:serviceaccount:exo:runner", audiences: ["api://other"] },
        ]);
        assert.deepEqual(r.errors, []);
        assert.match(r.warnings[0]?.message ?? "", /expects api:\/\/AzureADTokenExchange/);
    });
    it("allow no certificate only with one", () => {
        assert.deepEqual(fic([{ name: "main", github: "o/r", branch: "main" }], { certificates: [] }).errors, []);
        assert.match(errorsFor({ certificates: [] })[0]?.message ?? "", /allowed only with at least one federated credential/);
    });
});

describe("application false", () => {
    it("needs a managed identity, and refuses settings that only an application uses", () => {
        const errors = errorsFor({ application: false, owners: ["6b1e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4"], certificates: [] });
        assert.deepEqual(errors.map((e) => e.key).sort(), ["application", "certificates", "owners"]);
    });
    it("passes with a managed identity", () => {
        assert.deepEqual(
            errorsFor({ application: false, managedIdentities: [{ name: "a", objectId: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a" }] }),
            [],
        );
    });
});

/**
 * Text a person sees as nothing, named by code point: white space, the Hangul and Braille fillers fonts draw
 * empty, and the zero-width and other invisible (default-ignorable) characters.
 */
const BLANK_TEXT: readonly [string, string][] = [
    ["spaces", "   "],
    ["a tab and a line break", "\t\n"],
    ["a no-break space (U+00A0)", "\u00a0"],
    ["an ideographic space (U+3000)", "\u3000"],
    ["HANGUL FILLER (U+3164)", "\u3164"],
    ["HANGUL CHOSEONG FILLER (U+115F)", "\u115f"],
    ["HANGUL JUNGSEONG FILLER (U+1160)", "\u1160"],
    ["HALFWIDTH HANGUL FILLER (U+FFA0)", "\uffa0"],
    ["BRAILLE PATTERN BLANK (U+2800)", "\u2800"],
    ["a zero-width space (U+200B)", "\u200b"],
    ["a zero-width non-joiner (U+200C)", "\u200c"],
    ["a zero-width joiner (U+200D)", "\u200d"],
    ["a word joiner (U+2060)", "\u2060"],
    ["a byte order mark (U+FEFF)", "\ufeff"],
    ["the Mongolian vowel separator (U+180E)", "\u180e"],
    ["a soft hyphen (U+00AD)", "\u00ad"],
    ["a combining grapheme joiner (U+034F)", "\u034f"],
    ["a variation selector (U+FE0F)", "\ufe0f"],
    ["a tag space (U+E0020)", "\u{e0020}"],
    ["a right-to-left mark (U+200F)", "\u200f"],
    ["several of them", " \u3164\u200b\u2800\ufeff\u00a0"],
];

describe("text that renders blank", () => {
    it("is blank when empty", () => assert.ok(isBlank("")));
    for (const [what, text] of BLANK_TEXT) it(`is blank when it is only ${what}`, () => assert.ok(isBlank(text)));
    for (const text of ["a", "\u3164a", "\u314e", "\u4ea4", "-", "0", "\u{1f511}", "\u2764\ufe0f", "\u200d\u{1f511}", "\u2801"]) {
        it(`is not blank when it shows something (${JSON.stringify(text)})`, () => assert.ok(!isBlank(text)));
    }
});

describe("text that renders blank counts as blank wherever blank is refused", () => {
    const GUID = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";
    /** The problems parseConfig reports for one raw setting, as "key message". */
    const problems = (key: string, value: unknown) =>
        parseConfig({ [key]: typeof value === "string" ? value : JSON.stringify(value) }, NOW).errors.map((e) => `${e.key} ${e.message}`);
    const refusedFederated = (item: object) => problems("federatedCredentials", [{ name: "ci", ...item }]);
    for (const [what, blank] of BLANK_TEXT) {
        it(`a value of only ${what}`, () => {
            assert.deepEqual(
                errorsFor({ displayName: blank }).map((e) => e.key),
                ["displayName"],
            );
            assert.match(errorsFor({ displayName: blank })[0].message, /^must not be blank/);
            assert.match(errorsFor({ organization: blank })[0]?.message ?? "", /\): it is blank\.$/);
            // A list item's name: named as missing, not judged as a name of the wrong form.
            assert.deepEqual(problems("certificates", [blank]), ["certificates item 0 needs a name."]);
            assert.deepEqual(problems("certificates", [{ name: blank }]), ["certificates item 0 needs a name."]);
            assert.deepEqual(problems("managedIdentities", [{ name: blank, objectId: GUID }]), ["managedIdentities item 0 needs a name."]);
            assert.deepEqual(problems("managedIdentities", [{ name: "a", objectId: blank }]), [
                "managedIdentities item 0 needs an objectId (the managed identity's service principal object id).",
            ]);
            assert.deepEqual(problems("federatedCredentials", [{ name: blank, issuer: "https://issuer.example", subject: "s" }]), [
                "federatedCredentials item 0 needs a name.",
            ]);
            const refused = (item: object, pattern: RegExp) => {
                const found = refusedFederated(item);
                assert.ok(
                    found.some((p) => p.startsWith("federatedCredentials item 0 (") && pattern.test(p)),
                    `${JSON.stringify(item)}: ${JSON.stringify(found)}`,
                );
            };
            refused({ issuer: "https://issuer.example", subject: blank }, /subject must be 1 to 600 characters/);
            refused({ issuer: blank, subject: "s" }, /issuer must be an https:\/\/ URL/);
            refused({ issuer: "https://issuer.example", subject: "s", audiences: [blank] }, /audience must be 1 to 600 characters/);
            refused({ github: "contoso/reports", environment: blank }, /environment must be a GitHub environment name/);
            refused({ github: "contoso/reports", branch: blank }, /branch must be a git branch name/);
        });
    }
});
