/**
 * Runners that need no secret: managed identities (no application, no key) and federated credentials
 * (a workload's own token), run as `pulumi up` runs the program against the simulated Contoso tenant.
 * Subjects, issuers and connect lines are typed here from GitHub's and Microsoft's documentation.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Evaluation } from "../engine/engine.mts";
import {
    AUTOMATION_IDENTITY_ID,
    EXO_SP_OBJECT_ID,
    FUNCTION_IDENTITY_CLIENT_ID,
    FUNCTION_IDENTITY_ID,
    MANAGE_AS_APP_ROLE_ID,
    ROLE_TEMPLATE_IDS,
    WINDOWS_ONLY_CAVEAT,
    withoutCaveat,
} from "./support/contoso.mts";
import { allText, ofType, only, rawConfig, run, stackConfig, steps, str } from "./support/harness.mts";

const T = {
    app: "azuread:index/applicationRegistration:ApplicationRegistration",
    owner: "azuread:index/applicationOwner:ApplicationOwner",
    sp: "azuread:index/servicePrincipal:ServicePrincipal",
    api: "azuread:index/applicationApiAccess:ApplicationApiAccess",
    consent: "azuread:index/appRoleAssignment:AppRoleAssignment",
    role: "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
    credential: "azuread:index/applicationCertificate:ApplicationCertificate",
    federated: "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
};

const MANAGED_IDENTITIES = [
    { name: "automation", objectId: AUTOMATION_IDENTITY_ID },
    { name: "mailflow", objectId: FUNCTION_IDENTITY_ID, clientId: FUNCTION_IDENTITY_CLIENT_ID },
];
const FEDERATED = [
    { name: "github-reports", github: "contoso/exchange-reports", environment: "production" },
    {
        name: "ado-mailflow",
        issuer: "https://vstoken.dev.azure.com/8d6f2b1c-4a3e-4f5d-9b7a-1c2d3e4f5a6b",
        subject: "sc://contoso/exchange/exo-mailflow",
    },
];

function outputs(ev: Evaluation): Record<string, unknown> {
    assert.equal(ev.failed, false, `${ev.errors.join("\n")}\n${ev.stderr}`);
    return ev.outputs ?? {};
}

/** Grants to one principal: [resource name, appRoleId or roleId]. */
function grantsTo(ev: Evaluation, principal: string): string[][] {
    return [...ofType(ev, T.consent), ...ofType(ev, T.role)]
        .filter((r) => r.inputs["principalObjectId"] === principal)
        .map((r) => [r.name, str(r.inputs["appRoleId"] ?? r.inputs["roleId"])]);
}

describe("managed identities and federated credentials beside the certificate", () => {
    let d0: Evaluation;
    let d1: Evaluation;
    before(async () => {
        d0 = await run(stackConfig({}));
        d1 = await run(
            stackConfig({
                "exo-cba:roles": ["Exchange Recipient Administrator", "Global Reader"],
                "exo-cba:managedIdentities": MANAGED_IDENTITIES,
                "exo-cba:federatedCredentials": FEDERATED,
            }),
            { prior: d0 },
        );
    });

    it("grants each managed identity Exchange.ManageAsApp on Exchange Online and every role, by template id", () => {
        outputs(d1);
        for (const mi of MANAGED_IDENTITIES) {
            assert.deepEqual(grantsTo(d1, mi.objectId), [
                [`exo-mi-${mi.name}-consent`, MANAGE_AS_APP_ROLE_ID],
                [`exo-mi-${mi.name}-role-exchange-recipient-administrator`, ROLE_TEMPLATE_IDS["Exchange Recipient Administrator"]],
                [`exo-mi-${mi.name}-role-global-reader`, ROLE_TEMPLATE_IDS["Global Reader"]],
            ]);
            const consent = d1.recording.resources.find((r) => r.name === `exo-mi-${mi.name}-consent`)!;
            assert.equal(consent.inputs["resourceObjectId"], EXO_SP_OBJECT_ID);
            assert.equal(consent.failure, undefined);
        }
    });
    it("never makes a managed identity an owner of anything", () => {
        const owners = [
            ...ofType(d1, T.owner).map((o) => str(o.inputs["ownerObjectId"])),
            ...(only(d1, T.sp).inputs["owners"] as string[]),
        ];
        for (const mi of MANAGED_IDENTITIES) assert.ok(!owners.includes(mi.objectId), `${mi.name} became an owner`);
    });
    it("adds one federated credential per item: the GitHub shorthand as GitHub's subject, the audience Entra expects", () => {
        const creds = ofType(d1, T.federated).map((r) => [
            r.name,
            r.inputs["displayName"],
            r.inputs["issuer"],
            r.inputs["subject"],
            r.inputs["audiences"],
        ]);
        assert.deepEqual(creds, [
            // docs.github.com/actions/reference/security/oidc: repo:ORG-NAME/REPO-NAME:environment:ENVIRONMENT-NAME
            [
                "exo-federated-github-reports",
                "github-reports",
                "https://token.actions.githubusercontent.com",
                "repo:contoso/exchange-reports:environment:production",
                ["api://AzureADTokenExchange"],
            ],
            [
                "exo-federated-ado-mailflow",
                "ado-mailflow",
                "https://vstoken.dev.azure.com/8d6f2b1c-4a3e-4f5d-9b7a-1c2d3e4f5a6b",
                "sc://contoso/exchange/exo-mailflow",
                ["api://AzureADTokenExchange"],
            ],
        ]);
        const app = only(d1, T.app);
        for (const r of ofType(d1, T.federated)) assert.equal(r.inputs["applicationId"], `/applications/${str(app.outputs["objectId"])}`);
    });
    it("only adds to the deployed stack: nothing existing is renamed, replaced or deleted", () => {
        const changed = steps(d1).filter((s) => !s.startsWith("create "));
        // The roles changed on purpose (Exchange Administrator → two narrower ones): only role assignments move.
        assert.deepEqual(changed, ["delete exo-role-exchange-administrator"]);
        assert.ok(!steps(d1).some((s) => /^(replace|update) /.test(s)));
    });
    it("adding only identities and credentials to a deployed stack creates them and touches nothing else", async () => {
        const added = await run(
            stackConfig({ "exo-cba:managedIdentities": MANAGED_IDENTITIES, "exo-cba:federatedCredentials": FEDERATED }),
            { prior: d0 },
        );
        assert.deepEqual(steps(added), [
            "create exo-federated-ado-mailflow",
            "create exo-federated-github-reports",
            "create exo-mi-automation-consent",
            "create exo-mi-automation-role-exchange-administrator",
            "create exo-mi-mailflow-consent",
            "create exo-mi-mailflow-role-exchange-administrator",
        ]);
    });
    it("outputs each identity's connect line: -ManagedIdentityAccountId only for the user-assigned one", () => {
        assert.deepEqual(outputs(d1)["managedIdentities"], [
            {
                name: "automation",
                objectId: AUTOMATION_IDENTITY_ID,
                connectCommand: "Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com'",
            },
            {
                name: "mailflow",
                objectId: FUNCTION_IDENTITY_ID,
                clientId: FUNCTION_IDENTITY_CLIENT_ID,
                connectCommand: `Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com' -ManagedIdentityAccountId '${FUNCTION_IDENTITY_CLIENT_ID}'`,
            },
        ]);
    });
    it("outputs the federated credentials and the -AccessToken connect line", () => {
        const out = outputs(d1);
        assert.deepEqual(out["federatedCredentials"], [
            {
                name: "github-reports",
                issuer: "https://token.actions.githubusercontent.com",
                subject: "repo:contoso/exchange-reports:environment:production",
                audience: "api://AzureADTokenExchange",
            },
            {
                name: "ado-mailflow",
                issuer: "https://vstoken.dev.azure.com/8d6f2b1c-4a3e-4f5d-9b7a-1c2d3e4f5a6b",
                subject: "sc://contoso/exchange/exo-mailflow",
                audience: "api://AzureADTokenExchange",
            },
        ]);
        assert.equal(
            out["connectCommandAccessToken"],
            "Connect-ExchangeOnline -AccessToken $accessToken -Organization 'contoso.onmicrosoft.com'",
        );
        // Global Reader reaches Security & Compliance PowerShell (Microsoft's app-only role table): the certificate line.
        assert.match(
            withoutCaveat(out["connectIppsCommand"]),
            /^Connect-IPPSSession -CertificateThumbprint '[0-9A-F]{40}' -AppId '[0-9a-f-]{36}' -Organization 'contoso\.onmicrosoft\.com'$/,
        );
    });
});

describe("federated credentials only: certificates set to []", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await run(stackConfig({ "exo-cba:certificates": [], "exo-cba:federatedCredentials": [FEDERATED[0]] }));
    });
    it("makes no key, no certificate and no certificate credential", () => {
        outputs(ev);
        assert.deepEqual(
            ev.recording.resources.filter((r) => r.type.startsWith("tls:") || r.type === T.credential),
            [],
        );
        assert.equal(ofType(ev, T.federated).length, 1);
    });
    it("still has the application, its consent and role", () => {
        for (const type of [T.app, T.sp, T.api, T.consent, T.role]) assert.equal(ofType(ev, type).length, 1, type);
    });
    it("exports no certificate, key, thumbprint or certificate connect line; certificates is empty", () => {
        const out = outputs(ev);
        for (const name of [
            "thumbprint",
            "certificatePem",
            "privateKeyPem",
            "certificateNotAfter",
            "connectCommand",
            "connectCommandCrossPlatform",
            "renewBeforeDays",
        ]) {
            assert.ok(!(name in out), `${name} was exported`);
        }
        assert.deepEqual(out["certificates"], []);
        assert.match(String(out["appId"]), /^[0-9a-f-]{36}$/);
        assert.ok(!allText(ev).includes("PRIVATE KEY"));
    });
});

describe("federated credentials only, with a role that reaches Security & Compliance PowerShell", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await run(
            stackConfig({
                "exo-cba:certificates": [],
                "exo-cba:roles": ["Exchange Administrator", "Compliance Administrator"],
                "exo-cba:federatedCredentials": [FEDERATED[0]],
            }),
        );
    });
    it("gives Connect-IPPSSession -AccessToken (module 3.8.0 or later) with the caveat a GitHub ubuntu-latest job needs", () => {
        assert.equal(
            outputs(ev)["connectIppsCommand"],
            `Connect-IPPSSession -AccessToken $accessToken -Organization 'contoso.onmicrosoft.com'${WINDOWS_ONLY_CAVEAT}`,
        );
    });
    it("gives Connect-ExchangeOnline -AccessToken without one: it works on every runner", () => {
        assert.equal(
            outputs(ev)["connectCommandAccessToken"],
            "Connect-ExchangeOnline -AccessToken $accessToken -Organization 'contoso.onmicrosoft.com'",
        );
    });
});

describe("managed identities only: application set to false", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await run(stackConfig({ "exo-cba:application": false, "exo-cba:managedIdentities": [MANAGED_IDENTITIES[0]] }));
    });
    it("creates no application, service principal, permission request, credential or owner", () => {
        outputs(ev);
        for (const type of [T.app, T.sp, T.api, T.owner, T.credential, T.federated]) assert.deepEqual(ofType(ev, type), [], type);
        assert.deepEqual(
            ev.recording.resources.filter((r) => r.type.startsWith("tls:")),
            [],
        );
    });
    it("grants only the identity", () => {
        assert.deepEqual(
            [...ofType(ev, T.consent), ...ofType(ev, T.role)].map((r) => [r.name, r.inputs["principalObjectId"]]),
            [
                ["exo-mi-automation-consent", AUTOMATION_IDENTITY_ID],
                ["exo-mi-automation-role-exchange-administrator", AUTOMATION_IDENTITY_ID],
            ],
        );
    });
    it("exports the identity's connect line and no application outputs", () => {
        const out = outputs(ev);
        for (const name of ["appId", "servicePrincipalObjectId", "applicationObjectId", "thumbprint", "connectCommand"])
            assert.ok(!(name in out), name);
        assert.deepEqual(out["managedIdentities"], [
            {
                name: "automation",
                objectId: AUTOMATION_IDENTITY_ID,
                connectCommand: "Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com'",
            },
        ]);
        assert.deepEqual(out["certificates"], []);
        assert.equal(out["connectIppsCommand"], undefined, "Connect-IPPSSession has no -ManagedIdentity");
    });
});

describe("secretless settings that are refused, before anything is registered", () => {
    async function refused(config: Record<string, string>, ...patterns: RegExp[]): Promise<void> {
        const ev = await run(rawConfig(config));
        assert.equal(ev.failed, true);
        assert.deepEqual(
            ev.recording.resources.map((r) => r.type),
            ["pulumi:pulumi:Stack"],
        );
        const text = ev.errors.join("\n");
        for (const p of patterns) assert.match(text, p);
    }
    it("a pull_request subject, a wildcard, an http issuer, a bad repository, duplicates; the same identity twice", async () => {
        await refused(
            {
                "exo-cba:certificates": "[]",
                "exo-cba:federatedCredentials": JSON.stringify([
                    { name: "pr", issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/reports:pull_request" },
                    { name: "any-branch", github: "contoso/reports", branch: "release/*" },
                    { name: "plain", issuer: "http://issuer.contoso.com", subject: "system:serviceaccount:exo:runner" },
                    { name: "bad-repo", github: "-contoso/reports", environment: "prod" },
                    { name: "twice", github: "contoso/reports", environment: "prod" },
                    { name: "TWICE", github: "contoso/reports", environment: "prod" },
                ]),
                "exo-cba:managedIdentities": JSON.stringify([
                    { name: "a", objectId: AUTOMATION_IDENTITY_ID },
                    { name: "b", objectId: AUTOMATION_IDENTITY_ID.toUpperCase() },
                ]),
            },
            /item 0 \("pr"\) subject "repo:contoso\/reports:pull_request" trusts pull requests/,
            /item 1 \("any-branch"\) subject .* has a wildcard/,
            /item 2 \("plain"\) issuer must be an https:\/\/ URL/,
            /item 3 \("bad-repo"\) github must be <owner>\/<repo>/,
            /item 5 \("TWICE"\) repeats a name/,
            /item 5 \("TWICE"\) has the same issuer and subject as item 4 \("twice"\)/,
            /exo-cba:managedIdentities item 1 \("b"\) is the same identity as item 0 \("a"\)/,
        );
    });
    it("application false without an identity, with settings only an application uses", async () => {
        await refused(
            {
                "exo-cba:application": "false",
                "exo-cba:certificatePem": "x",
                "exo-cba:federatedCredentials": JSON.stringify([FEDERATED[1]]),
            },
            /exo-cba:application is false, so only managed identities get access, and exo-cba:managedIdentities lists none/,
            /exo-cba:certificatePem has no effect without an application/,
            /exo-cba:federatedCredentials has no effect without an application/,
        );
    });
});

describe("a managed identity the tenant does not have", () => {
    it("fails at the grant with Graph's own error, naming the object id", async () => {
        const missing = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
        const ev = await run(
            stackConfig({ "exo-cba:application": false, "exo-cba:managedIdentities": [{ name: "gone", objectId: missing }] }),
        );
        assert.equal(ev.failed, true);
        assert.match(ev.errors.join("\n"), new RegExp(`Request_ResourceNotFound: Resource '${missing}' does not exist`));
    });
});
