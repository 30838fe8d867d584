/**
 * Bring your own certificate, with explicit owners, organization and several roles: no key ever
 * enters the stack, and every configured value reaches the right resource.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Evaluation } from "../engine/engine.mts";
import { makeCertificate } from "./support/certificates.mts";
import { DEPLOYER_OBJECT_ID, OTHER_USER_ID } from "./support/contoso.mts";
import { allText, ofType, only, opensslNotAfter, opensslThumbprint, run, stackConfig, str } from "./support/harness.mts";

const CREDENTIAL = "azuread:index/applicationCertificate:ApplicationCertificate";
const ROLE = "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment";

describe("bring-your-own certificate", () => {
    const made = makeCertificate({ now: new Date(), toDays: 200, cn: "Runner certificate" });
    let ev: Evaluation;
    let outputs: Record<string, unknown>;
    before(async () => {
        ev = await run(
            stackConfig({
                "exo-cba:certificatePem": made.certPem,
                "exo-cba:displayName": "Contoso mailbox reports",
                "exo-cba:organization": "contoso.onmicrosoft.com",
                "exo-cba:owners": [OTHER_USER_ID, DEPLOYER_OBJECT_ID],
                "exo-cba:roles": ["Global Reader", "Exchange Recipient Administrator"],
            }),
        );
        assert.equal(ev.failed, false, ev.errors.join("\n"));
        outputs = ev.outputs ?? {};
    });

    it("creates no key and no certificate", () => {
        assert.deepEqual(
            ev.recording.resources.filter((r) => r.type.startsWith("tls:")),
            [],
        );
    });
    it("uploads exactly the supplied certificate, ending at its NotAfter", () => {
        const credential = only(ev, CREDENTIAL);
        assert.equal(str(credential.inputs["value"]), made.certPem);
        assert.equal(Date.parse(str(credential.inputs["endDate"])), opensslNotAfter(made.certPem).getTime());
    });
    it("exports the thumbprint openssl computes for it", () => {
        assert.equal(outputs["thumbprint"], opensslThumbprint(made.certPem));
        assert.equal(outputs["certificatePem"], made.certPem);
    });
    it("exports no private key and holds none anywhere", () => {
        assert.ok(!("privateKeyPem" in outputs));
        const everything = JSON.stringify(ev.recording) + allText(ev);
        assert.ok(!everything.includes("PRIVATE KEY"));
    });
    it("uses the configured organization without asking the tenant", () => {
        assert.equal(outputs["organization"], "contoso.onmicrosoft.com");
        assert.ok(!ev.recording.invokes.some((i) => i.token === "azuread:index/getDomains:getDomains"));
        assert.match(String(outputs["connectCommand"]), /-Organization 'contoso\.onmicrosoft\.com'$/);
    });
    it("makes each configured owner an owner, named by object id", () => {
        const owners = ofType(ev, "azuread:index/applicationOwner:ApplicationOwner");
        assert.deepEqual(
            owners.map((o) => [o.name, o.inputs["ownerObjectId"]]),
            [
                [`exo-owner-${OTHER_USER_ID}`, OTHER_USER_ID],
                [`exo-owner-${DEPLOYER_OBJECT_ID}`, DEPLOYER_OBJECT_ID],
            ],
        );
        assert.deepEqual(only(ev, "azuread:index/servicePrincipal:ServicePrincipal").inputs["owners"], [OTHER_USER_ID, DEPLOYER_OBJECT_ID]);
    });
    it("assigns each configured role by its documented template id, named by role", () => {
        const roles = ofType(ev, ROLE).map((r) => [r.name, r.inputs["roleId"]]);
        assert.deepEqual(roles, [
            ["exo-role-global-reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"],
            ["exo-role-exchange-recipient-administrator", "31392ffb-586c-42d1-9346-e59415a2cc4e"],
        ]);
    });
    it("names the application as configured", () => {
        assert.equal(
            only(ev, "azuread:index/applicationRegistration:ApplicationRegistration").inputs["displayName"],
            "Contoso mailbox reports",
        );
    });
});

describe("a tenant without Exchange Online", () => {
    it("fails with an explanation instead of a provider error", async () => {
        const { contoso } = await import("./support/contoso.mts");
        const tenant = contoso();
        const ev = await run(stackConfig({}), {
            tenant: {
                ...tenant,
                servicePrincipals: tenant.servicePrincipals.filter((s) => s.displayName !== "Office 365 Exchange Online"),
            },
        });
        assert.equal(ev.failed, true);
        const text = ev.errors.join("\n");
        assert.match(text, /Office 365 Exchange Online/);
        assert.match(text, /Exchange Online subscription/);
        assert.deepEqual(
            ofType(ev, "azuread:index/appRoleAssignment:AppRoleAssignment").filter((r) => !r.failure && r.id),
            [],
        );
    });
});
