/**
 * One application for many tenants: a home stack in the provider's tenant (Contoso) with a multitenant
 * application and its key, and customer stacks (Fabrikam) that name it in exo-cba:home and get, in their own
 * tenant, only the home application's service principal, consent and roles. Both stacks run as `pulumi up`
 * runs them, the customer reading the home's deployment as the engine reads another stack's outputs, and the simulated
 * Graph making another tenant's service principal only for an application that exists and is multitenant.
 * The consent URL and ids are typed here from Microsoft's app-only guide, not taken from the program.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import type { Evaluation } from "../engine/engine.mts";
import { SimulatedTenant } from "../engine/tenant.mts";
import { parseOutputs } from "../components/outputsReader.ts";
import {
    EOP_APP_ID,
    EOP_MANAGE_AS_APP_ROLE_ID,
    FABRIKAM_EXO_SP_OBJECT_ID,
    FABRIKAM_TENANT_ID,
    MANAGE_AS_APP_ROLE_ID,
    ROLE_TEMPLATE_IDS,
    TENANT_ID,
    contoso,
    contosoGov,
    fabrikam,
} from "./support/contoso.mts";
import { runTool } from "./support/cli.mts";
import { makePlan } from "../tools/plan/offlinePlan.mts";
import { loadStackConfig } from "../engine/stackConfig.mts";
import {
    allText,
    isSecret,
    ofType,
    only,
    opensslThumbprint,
    projectCopy,
    reveal,
    run,
    stackConfig,
    steps,
    str,
    tempDir,
} from "./support/harness.mts";

const T = {
    stack: "pulumi:pulumi:Stack",
    app: "azuread:index/applicationRegistration:ApplicationRegistration",
    sp: "azuread:index/servicePrincipal:ServicePrincipal",
    consent: "azuread:index/appRoleAssignment:AppRoleAssignment",
    role: "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
};
const HOME = "contoso-msp/exo-cba/home";

function outputs(ev: Evaluation): Record<string, unknown> {
    assert.equal(ev.failed, false, ev.errors.join("\n"));
    return reveal(ev.outputs as never) as Record<string, unknown>;
}

/** The home's application as the home's tenant registered it (the recording, not the outputs). */
function registeredApp(home: Evaluation): { clientId: string; signInAudience: string } {
    const app = only(home, T.app);
    return { clientId: str(app.outputs["clientId"]), signInAudience: str(app.inputs["signInAudience"]) };
}

/** Contoso's home stack with the defaults and a multitenant application, deployed once for every test that only reads it. */
let deployedHome: Promise<Evaluation> | undefined;
function multitenantHome(): Promise<Evaluation> {
    deployedHome ??= run(stackConfig({ "exo-cba:multitenant": true }, "home"), { tenant: contoso() });
    return deployedHome;
}

function customer(config: Record<string, unknown>, otherStacks: Record<string, Evaluation>, tenant = fabrikam()) {
    return run(stackConfig({ "exo-cba:home": HOME, ...config }, "fabrikam"), { tenant, otherStacks });
}

/** A run refused before anything was registered: only the stack itself, one error naming exo-cba:home. */
function assertRefused(ev: Evaluation, pattern: RegExp): void {
    assert.equal(ev.failed, true);
    assert.deepEqual(
        ev.recording.resources.map((r) => r.type),
        [T.stack],
        "nothing registered",
    );
    const error = ev.errors.join("\n");
    assert.match(error, pattern);
    assert.match(error, /exo-cba:home/);
}

describe("a home stack", () => {
    it("makes its application multitenant, says so in an output, and switches an existing application in place", async () => {
        const single = await run(stackConfig({}, "home"), { tenant: contoso() });
        assert.equal(registeredApp(single).signInAudience, "AzureADMyOrg");
        assert.equal(outputs(single)["multitenant"], undefined);
        const home = await run(stackConfig({ "exo-cba:multitenant": true }, "home"), { tenant: contoso(), prior: single });
        assert.equal(registeredApp(home).signInAudience, "AzureADMultipleOrgs");
        assert.equal(outputs(home)["multitenant"], true);
        // The same application (and so every customer's grants): an update, nothing replaced.
        assert.deepEqual(steps(home), ["update exo-app"]);
        assert.deepEqual(only(home, T.app).changed, ["signInAudience"]);
    });
});

describe("a customer stack", () => {
    let home: Evaluation;
    let fab: Evaluation;
    before(async () => {
        home = await multitenantHome();
        fab = await customer({}, { [HOME]: home });
    });

    it("registers in its tenant only the home application's service principal, its consent and its roles", () => {
        assert.equal(fab.failed, false, fab.errors.join("\n"));
        const custom = fab.recording.resources.filter((r) => r.custom).map((r) => r.type);
        assert.deepEqual(custom.sort(), [T.consent, T.role, T.sp].sort(), "no application, key, certificate or credential");
        const sp = only(fab, T.sp);
        assert.equal(str(sp.inputs["clientId"]), registeredApp(home).clientId);
        assert.equal(str(sp.outputs["applicationTenantId"]), TENANT_ID, "the application is Contoso's");
        const consent = only(fab, T.consent);
        assert.equal(str(consent.inputs["appRoleId"]), MANAGE_AS_APP_ROLE_ID);
        assert.equal(str(consent.inputs["resourceObjectId"]), FABRIKAM_EXO_SP_OBJECT_ID, "Fabrikam's own Exchange Online");
        assert.equal(str(consent.inputs["principalObjectId"]), str(sp.outputs["objectId"]));
        assert.equal(str(only(fab, T.role).inputs["roleId"]), ROLE_TEMPLATE_IDS["Exchange Administrator"]);
        assert.deepEqual(
            fab.recording.invokes.filter((i) => i.token.startsWith("pulumi:")).map((i) => [i.token, i.args["name"]]),
            [
                ["pulumi:pulumi:readStackOutputs", HOME],
                ["pulumi:pulumi:readStackOutputs", "organization/exo-cba/fabrikam"],
            ],
            "the home's outputs read from the backend, then this stack's own last deployment's",
        );
    });

    it("connects to its own tenant with the home's application and active certificate", () => {
        const h = outputs(home);
        const o = outputs(fab);
        const thumbprint = opensslThumbprint(String(h["certificatePem"]));
        const appId = registeredApp(home).clientId;
        assert.equal(o["tenantId"], FABRIKAM_TENANT_ID);
        assert.equal(o["organization"], "fabrikam.onmicrosoft.com");
        assert.equal(o["appId"], appId);
        assert.equal(o["thumbprint"], thumbprint);
        assert.equal(
            o["connectCommand"],
            `Connect-ExchangeOnline -CertificateThumbprint '${thumbprint}' -AppId '${appId}' -Organization 'fabrikam.onmicrosoft.com'`,
        );
        assert.match(
            String(o["connectCommandCrossPlatform"]),
            new RegExp(`-AppId '${appId}' -Organization 'fabrikam\\.onmicrosoft\\.com'`),
        );
        // Microsoft's app-only guide, step 4b: https://login.microsoftonline.com/<tenant-id>/adminconsent?client_id=<client-id>&scope=https://outlook.office365.com/.default
        assert.equal(
            o["adminConsentUrl"],
            `https://login.microsoftonline.com/${FABRIKAM_TENANT_ID}/adminconsent?client_id=${appId}&scope=https://outlook.office365.com/.default`,
        );
        assert.equal(o["home"], HOME);
        assert.deepEqual(o["certificates"], h["certificates"], "the home's generations, the active one marked");
        for (const own of ["privateKeyPem", "applicationObjectId", "multitenant", "keyVaultSecretUri"])
            assert.equal(o[own], undefined, own);
        assert.equal(
            Object.values(fab.outputs ?? {}).some((v) => isSecret(v)),
            false,
            "no secret of the home's",
        );
        assert.deepEqual(parseOutputs(o).problems, []);
    });

    it("never carries the home's private key, in outputs, logs or anything the run printed", () => {
        const key = String(outputs(home)["privateKeyPem"]);
        const body = key.split("\n")[1];
        assert.ok(body.length > 40, "the home has a key");
        const everything = JSON.stringify(reveal(fab.outputs as never)) + allText(fab) + JSON.stringify(fab.recording.resources);
        assert.equal(everything.includes(body), false);
        assert.equal(outputs(fab)["certificatePem"], outputs(home)["certificatePem"], "the public certificate, as the home has it");
    });

    it("takes over the service principal an administrator's consent already made", async () => {
        const consented = "6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c";
        const tenant = fabrikam();
        const ev = await customer(
            {},
            { [HOME]: home },
            {
                ...tenant,
                servicePrincipals: [
                    ...tenant.servicePrincipals,
                    { objectId: consented, clientId: registeredApp(home).clientId, displayName: "EXO Reporting Script", appRoles: [] },
                ],
            },
        );
        assert.equal(outputs(ev)["servicePrincipalObjectId"], consented);
        assert.equal(str(only(ev, T.consent).inputs["principalObjectId"]), consented);
    });

    it("rotation happens once, at home: a customer's next run changes no resource and connects with the new certificate", async () => {
        const rotated = await run(stackConfig({ "exo-cba:multitenant": true, "exo-cba:certificates": ["initial", "2027"] }, "home"), {
            tenant: contoso(),
            prior: home,
        });
        const rerun = await run(stackConfig({ "exo-cba:home": HOME }, "fabrikam"), {
            tenant: fabrikam(),
            otherStacks: { [HOME]: rotated },
            prior: fab,
        });
        assert.deepEqual(steps(rerun), [], "nothing in Fabrikam's tenant changes");
        const newest = (outputs(rotated)["certificates"] as { name: string; thumbprint: string; active: boolean }[]).at(-1)!;
        assert.equal(newest.name, "2027");
        assert.equal(outputs(rerun)["thumbprint"], newest.thumbprint);
        assert.match(String(outputs(rerun)["connectCommand"]), new RegExp(newest.thumbprint));
        assert.deepEqual(outputs(rerun)["certificates"], outputs(rotated)["certificates"]);
    });
});

describe("the tools on a customer stack, whose key and rotation are its home's", () => {
    let file: string;
    before(async () => {
        const home = await multitenantHome();
        const fab = await customer({}, { [HOME]: home });
        file = path.join(tempDir("customer-"), "outputs.json");
        fs.writeFileSync(file, JSON.stringify(outputs(fab)));
    });

    it("check-expiry judges the home's certificates and says where they are rotated", async () => {
        const r = await runTool("check-expiry", ["--stack", "fabrikam", "--outputs-file", file]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /initial \(active\)/);
        assert.match(r.stdout, /the home stack's certificates \("contoso-msp\/exo-cba\/home"\).*rotate there/);
    });

    it("export-cert sends the operator to the home, where the key is", async () => {
        const r = await runTool("export-cert", ["--stack", "fabrikam", "--outputs-file", file, "--out", tempDir("export-")]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /customer stack.*npm run export-cert -- --stack contoso-msp\/exo-cba\/home/);
        assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
    });

    it("verify without --key-file says the key is the home's", async () => {
        const r = await runTool("verify", ["--stack", "fabrikam", "--outputs-file", file]);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, /customer stack: its application's key is the home stack's.*--key-file/);
    });
});

describe("the offline plan of a customer stack", () => {
    it("plans against the home stack of this project, deployed from its own stack file", async () => {
        const dir = projectCopy({
            "Pulumi.msp-home.yaml": "config:\n  exo-cba:multitenant: true\n",
            "Pulumi.fabrikam.yaml":
                "config:\n  exo-cba:home: contoso-msp/exo-cba/msp-home\n  exo-cba:organization: fabrikam.onmicrosoft.com\n",
        });
        const plan = await makePlan(loadStackConfig(dir, "fabrikam"), { projectDir: dir });
        assert.deepEqual(plan.errors, []);
        assert.deepEqual(
            plan.resources
                .filter((r) => r.type.startsWith("azuread:"))
                .map((r) => r.type)
                .sort(),
            [T.consent, T.role, T.sp].sort(),
        );
        assert.match(plan.warnings[0] ?? "", /home stack's outputs are simulated from Pulumi\.msp-home\.yaml/);
        assert.match(str(plan.outputs["connectCommand"]), /-Organization 'fabrikam\.onmicrosoft\.com'/);
    });

    it("says, as pulumi preview would, that a home it has no stack file of cannot be read", async () => {
        const dir = projectCopy({ "Pulumi.fabrikam.yaml": "config:\n  exo-cba:home: contoso-msp/other-project/home\n" });
        const plan = await makePlan(loadStackConfig(dir, "fabrikam"), { projectDir: dir });
        assert.match(plan.errors.join("\n"), /exo-cba:home "contoso-msp\/other-project\/home" could not be read \(.*unknown stack/);
        assert.equal(plan.resources.filter((r) => r.type.startsWith("azuread:")).length, 0);
    });
});

describe("an administrator's consent first (adminConsentUrl), for a tenant whose deployer may not consent", () => {
    let home: Evaluation;
    let consented: ReturnType<typeof fabrikam>;
    const SP = "6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c";
    before(async () => {
        home = await multitenantHome();
        const tenant = fabrikam();
        // What the consent page leaves: the service principal, and the permission granted to it.
        consented = {
            ...tenant,
            servicePrincipals: [
                ...tenant.servicePrincipals,
                { objectId: SP, clientId: registeredApp(home).clientId, displayName: "EXO Reporting Script", appRoles: [] },
            ],
            appRoleAssignments: [{ principalId: SP, resourceId: FABRIKAM_EXO_SP_OBJECT_ID, appRoleId: MANAGE_AS_APP_ROLE_ID }],
        };
    });

    it("fails where the stack grants the consent again, as Graph refuses a second", async () => {
        const ev = await customer({}, { [HOME]: home }, consented);
        assert.equal(ev.failed, true);
        assert.match(ev.errors.join("\n"), /Permission being assigned already exists on the object/);
    });

    it("with consentedByAdministrator, takes the service principal over, grants no consent and assigns the roles", async () => {
        const ev = await customer({ "exo-cba:consentedByAdministrator": true }, { [HOME]: home }, consented);
        assert.equal(ev.failed, false, ev.errors.join("\n"));
        assert.equal(ofType(ev, T.consent).length, 0);
        assert.equal(str(only(ev, T.role).inputs["principalObjectId"]), SP);
        assert.equal(outputs(ev)["servicePrincipalObjectId"], SP);
    });

    it("refuses consentedByAdministrator in a stack with an application of its own", async () => {
        const ev = await run(stackConfig({ "exo-cba:consentedByAdministrator": true }, "home"), { tenant: contoso() });
        assert.equal(ev.failed, true);
        assert.match(ev.errors.join("\n"), /exo-cba:consentedByAdministrator is for a customer stack/);
    });
});

describe("a customer stack against its own last deployment", () => {
    it("refuses to turn a stack with an application of its own into a customer stack, which would delete the application", async () => {
        const home = await multitenantHome();
        const own = await run(stackConfig({}, "fabrikam"), { tenant: fabrikam() });
        assert.equal(own.failed, false, own.errors.join("\n"));
        const ev = await run(stackConfig({ "exo-cba:home": HOME }, "fabrikam"), {
            tenant: fabrikam(),
            otherStacks: { [HOME]: home },
            prior: own,
        });
        assertRefused(
            ev,
            /would make this stack, deployed with an application of its own, a customer stack: pulumi up would delete that application/,
        );
        // A home given a home by mistake: its customers are named too.
        const other = await run(stackConfig({ "exo-cba:multitenant": true }, "other"), { tenant: fabrikam() });
        const homeAsCustomer = await run(stackConfig({ "exo-cba:home": HOME }, "other"), {
            tenant: fabrikam(),
            otherStacks: { [HOME]: home },
            prior: other,
        });
        assertRefused(homeAsCustomer, /every customer stack of this home would lose access/);
    });

    it("warns when the home's application is another than last time: the grants move to it", async () => {
        const home = await multitenantHome();
        const fab = await customer({}, { [HOME]: home });
        const rebuilt = await run(stackConfig({ "exo-cba:multitenant": true }, "home"), {
            tenant: contoso({ tenantId: "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9" }),
        });
        const ev = await run(stackConfig({ "exo-cba:home": HOME }, "fabrikam"), {
            tenant: fabrikam(),
            otherStacks: { [HOME]: rebuilt },
            prior: fab,
        });
        assert.equal(ev.failed, false, ev.errors.join("\n"));
        assert.ok(
            ev.warnings.some((w) => w.includes(`has another application than last time (${JSON.stringify(registeredApp(home).clientId)}`)),
            ev.warnings.join("\n"),
        );
        assert.deepEqual(steps(ev), ["replace exo-consent", "replace exo-role-exchange-administrator", "replace exo-sp"].sort());
    });
});

describe("customer stacks in other clouds and modes", () => {
    it("GCC High: Exchange Online Protection's consent too, and the US Government sign-in host in the consent URL", async () => {
        const gov = { "exo-cba:cloud": "gcc-high", "azuread:environment": "usgovernment" };
        const home = await run(stackConfig({ ...gov, "exo-cba:multitenant": true }, "home"), { tenant: contosoGov() });
        const fabGov = contosoGov({
            tenantId: FABRIKAM_TENANT_ID,
            domains: [{ ...fabrikam().domains[0], domainName: "fabrikam.onmicrosoft.us" }],
        });
        const ev = await run(stackConfig({ ...gov, "exo-cba:home": HOME }, "fabrikam"), { tenant: fabGov, otherStacks: { [HOME]: home } });
        const consents = ofType(ev, T.consent).map((c) => str(c.inputs["appRoleId"]));
        assert.deepEqual(consents.sort(), [MANAGE_AS_APP_ROLE_ID, EOP_MANAGE_AS_APP_ROLE_ID].sort());
        const appId = registeredApp(home).clientId;
        assert.equal(
            outputs(ev)["adminConsentUrl"],
            `https://login.microsoftonline.us/${FABRIKAM_TENANT_ID}/adminconsent?client_id=${appId}&scope=https://outlook.office365.us/.default`,
        );
        assert.match(String(outputs(ev)["connectCommand"]), /-ExchangeEnvironmentName O365USGovGCCHigh$/);
        assert.ok(EOP_APP_ID);
    });

    it("a home that signs in with federated credentials only: the customer's line takes a token", async () => {
        const home = await run(
            stackConfig(
                {
                    "exo-cba:multitenant": true,
                    "exo-cba:certificates": [],
                    "exo-cba:federatedCredentials": [
                        { name: "github-msp", github: "contoso-msp/exchange-scripts", environment: "production" },
                    ],
                },
                "home",
            ),
            { tenant: contoso() },
        );
        const o = outputs(await customer({}, { [HOME]: home }));
        assert.equal(o["connectCommand"], undefined);
        assert.equal(
            o["connectCommandAccessToken"],
            "Connect-ExchangeOnline -AccessToken $accessToken -Organization 'fabrikam.onmicrosoft.com'",
        );
        assert.deepEqual(o["certificates"], []);
    });

    it("refuses a home whose outputs a customer would copy a secret from", async () => {
        const home = await multitenantHome();
        const tampered: Evaluation = { ...home, outputs: { ...home.outputs!, thumbprint: { $secret: home.outputs!["thumbprint"]! } } };
        assertRefused(await customer({}, { [HOME]: tampered }), /has a secret output thumbprint/);
    });
});

describe("homes a customer stack cannot use, refused before anything is registered", () => {
    let single: Evaluation;
    let home: Evaluation;
    before(async () => {
        [single, home] = await Promise.all([run(stackConfig({}, "home"), { tenant: contoso() }), multitenantHome()]);
    });

    it("a stack that is not deployed (or not there)", async () => {
        assertRefused(await customer({}, {}), /could not be read \(.*unknown stack "contoso-msp\/exo-cba\/home"\)/);
    });

    it("a home whose application is for its own tenant only", async () => {
        assertRefused(await customer({}, { [HOME]: single }), /own tenant only.*exo-cba:multitenant true/);
    });

    it("a home in another cloud", async () => {
        const ev = await run(
            stackConfig({ "exo-cba:home": HOME, "exo-cba:cloud": "gcc-high", "azuread:environment": "usgovernment" }, "fabrikam"),
            { tenant: fabrikam(), otherStacks: { [HOME]: home } },
        );
        assertRefused(ev, /in the .* cloud and this stack in the .* cloud.*its own cloud only/);
    });

    it("a home that is itself a customer stack", async () => {
        const fab = await customer({}, { [HOME]: home });
        assert.equal(fab.failed, false, fab.errors.join("\n"));
        const ev = await run(stackConfig({ "exo-cba:home": "contoso-msp/exo-cba/fabrikam" }, "northwind"), {
            tenant: fabrikam({ tenantId: "0d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d" }),
            otherStacks: { [HOME]: home, "contoso-msp/exo-cba/fabrikam": fab },
        });
        assertRefused(ev, /is itself a customer stack, of "contoso-msp\/exo-cba\/home"/);
    });

    it("a home in this stack's own tenant, whose service principal a customer stack would take over", async () => {
        assertRefused(await customer({}, { [HOME]: home }, contoso()), /is in this stack's own tenant/);
    });

    it("a home without an application", async () => {
        const identities = await run(
            stackConfig(
                {
                    "exo-cba:application": false,
                    "exo-cba:managedIdentities": [{ name: "automation", objectId: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a" }],
                },
                "home",
            ),
            { tenant: contoso() },
        );
        assertRefused(await customer({}, { [HOME]: identities }), /has no application/);
    });
});

describe("a customer stack's settings", () => {
    it("refuses what belongs to the home (an application's settings, multitenant, application false) and a home that is not a full name", async () => {
        const cases: [Record<string, unknown>, RegExp][] = [
            [{ "exo-cba:certificates": ["2027"] }, /exo-cba:certificates has no effect in a customer stack/],
            [{ "exo-cba:keyVaultId": "/subscriptions/x" }, /exo-cba:keyVaultId has no effect in a customer stack/],
            [{ "exo-cba:multitenant": true }, /exo-cba:multitenant is for the home stack/],
            [{ "exo-cba:application": false }, /exo-cba:application is false, which means no application at all/],
            [{ "exo-cba:home": "exo-cba/home" }, /exo-cba:home must be the home stack's full name <organization>\/<project>\/<stack>/],
            [{ "exo-cba:home": "contoso-msp/exo-cba/home\nResources: 0" }, /exo-cba:home must be .*\\n/],
        ];
        const runs = await Promise.all(cases.map(([config]) => customer(config, {})));
        for (const [i, [config, pattern]] of cases.entries()) {
            const ev = runs[i];
            assert.equal(ev.failed, true, JSON.stringify(config));
            assert.match(ev.errors.join("\n"), pattern, JSON.stringify(config));
            assert.equal(ev.recording.invokes.length, 0, "the home is not even read");
            assert.equal(ev.recording.resources.filter((r) => r.custom).length, 0);
        }
    });

    it("warns about an application setting given a value here, which the home decides", async () => {
        const home = await multitenantHome();
        const ev = await customer({ "exo-cba:displayName": "Fabrikam reports" }, { [HOME]: home });
        assert.equal(ev.failed, false, ev.errors.join("\n"));
        assert.ok(
            ev.warnings.some((w) => /displayName has no effect in a customer stack/.test(w)),
            ev.warnings.join("\n"),
        );
    });
});

describe("the simulated Graph: another tenant's service principal", () => {
    const CLIENT = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9";
    const make = (signInAudience: string, inputs: Record<string, unknown> = {}) =>
        new SimulatedTenant({
            tenant: fabrikam(),
            preview: false,
            foreignApplications: [{ clientId: CLIENT, displayName: "EXO Reporting Script", signInAudience, tenantId: TENANT_ID }],
        }).newResource({ type: T.sp, name: "exo-sp", inputs: { clientId: CLIENT, ...inputs } });

    it("is made for a multitenant application only: a single-tenant one is unknown here", () => {
        assert.equal(make("AzureADMultipleOrgs").state["applicationTenantId"], TENANT_ID);
        assert.throws(() => make("AzureADMyOrg"), /does not reference a valid application object/);
    });

    it("exists once per tenant: a second is refused unless taken over (useExisting)", () => {
        const tenant = new SimulatedTenant({
            tenant: fabrikam(),
            preview: false,
            foreignApplications: [{ clientId: CLIENT, displayName: "x", signInAudience: "AzureADMultipleOrgs", tenantId: TENANT_ID }],
        });
        const first = tenant.newResource({ type: T.sp, name: "a", inputs: { clientId: CLIENT } });
        assert.throws(() => tenant.newResource({ type: T.sp, name: "b", inputs: { clientId: CLIENT } }), /already exists/);
        const taken = tenant.newResource({ type: T.sp, name: "b", inputs: { clientId: CLIENT, useExisting: true } });
        assert.equal(taken.state["objectId"], first.state["objectId"]);
    });
});
