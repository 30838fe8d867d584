/**
 * Every Microsoft cloud and both Exchange shells, run as `pulumi up` runs the program. The expected
 * values are typed from Microsoft's pages, not taken from the program: -ExchangeEnvironmentName from the
 * Connect-ExchangeOnline reference, Connect-IPPSSession's endpoints from "Connect to Security & Compliance
 * PowerShell", Exchange Online Protection's ids from the app-only page's GCC High/DoD manifest, the roles
 * that reach Security & Compliance PowerShell from its app-only role table.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Evaluation } from "../engine/engine.mts";
import {
    AUTOMATION_IDENTITY_ID,
    EOP_APP_ID,
    EOP_MANAGE_AS_APP_ROLE_ID,
    EOP_SP_OBJECT_ID,
    EXO_APP_ID,
    contoso,
    contosoChina,
    contosoGov,
    withoutCaveat,
} from "./support/contoso.mts";
import { findRole } from "../components/microsoft.ts";
import { ofType, only, run, stackConfig } from "./support/harness.mts";

const API = "azuread:index/applicationApiAccess:ApplicationApiAccess";
const CONSENT = "azuread:index/appRoleAssignment:AppRoleAssignment";
const FEDERATED = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential";

function outputs(ev: Evaluation): Record<string, unknown> {
    assert.equal(ev.failed, false, `${ev.errors.join("\n")}\n${ev.stderr}`);
    return ev.outputs ?? {};
}

const SC_ROLES = ["Global Reader", "Compliance Administrator", "Security Reader", "Security Administrator", "Global Administrator"];
const EXO_ONLY_ROLES = ["Exchange Administrator", "Exchange Recipient Administrator", "Helpdesk Administrator"];

describe("GCC High", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await run(
            stackConfig({
                "azuread:environment": "usgovernment",
                "exo-cba:cloud": "gcc-high",
                "exo-cba:roles": ["Exchange Administrator", "Compliance Administrator"],
                "exo-cba:managedIdentities": [{ name: "automation", objectId: AUTOMATION_IDENTITY_ID }],
            }),
            { tenant: contosoGov() },
        );
    });
    it("names the cloud on every Connect-ExchangeOnline line", () => {
        const out = outputs(ev);
        assert.equal(out["cloud"], "gcc-high");
        assert.equal(out["exchangeEnvironmentName"], "O365USGovGCCHigh");
        assert.match(String(out["connectCommand"]), /-Organization 'contoso\.onmicrosoft\.us' -ExchangeEnvironmentName O365USGovGCCHigh$/);
        assert.match(String(out["connectCommandCrossPlatform"]), / -ExchangeEnvironmentName O365USGovGCCHigh$/);
        const [mi] = out["managedIdentities"] as { connectCommand: string }[];
        assert.equal(
            mi.connectCommand,
            "Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.us' -ExchangeEnvironmentName O365USGovGCCHigh",
        );
    });
    it("requests Exchange.ManageAsApp from Exchange Online Protection too, with the role id the tenant publishes", () => {
        const eop = ofType(ev, API).find((r) => r.inputs["apiClientId"] === EOP_APP_ID);
        assert.ok(eop, "no permission request for Exchange Online Protection");
        assert.equal(eop.name, "exo-api-access-eop");
        assert.deepEqual(eop.inputs["roleIds"], [EOP_MANAGE_AS_APP_ROLE_ID]);
        assert.ok(
            ofType(ev, API).some((r) => r.inputs["apiClientId"] === EXO_APP_ID),
            "the Exchange Online request stays",
        );
    });
    it("grants that consent to the application and to every managed identity", () => {
        const eopGrants = ofType(ev, CONSENT).filter((r) => r.inputs["resourceObjectId"] === EOP_SP_OBJECT_ID);
        assert.deepEqual(eopGrants.map((r) => [r.name, r.inputs["appRoleId"]]).sort(), [
            ["exo-consent-eop", EOP_MANAGE_AS_APP_ROLE_ID],
            ["exo-mi-automation-consent-eop", EOP_MANAGE_AS_APP_ROLE_ID],
        ]);
        assert.equal(
            eopGrants.find((r) => r.name === "exo-mi-automation-consent-eop")!.inputs["principalObjectId"],
            AUTOMATION_IDENTITY_ID,
        );
        for (const r of eopGrants) assert.equal(r.failure, undefined);
    });
    it("gives the Security & Compliance line with GCC High's endpoints", () => {
        assert.match(
            withoutCaveat(outputs(ev)["connectIppsCommand"]),
            /^Connect-IPPSSession -CertificateThumbprint '[0-9A-F]{40}' -AppId '[0-9a-f-]{36}' -Organization 'contoso\.onmicrosoft\.us' -ConnectionUri 'https:\/\/ps\.compliance\.protection\.office365\.us\/powershell-liveid\/' -AzureADAuthorizationEndpointUri 'https:\/\/login\.microsoftonline\.us\/organizations'$/,
        );
    });
});

describe("DoD and China", () => {
    let dod: Evaluation;
    let china: Evaluation;
    before(async () => {
        [dod, china] = await Promise.all([
            run(stackConfig({ "azuread:environment": "dod", "exo-cba:cloud": "dod", "exo-cba:roles": ["Global Reader"] }), {
                tenant: contosoGov(),
            }),
            run(
                stackConfig({
                    "azuread:environment": "china",
                    "exo-cba:cloud": "china",
                    "exo-cba:roles": ["Security Reader"],
                    "exo-cba:federatedCredentials": [{ name: "github-reports", github: "contoso/reports", branch: "main" }],
                }),
                { tenant: contosoChina() },
            ),
        ]);
    });
    it("DoD: O365USGovDoD, the Exchange Online Protection grant, and the DoD Security & Compliance endpoint", () => {
        const out = outputs(dod);
        assert.equal(out["exchangeEnvironmentName"], "O365USGovDoD");
        assert.match(String(out["connectCommand"]), / -ExchangeEnvironmentName O365USGovDoD$/);
        assert.ok(ofType(dod, API).some((r) => r.inputs["apiClientId"] === EOP_APP_ID));
        assert.match(
            withoutCaveat(out["connectIppsCommand"]),
            / -ConnectionUri 'https:\/\/l5\.ps\.compliance\.protection\.office365\.us\/powershell-liveid\/' -AzureADAuthorizationEndpointUri 'https:\/\/login\.microsoftonline\.us\/organizations'$/,
        );
    });
    it("China: O365China, no Exchange Online Protection grant, China's audience for federated credentials", () => {
        const out = outputs(china);
        assert.equal(out["exchangeEnvironmentName"], "O365China");
        assert.match(String(out["connectCommand"]), /-Organization 'contoso\.partner\.onmschina\.cn' -ExchangeEnvironmentName O365China$/);
        assert.match(String(out["connectCommandAccessToken"]), / -ExchangeEnvironmentName O365China$/);
        assert.deepEqual(
            ofType(china, API).map((r) => r.inputs["apiClientId"]),
            [EXO_APP_ID],
        );
        // learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity
        assert.deepEqual(only(china, FEDERATED).inputs["audiences"], ["api://AzureADTokenExchangeChina"]);
        assert.equal(only(china, FEDERATED).inputs["subject"], "repo:contoso/reports:ref:refs/heads/main");
        assert.match(
            withoutCaveat(out["connectIppsCommand"]),
            /^Connect-IPPSSession -CertificateThumbprint .* -ConnectionUri 'https:\/\/ps\.compliance\.protection\.partner\.outlook\.cn\/powershell-liveid' -AzureADAuthorizationEndpointUri 'https:\/\/login\.chinacloudapi\.cn\/organizations'$/,
        );
    });
});

describe("the worldwide cloud and the Security & Compliance line", () => {
    let exchangeOnly: Evaluation;
    let both: Evaluation;
    before(async () => {
        [exchangeOnly, both] = await Promise.all([
            run(stackConfig({ "exo-cba:roles": EXO_ONLY_ROLES })),
            run(stackConfig({ "exo-cba:roles": ["Exchange Administrator", "Global Reader"] })),
        ]);
    });
    it("adds no -ExchangeEnvironmentName and no Exchange Online Protection grant", () => {
        const out = outputs(exchangeOnly);
        assert.equal(out["cloud"], "global");
        assert.equal(out["exchangeEnvironmentName"], "O365Default");
        assert.ok(!String(out["connectCommand"]).includes("-ExchangeEnvironmentName"));
        assert.deepEqual(
            ofType(exchangeOnly, API).map((r) => r.inputs["apiClientId"]),
            [EXO_APP_ID],
        );
    });
    it("gives no connectIppsCommand when no role reaches Security & Compliance PowerShell", () => {
        assert.equal(outputs(exchangeOnly)["connectIppsCommand"], undefined);
    });
    it("gives connectIppsCommand as soon as one role does", () => {
        assert.match(
            withoutCaveat(outputs(both)["connectIppsCommand"]),
            /^Connect-IPPSSession -CertificateThumbprint '[0-9A-F]{40}' -AppId '[0-9a-f-]{36}' -Organization 'contoso\.onmicrosoft\.com'$/,
        );
    });
    it("knows which roles reach Security & Compliance PowerShell as Microsoft's app-only role table says", () => {
        for (const name of SC_ROLES) assert.equal(findRole(name)?.securityAndCompliance, true, name);
        for (const name of EXO_ONLY_ROLES) assert.equal(findRole(name)?.securityAndCompliance, false, name);
    });
});

describe("a cloud the azuread provider does not agree with", () => {
    async function refused(config: Record<string, unknown>, pattern: RegExp): Promise<void> {
        const ev = await run(stackConfig(config));
        assert.equal(ev.failed, true);
        assert.deepEqual(
            ev.recording.resources.map((r) => r.type),
            ["pulumi:pulumi:Stack"],
            "refused before anything is registered",
        );
        assert.deepEqual(ev.recording.invokes, []);
        assert.match(ev.errors.join("\n"), pattern);
    }
    it("is refused with the exact line that fixes it, before anything is registered", async () => {
        // Every case of the rule is a pure test (validation.test.mts); this one goes through the program.
        await refused(
            { "exo-cba:cloud": "dod", "azuread:environment": "usgovernment" },
            /exo-cba:cloud is dod \(DoD\), but azuread:environment is "usgovernment", another cloud\. Fix with: pulumi config set azuread:environment dod/,
        );
    });
    it("a US Government tenant without Exchange Online Protection: a clear error", async () => {
        const tenant = contoso();
        const ev = await run(stackConfig({ "exo-cba:cloud": "gcc-high", "azuread:environment": "usgovernment" }), { tenant });
        assert.equal(ev.failed, true);
        assert.match(
            ev.errors.join("\n"),
            /Could not read the "Microsoft Exchange Online Protection" service principal \(appId 00000007-0000-0ff1-ce00-000000000000\)/,
        );
    });
});
