/**
 * The stack with its defaults (self-signed certificate), run the way `pulumi up` runs it against a
 * simulated Contoso tenant. Ids are checked against Microsoft's documented values and the
 * certificate against openssl.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Evaluation } from "../engine/engine.mts";
import { hasControlCharacters } from "../components/redaction.ts";
import { redact } from "../engine/wireValues.mts";
import {
    AUTOMATION_IDENTITY_ID,
    DEPLOYER_OBJECT_ID,
    EXO_APP_ID,
    EXO_SP_OBJECT_ID,
    MANAGE_AS_APP_ROLE_ID,
    TENANT_ID,
    contoso,
} from "./support/contoso.mts";
import {
    allText,
    isSecret,
    ofType,
    only,
    openssl,
    opensslNotAfter,
    opensslThumbprint,
    type Run,
    run,
    stackConfig,
    steps,
    str,
} from "./support/harness.mts";

const T = {
    component: "exo-cba:exchange:AppOnlyAccess",
    key: "tls:index/privateKey:PrivateKey",
    cert: "tls:index/selfSignedCert:SelfSignedCert",
    app: "azuread:index/applicationRegistration:ApplicationRegistration",
    owner: "azuread:index/applicationOwner:ApplicationOwner",
    credential: "azuread:index/applicationCertificate:ApplicationCertificate",
    api: "azuread:index/applicationApiAccess:ApplicationApiAccess",
    sp: "azuread:index/servicePrincipal:ServicePrincipal",
    consent: "azuread:index/appRoleAssignment:AppRoleAssignment",
    role: "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
};

/** Exchange Administrator's template id, from the Entra permissions reference. */
const EXCHANGE_ADMINISTRATOR = "29232cdf-9323-42fd-ade2-1d097af3e4de";

const OUTPUT_NAMES = [
    "appId",
    "applicationObjectId",
    "certificateNotAfter",
    "certificatePem",
    "certificates",
    "cloud",
    "connectCommand",
    "connectCommandCrossPlatform",
    "directoryRoles",
    "exchangeEnvironmentName",
    "organization",
    "privateKeyPem",
    "renewBeforeDays",
    "servicePrincipalObjectId",
    "tenantId",
    "thumbprint",
];

describe("default stack: self-signed certificate", () => {
    let ev: Run;
    let outputs: Record<string, unknown>;
    before(async () => {
        ev = await run(stackConfig({}), { recordModules: true });
        assert.equal(ev.failed, false, `${ev.errors.join("\n")}\n${ev.stderr}`);
        outputs = ev.outputs ?? {};
    });

    it("loads neither Key Vault delivery (nor @pulumi/azure-native) nor the rules of settings it leaves out", () => {
        const modules = ev.modules ?? [];
        assert.ok(modules.includes("components/keyVault.ts"), "the modules were recorded");
        assert.ok(!modules.includes("components/keyVaultSecret.ts"));
        assert.deepEqual(
            modules.filter((m) => m.startsWith("components/rules/")).sort(),
            ["components/rules/loadRules.ts", "components/rules/values.ts"],
            "no rule of a setting the stack leaves out",
        );
        assert.deepEqual(
            modules.filter((m) => m.includes("node_modules/@pulumi/azure-native/")),
            [],
        );
    });

    describe("resource graph", () => {
        it("registers exactly the resources of the manual procedure, once each", () => {
            const counts: Record<string, number> = {};
            for (const r of ev.recording.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
            assert.deepEqual(counts, {
                "pulumi:pulumi:Stack": 1,
                [T.component]: 1,
                [T.key]: 1,
                [T.cert]: 1,
                [T.app]: 1,
                [T.owner]: 1,
                [T.credential]: 1,
                [T.api]: 1,
                [T.sp]: 1,
                [T.consent]: 1,
                [T.role]: 1,
            });
        });
        it("parents every resource to the component, and the component to the stack", () => {
            const stack = only(ev, "pulumi:pulumi:Stack");
            const component = only(ev, T.component);
            assert.equal(component.parent, stack.urn);
            for (const r of ev.recording.resources.filter((x) => x.custom)) assert.equal(r.parent, component.urn, r.urn);
        });
        it("names every child after the component", () => {
            for (const r of ev.recording.resources.filter((x) => x.custom)) assert.match(r.name, /^exo-/, r.urn);
        });
        it("nothing failed in the simulated tenant", () => {
            assert.deepEqual(
                ev.recording.resources.filter((r) => r.failure).map((r) => `${r.urn}: ${r.failure}`),
                [],
            );
        });
    });

    describe("Entra wiring", () => {
        it("registers a single-tenant application with the display name", () => {
            const app = only(ev, T.app);
            assert.equal(app.inputs["displayName"], "EXO Reporting Script");
            assert.equal(app.inputs["signInAudience"], "AzureADMyOrg");
        });
        it("makes the deploying identity the owner by default", () => {
            assert.equal(only(ev, T.owner).inputs["ownerObjectId"], DEPLOYER_OBJECT_ID);
            assert.deepEqual(only(ev, T.sp).inputs["owners"], [DEPLOYER_OBJECT_ID]);
        });
        it("uploads the certificate to the application's resource id", () => {
            const app = only(ev, T.app);
            const credential = only(ev, T.credential);
            assert.equal(credential.inputs["applicationId"], `/applications/${str(app.outputs["objectId"])}`);
            assert.equal(credential.inputs["type"], "AsymmetricX509Cert");
            assert.equal(str(credential.inputs["value"]), str(only(ev, T.cert).outputs["certPem"]));
        });
        it("requests Exchange.ManageAsApp on Office 365 Exchange Online", () => {
            const api = only(ev, T.api);
            assert.equal(api.inputs["apiClientId"], "00000002-0000-0ff1-ce00-000000000000");
            assert.deepEqual(api.inputs["roleIds"], ["dc50a0fb-09a3-484d-be87-e023b12c6440"]);
            assert.equal(api.inputs["applicationId"], only(ev, T.credential).inputs["applicationId"]);
        });
        it("looks the permission up in the tenant instead of assuming it", () => {
            const lookups = ev.recording.invokes.filter((i) => i.token === "azuread:index/getServicePrincipal:getServicePrincipal");
            assert.deepEqual(
                lookups.map((i) => i.args),
                [{ clientId: EXO_APP_ID }],
            );
        });
        it("creates the service principal for the application's client id", () => {
            assert.equal(only(ev, T.sp).inputs["clientId"], only(ev, T.app).outputs["clientId"]);
        });
        it("grants admin consent to our service principal on Exchange Online's service principal", () => {
            const consent = only(ev, T.consent);
            assert.equal(consent.inputs["principalObjectId"], only(ev, T.sp).outputs["objectId"]);
            assert.equal(consent.inputs["resourceObjectId"], EXO_SP_OBJECT_ID);
            assert.equal(consent.inputs["appRoleId"], MANAGE_AS_APP_ROLE_ID);
        });
        it("assigns Exchange Administrator by template id to the service principal, tenant-wide", () => {
            const role = only(ev, T.role);
            assert.equal(role.inputs["roleId"], EXCHANGE_ADMINISTRATOR);
            assert.equal(role.inputs["principalObjectId"], only(ev, T.sp).outputs["objectId"]);
            assert.notEqual(role.inputs["principalObjectId"], only(ev, T.app).outputs["objectId"]);
            assert.equal(role.inputs["directoryScopeId"], "/");
        });
        it("asks only the invokes it needs", () => {
            assert.deepEqual(ev.recording.invokes.map((i) => i.token).sort(), [
                "azuread:index/getClientConfig:getClientConfig",
                "azuread:index/getDomains:getDomains",
                "azuread:index/getServicePrincipal:getServicePrincipal",
            ]);
            const domains = ev.recording.invokes.find((i) => i.token === "azuread:index/getDomains:getDomains");
            assert.deepEqual(domains?.args, { onlyInitial: true });
        });
    });

    describe("certificate", () => {
        it("generates an RSA key of certRsaBits and a certificate for client authentication", () => {
            assert.deepEqual(only(ev, T.key).inputs, { algorithm: "RSA", rsaBits: 2048 });
            const cert = only(ev, T.cert);
            assert.deepEqual(cert.inputs["subject"], { commonName: "EXO Reporting Script" });
            assert.equal(cert.inputs["validityPeriodHours"], 365 * 24);
            const text = openssl(["x509", "-noout", "-text"], str(outputs["certificatePem"] as never));
            assert.match(text, /Subject: CN ?= ?EXO Reporting Script/);
            assert.match(text, /Public-Key: \(2048 bit\)/);
            assert.match(text, /Digital Signature/);
            assert.match(text, /TLS Web Client Authentication/);
        });
        it("writes an ASCII common name as a PrintableString, as Go's encoder does", () => {
            assert.match(
                openssl(["asn1parse", "-inform", "pem"], str(outputs["certificatePem"] as never)),
                /PRINTABLESTRING\s+:EXO Reporting Script/,
            );
        });
        it("exports the thumbprint openssl computes for the exported certificate", () => {
            assert.match(String(outputs["thumbprint"]), /^[0-9A-F]{40}$/);
            assert.equal(outputs["thumbprint"], opensslThumbprint(String(outputs["certificatePem"])));
        });
        it("ends the credential exactly at the certificate's NotAfter, never later", () => {
            const notAfter = opensslNotAfter(String(outputs["certificatePem"]));
            const endDate = str(only(ev, T.credential).inputs["endDate"]);
            assert.equal(Date.parse(endDate), notAfter.getTime());
            assert.equal(Date.parse(String(outputs["certificateNotAfter"])), notAfter.getTime());
        });
        it("exports a private key that belongs to the certificate", () => {
            const keyPem = str(outputs["privateKeyPem"] as never);
            const keyModulus = openssl(["rsa", "-noout", "-modulus"], keyPem);
            const certModulus = openssl(["x509", "-noout", "-modulus"], String(outputs["certificatePem"]));
            assert.equal(keyModulus, certModulus);
        });
    });

    describe("outputs", () => {
        it("exports exactly the documented names", () => {
            assert.deepEqual(Object.keys(outputs).sort(), OUTPUT_NAMES);
        });
        it("describes the tenant, the application and the service principal", () => {
            assert.equal(outputs["tenantId"], TENANT_ID);
            assert.equal(outputs["organization"], "contoso.onmicrosoft.com", "the initial domain, not the default contoso.com");
            assert.equal(outputs["appId"], only(ev, T.app).outputs["clientId"]);
            assert.equal(outputs["applicationObjectId"], only(ev, T.app).outputs["objectId"]);
            assert.equal(outputs["servicePrincipalObjectId"], only(ev, T.sp).outputs["objectId"]);
        });
        it("hands over a ready Connect-ExchangeOnline line for Windows", () => {
            assert.equal(
                outputs["connectCommand"],
                `Connect-ExchangeOnline -CertificateThumbprint '${String(outputs["thumbprint"])}' -AppId '${String(outputs["appId"])}' -Organization 'contoso.onmicrosoft.com'`,
            );
        });
        it("lists the assigned directory roles with their template ids", () => {
            assert.deepEqual(outputs["directoryRoles"], [{ name: "Exchange Administrator", templateId: EXCHANGE_ADMINISTRATOR }]);
        });
        it("hands over a PFX-file form for Linux and macOS", () => {
            const line = String(outputs["connectCommandCrossPlatform"]);
            assert.match(line, /-CertificateFilePath '<path-to-certificate\.pfx>'/);
            assert.ok(line.includes(`-AppId '${String(outputs["appId"])}'`));
        });
    });

    describe("secrets", () => {
        it("marks the private key output secret", () => {
            assert.ok(isSecret(outputs["privateKeyPem"] as never));
            assert.match(str(outputs["privateKeyPem"] as never), /-----BEGIN RSA PRIVATE KEY-----/);
        });
        it("puts key material in no plain output, log or console line", () => {
            const key = str(outputs["privateKeyPem"] as never);
            const keyBody = key.split("\n").slice(1, -2).join("");
            const plain = JSON.stringify(redact(outputs as never)) + allText(ev);
            assert.ok(!plain.includes("PRIVATE KEY"), "a private key header is visible");
            for (const line of key.split("\n").slice(1, -2)) assert.ok(!plain.includes(line), "a private key line is visible");
            assert.ok(keyBody.length > 1000);
        });
    });

    describe("determinism", () => {
        it("registers identical inputs and outputs when the same stack runs again, and changes nothing", async () => {
            const again = await run(stackConfig({}), { prior: ev });
            const shape = (e: Evaluation) =>
                [...e.recording.resources]
                    .sort((a, b) => a.urn.localeCompare(b.urn))
                    .map((r) => [r.urn, r.parent, r.inputs, r.dependencies]);
            assert.deepEqual(shape(again), shape(ev));
            assert.deepEqual(again.outputs, ev.outputs);
            assert.deepEqual(steps(again), [], "a second pulumi up with the same configuration must preview no changes");
        });
    });
});

describe("preview of a new stack", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await run(stackConfig({}), { preview: true });
    });
    it("completes without errors", () => assert.equal(ev.failed, false, ev.errors.join("\n")));
    it("registers the same resources as an update", () => {
        assert.equal(ofType(ev, T.role).length, 1);
        assert.equal(ev.recording.resources.filter((r) => r.custom).length, 9);
    });
    it("leaves what only creation can tell unknown, and knows what the tenant told", () => {
        const out = ev.outputs ?? {};
        for (const name of ["appId", "thumbprint", "certificateNotAfter", "connectCommand"]) {
            assert.deepEqual(out[name], { $unknown: true }, name);
        }
        assert.equal(out["tenantId"], TENANT_ID);
        assert.equal(out["organization"], "contoso.onmicrosoft.com");
    });
});

describe("a display name beyond ASCII, and object ids in upper case", () => {
    const name = "EXO Zürich 交换脚本";
    let ev: Evaluation;
    before(async () => {
        ev = await run(
            stackConfig({
                "exo-cba:displayName": name,
                "exo-cba:owners": [DEPLOYER_OBJECT_ID.toUpperCase()],
                "exo-cba:managedIdentities": [{ name: "automation", objectId: AUTOMATION_IDENTITY_ID.toUpperCase() }],
            }),
        );
    });
    it("deploy: Graph compares object ids in any letter case", () =>
        assert.equal(ev.failed, false, `${ev.errors.join("\n")}\n${ev.stderr}`));
    it("the name is the certificate's common name, as a UTF8String (Go's encoder writes one for what PrintableString cannot hold)", () => {
        const pem = str(ev.outputs?.["certificatePem"]);
        assert.match(openssl(["x509", "-noout", "-subject", "-nameopt", "utf8,sep_multiline"], pem), new RegExp(`CN=${name}\\n`));
        assert.match(openssl(["asn1parse", "-inform", "pem"], pem), /UTF8STRING\s+:/);
    });
});

describe("an initial domain the tenant reports that is no domain name", () => {
    for (const [what, domain] of [
        ["a terminal escape", "contoso\u001b]0;pwned\u0007.onmicrosoft.com"],
        ["a line break", "contoso.onmicrosoft.com\nConnect-Other"],
        ["nothing", ""],
    ] as const) {
        it(`(${what}) fails the run with an explanation and reaches no connect line`, async () => {
            const tenant = contoso();
            const domains = tenant.domains.map((d) => (d.initial ? { ...d, domainName: domain } : d));
            const ev = await run(stackConfig({}), { tenant: { ...tenant, domains } });
            assert.equal(ev.failed, true);
            assert.match(
                ev.errors.join("\n"),
                /The tenant reported the initial domain .*, which is not a bare domain name: .* Set exo-cba:organization/,
            );
            assert.equal(ev.outputs, undefined);
            assert.ok(!hasControlCharacters(allText(ev).replaceAll("\n", "")), "a control character was printed");
        });
    }
});
