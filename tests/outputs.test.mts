/**
 * The outputs table (components/outputs.ts) against what the component really exports: each configuration
 * a table row names as having an output has it and no other does, and the strict reader accepts every
 * stack's outputs as deployed, with no problem. Outputs of the single-certificate layout (0.1.0), written
 * out here from that version's index.ts, still read.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { OUTPUTS, type OutputName, type Presence } from "../components/outputs.ts";
import { parseOutputs } from "../components/outputsReader.ts";
import { DAY_MS, makeCertificate } from "./support/certificates.mts";
import { AUTOMATION_IDENTITY_ID, KEY_VAULT_ID, contoso, fabrikam } from "./support/contoso.mts";
import { opensslThumbprint, reveal, run, stackConfig } from "./support/harness.mts";

/** Configurations that between them have every output, and what each has of the table's presences. */
const HOME = "contoso-msp/exo-cba/home";
const CONFIGURATIONS: Readonly<Record<string, { readonly config: Record<string, unknown>; readonly has: readonly Presence[] }>> = {
    "the defaults": {
        config: {},
        has: [
            "every stack",
            "with an application",
            "with an application of its own",
            "with a certificate",
            "with a generated certificate of its own",
        ],
    },
    "a Security & Compliance role and Key Vault delivery": {
        config: { "exo-cba:roles": ["Compliance Administrator"], "exo-cba:keyVaultId": KEY_VAULT_ID },
        has: [
            "every stack",
            "with an application",
            "with an application of its own",
            "with a certificate",
            "with a generated certificate of its own",
            "with Key Vault delivery",
            "with a Security & Compliance role",
        ],
    },
    "a brought certificate": {
        config: { "exo-cba:certificatePem": makeCertificate({ now: new Date(), fromDays: -1, toDays: 300 }).certPem },
        has: ["every stack", "with an application", "with an application of its own", "with a certificate"],
    },
    "federated credentials only": {
        config: {
            "exo-cba:certificates": [],
            "exo-cba:federatedCredentials": [{ name: "github-reports", github: "contoso/exchange-reports", environment: "production" }],
        },
        has: ["every stack", "with an application", "with an application of its own", "with federated credentials"],
    },
    "a home stack": {
        config: { "exo-cba:multitenant": true },
        has: [
            "every stack",
            "with an application",
            "with an application of its own",
            "with a certificate",
            "with a generated certificate of its own",
            "in a home stack",
        ],
    },
    "a customer stack of that home, with a Security & Compliance role": {
        config: { "exo-cba:home": HOME, "exo-cba:roles": ["Compliance Administrator"] },
        has: ["every stack", "with an application", "with a certificate", "with a Security & Compliance role", "in a customer stack"],
    },
    "managed identities only": {
        config: { "exo-cba:application": false, "exo-cba:managedIdentities": [{ name: "automation", objectId: AUTOMATION_IDENTITY_ID }] },
        has: ["every stack", "with managed identities"],
    },
};

describe("the outputs table, against the component's outputs", () => {
    const deployed = new Map<string, Record<string, unknown>>();
    before(async () => {
        // A customer stack reads its home, deployed as the "a home stack" configuration (tests/msp.test.mts).
        const home = await run(stackConfig(CONFIGURATIONS["a home stack"].config, "home"));
        await Promise.all(
            Object.entries(CONFIGURATIONS).map(async ([name, c]) => {
                const customer = c.config["exo-cba:home"] !== undefined;
                const ev = await run(stackConfig(c.config), { otherStacks: { [HOME]: home }, tenant: customer ? fabrikam() : contoso() });
                assert.equal(ev.failed, false, `${name}: ${ev.errors.join("\n")}`);
                deployed.set(name, reveal(ev.outputs as never) as Record<string, unknown>);
            }),
        );
    });

    for (const [name, c] of Object.entries(CONFIGURATIONS)) {
        it(`${name}: exactly the outputs whose presence the configuration has`, () => {
            const outputs = deployed.get(name)!;
            const expected = (Object.keys(OUTPUTS) as OutputName[]).filter((o) => c.has.includes(OUTPUTS[o].presence)).sort();
            assert.deepEqual(Object.keys(outputs).sort(), expected);
        });
        it(`${name}: read with no problem, each output as exported`, () => {
            const outputs = deployed.get(name)!;
            const read = parseOutputs(outputs);
            assert.deepEqual(read.problems, []);
            for (const [key, value] of Object.entries(outputs)) {
                assert.deepEqual(read.outputs[key as OutputName], key === "thumbprint" ? String(value).toUpperCase() : value, key);
            }
        });
    }

    it("every presence is had by one of the configurations above, so none goes untested", () => {
        const had = new Set(Object.values(CONFIGURATIONS).flatMap((c) => c.has));
        for (const o of Object.values(OUTPUTS)) assert.ok(had.has(o.presence), o.presence);
    });
});

describe("outputs a customer stack would copy from its home", () => {
    it("refuses a certificatePem that carries a private key or a second block, and a certificate list no stack has", () => {
        const made = makeCertificate({ now: new Date(), fromDays: -1, toDays: 300, freshKey: true });
        for (const pem of [`${made.certPem}${made.keyPem}`, `${made.certPem}${made.certPem}`]) {
            const read = parseOutputs({ certificatePem: pem, certificates: [] });
            assert.deepEqual(
                read.problems.map((p) =>
                    /^output certificatePem (holds a private key block|should hold one PEM certificate block)/.test(p),
                ),
                [true],
                read.problems.join("; "),
            );
            assert.equal(read.problems[0].includes(made.keyPem.split("\n")[1]), false, "the key is never quoted");
        }
        // Text around the one block, as a brought certificate may have it, still reads.
        assert.deepEqual(
            parseOutputs({ certificatePem: `Bag Attributes\n    friendlyName: exo\n${made.certPem}`, certificates: [] }).problems,
            [],
        );
        const many = Array.from({ length: 101 }, (_, i) => ({
            name: `g${i}`,
            thumbprint: "A".repeat(40),
            notAfter: "2027-01-01T00:00:00Z",
        }));
        assert.match(parseOutputs({ certificates: many }).problems.join(), /lists 101 certificates/);
    });
});

describe("outputs of stacks deployed by earlier versions", () => {
    it("the single-certificate layout (0.1.0): no cloud, no certificates, no renewal window", () => {
        const now = new Date();
        const made = makeCertificate({ now, fromDays: -10, toDays: 355 });
        const notAfter = new Date(now.getTime() + 355 * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
        // 0.1.0's index.ts exported exactly these.
        const old = {
            appId: "7d0c2c44-52e6-4c0c-a8d5-7fb9d5e2a1c3",
            thumbprint: opensslThumbprint(made.certPem),
            tenantId: "2f0e7c38-6c5a-4bd0-9e3b-1a2b3c4d5e6f",
            organization: "contoso.onmicrosoft.com",
            servicePrincipalObjectId: "5c1e4f0a-3b2d-4e8f-9a7c-6d5e4f3a2b1c",
            applicationObjectId: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            certificateNotAfter: notAfter,
            certificatePem: made.certPem,
            connectCommand: "Connect-ExchangeOnline -CertificateThumbprint 'x' -AppId 'y' -Organization 'contoso.onmicrosoft.com'",
            connectCommandCrossPlatform:
                "Connect-ExchangeOnline -CertificateFilePath 'x.pfx' -AppId 'y' -Organization 'contoso.onmicrosoft.com'",
            directoryRoles: [{ name: "Exchange Administrator", templateId: "29232cdf-9323-42fd-ade2-1d097af3e4de" }],
            privateKeyPem: made.keyPem,
        };
        const read = parseOutputs(old);
        assert.deepEqual(read.problems, []);
        assert.equal(read.outputs.cloud, "global");
        assert.equal(read.outputs.exchangeEnvironmentName, "O365Default");
        assert.deepEqual(read.outputs.certificates, [{ name: "initial", thumbprint: old.thumbprint, notAfter, active: true }]);
        assert.equal(read.outputs.renewBeforeDays, undefined);
    });

    it("a certificate list from before the active flag: the newest, listed last, is the active one", () => {
        const read = parseOutputs({
            certificates: [
                { name: "2026", thumbprint: "A".repeat(40), notAfter: "2027-01-01T00:00:00Z" },
                { name: "2027", thumbprint: "B".repeat(40), notAfter: "2028-01-01T00:00:00Z" },
            ],
        });
        assert.deepEqual(read.problems, []);
        assert.deepEqual(
            read.outputs.certificates.map((c) => [c.name, c.active]),
            [
                ["2026", false],
                ["2027", true],
            ],
        );
    });
});

describe("reading outputs strictly", () => {
    it("names each output its reader refuses, all at once, in the table's order, quoting no secret", () => {
        const read = parseOutputs({
            appId: "nope",
            tenantId: " ",
            cloud: "usgov",
            renewBeforeDays: -1,
            privateKeyPem: 42,
            certificates: [],
            directoryRoles: [{ name: "Exchange Administrator" }],
        });
        assert.deepEqual(read.problems, [
            'output appId should be a GUID (got "nope")',
            "output tenantId should be a string that is not blank",
            'output cloud should be one of global, gcc-high, dod, china (got "usgov")',
            "output privateKeyPem should be a string that is not blank",
            "output renewBeforeDays must be a whole number of days from 0 to 365 (got -1). Read the outputs again, or pass --renew-before-days.",
            'output directoryRoles should be a list of {"name": ..., "templateId": <GUID>}',
        ]);
    });

    it("refuses a line with a terminal escape or a line break where a person would paste it", () => {
        const read = parseOutputs({ certificates: [], connectCommand: "Connect-ExchangeOnline\n-Organization evil" });
        assert.equal(read.problems.length, 1);
        assert.match(read.problems[0], /^output connectCommand holds control characters: /);
    });

    it("adds what the reading tool needs, in the table's order", () => {
        const read = parseOutputs({ certificates: [], cloud: "dod" }, () => ({ tenantId: "", directoryRoles: "no roles" }));
        assert.deepEqual(read.problems, [
            "the stack has no output tenantId; is this an exo-cba stack, deployed with `pulumi up`?",
            "no roles",
        ]);
        assert.equal(read.outputs.exchangeEnvironmentName, "O365USGovDoD");
    });
});
