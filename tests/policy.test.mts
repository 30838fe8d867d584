/**
 * The policy pack (policy/): each policy on constructed resource inputs, called as the policy SDK calls
 * it, and the pack itself started as `pulumi preview --policy-pack policy` starts it.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type * as Azuread from "@pulumi/azuread";
import type * as Tls from "@pulumi/tls";
import { MIN_RSA_BITS, SUPPORTED_ROLES, createPolicies } from "../policy/policies.ts";
import { CLOUDS } from "../components/clouds.ts";
import { SUPPORTED_ROLES as PROGRAM_ROLES } from "../components/microsoft.ts";
import { BYO_RSA_BITS_MIN, SETTINGS } from "../components/settings.ts";
import { DAY_MS, type MadeCertificate, makeCertificate } from "./support/certificates.mts";
import {
    AUTOMATION_IDENTITY_ID,
    EXO_APP_ID,
    EXO_SP_OBJECT_ID,
    MANAGE_AS_APP_ROLE_ID,
    OTHER_USER_ID,
    ROLE_TEMPLATE_IDS,
} from "./support/contoso.mts";
import { opensslNotAfter } from "./support/harness.mts";
import {
    type Outcome,
    type PolicyConfig,
    type TestResource,
    UNKNOWN_ARRAY,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    policyNamed,
    urnOf,
    validateResource,
    validateStack,
} from "./support/policyHarness.mts";
import { POLICY_DIR, type RunningPack, startPolicyPack } from "./support/policyPack.mts";

// Type tokens come from the provider SDKs themselves, so a mistyped token in the pack fails here.
const require = createRequire(import.meta.url);
const azuread = require("@pulumi/azuread") as typeof Azuread;
const tls = require("@pulumi/tls") as typeof Tls;
function tokenOf(resourceClass: unknown): string {
    return (resourceClass as { __pulumiType: string }).__pulumiType;
}
const T = {
    privateKey: tokenOf(tls.PrivateKey),
    selfSignedCert: tokenOf(tls.SelfSignedCert),
    application: tokenOf(azuread.Application),
    credential: tokenOf(azuread.ApplicationCertificate),
    spCredential: tokenOf(azuread.ServicePrincipalCertificate),
    applicationPassword: tokenOf(azuread.ApplicationPassword),
    spPassword: tokenOf(azuread.ServicePrincipalPassword),
    tokenSigningCertificate: tokenOf(azuread.ServicePrincipalTokenSigningCertificate),
    group: tokenOf(azuread.Group),
    groupWithoutMembers: tokenOf(azuread.GroupWithoutMembers),
    groupMember: tokenOf(azuread.GroupMember),
    pimGroupAssignment: tokenOf(azuread.PrivilegedAccessGroupAssignmentSchedule),
    pimGroupEligibility: tokenOf(azuread.PrivilegedAccessGroupEligibilitySchedule),
    apiAccess: tokenOf(azuread.ApplicationApiAccess),
    appRoleAssignment: tokenOf(azuread.AppRoleAssignment),
    servicePrincipal: tokenOf(azuread.ServicePrincipal),
    delegatedGrant: tokenOf(azuread.ServicePrincipalDelegatedPermissionGrant),
    roleAssignment: tokenOf(azuread.DirectoryRoleAssignment),
    roleMember: tokenOf(azuread.DirectoryRoleMember),
    roleEligibility: tokenOf(azuread.DirectoryRoleEligibilityScheduleRequest),
    unitRoleMember: tokenOf(azuread.AdministrativeUnitRoleMember),
    federated: tokenOf(azuread.ApplicationFederatedIdentityCredential),
    flexibleFederated: tokenOf(azuread.ApplicationFlexibleFederatedIdentityCredential),
};

const GLOBAL_ADMINISTRATOR = ROLE_TEMPLATE_IDS["Global Administrator"];
const EXCHANGE_ADMINISTRATOR = ROLE_TEMPLATE_IDS["Exchange Administrator"];
/** learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference */
const PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814";
/** What an activated role's object id looks like: a GUID of the tenant's own, here Global Administrator's in Contoso. */
const ACTIVATED_GLOBAL_ADMINISTRATOR_OBJECT_ID = "0b3f9a52-7d4e-4c1a-9e2b-5f6a7b8c9d0e";

/**
 * Office 365 Exchange Online's full_access_as_app (EWS, every mailbox): the app-only manifest in
 * learn.microsoft.com/exchange/client-developer/exchange-web-services/how-to-authenticate-an-ews-application-by-using-oauth
 */
const FULL_ACCESS_AS_APP = "dc890d15-9560-4a4c-9b7f-a736ec74ec40";
/** Office 365 Exchange Online's Mail.ReadWrite application permission (the same id as Microsoft Graph's). */
const MAIL_READ_WRITE = "e2a3a72e-5f79-4c64-b1b1-878b674786c9";
/** Office 365 Exchange Online's EWS.AccessAsUser.All delegated permission (scope), from the same EWS page. */
const EWS_ACCESS_AS_USER = "3b5f3d61-589b-4a3c-a359-5dd4b5ee5bd5";
/** GCC High / DoD: Exchange Online Protection and its Exchange.ManageAsApp (CISA ScubaGear docs/prerequisites/noninteractive.md). */
const EOP_APP_ID = "00000007-0000-0ff1-ce00-000000000000";
const EOP_MANAGE_AS_APP_ROLE_ID = "455e5cd2-84e8-4751-8344-5672145dfa17";
const EOP_SP = "b1d3cae0-3333-4f40-8b9c-1d2e3f4a5b6c";
const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
const GRAPH_SP = "5c8e0bfa-2222-4d5e-8f9a-0b1c2d3e4f5a";
const EXO_SP = EXO_SP_OBJECT_ID;
/** The stack's own service principal. */
const STACK_SP = "11111111-1111-4111-8111-111111111111";

/** The instant these tests are set at: every certificate is dated from it, every clock-reading policy gets it. */
const NOW = new Date("2031-05-14T09:30:00Z");

const policies = createPolicies(() => NOW);

function run(policy: string, resource: TestResource, config?: PolicyConfig): Promise<Outcome> {
    return validateResource(policyNamed(policies, policy), resource, config);
}

function messages(o: Outcome): string[] {
    assert.deepEqual(o.cannotRun, [], "a policy let an unknown value escape");
    return o.violations.map((v) => v.message);
}

/** The body of a PEM certificate is the base64 of its DER encoding (RFC 7468). */
function derBase64(pem: string): string {
    return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
}

function credential(cert: MadeCertificate, props: Record<string, unknown> = {}): TestResource {
    return {
        type: T.credential,
        name: "exo-initial-credential",
        props: { applicationId: "/applications/x", type: "AsymmetricX509Cert", value: cert.certPem, ...props },
    };
}

/** The same certificate registered on the service principal (servicePrincipalId is the resource id of azuread v3 and later). */
function spCredential(cert: MadeCertificate, props: Record<string, unknown> = {}): TestResource {
    return {
        type: T.spCredential,
        name: "exo-sp-credential",
        props: { servicePrincipalId: "/servicePrincipals/x", type: "AsymmetricX509Cert", value: cert.certPem, ...props },
    };
}

function roleAssignment(roleId: unknown, options: { stack?: string; principalObjectId?: unknown } = {}): TestResource {
    return {
        type: T.roleAssignment,
        name: "exo-role-x",
        props: { roleId, principalObjectId: options.principalObjectId ?? UNKNOWN_STRING, directoryScopeId: "/" },
        ...(options.stack ? { stack: options.stack } : {}),
    };
}

const rsa2048 = makeCertificate({ now: NOW, fromDays: -1, toDays: 365, cn: "policy test" });

describe("no-global-administrator", () => {
    it("refuses an assignment of Global Administrator, naming the stack and where to allow it", async () => {
        const found = messages(await run("no-global-administrator", roleAssignment(GLOBAL_ADMINISTRATOR)));
        assert.equal(found.length, 1);
        assert.match(found[0], /Global Administrator/);
        assert.match(found[0], /stack "contoso"/);
        assert.match(found[0], /allowedStacks .*policy\/config\.json/);
    });
    it("recognises the template id in any letter case", async () => {
        assert.equal(messages(await run("no-global-administrator", roleAssignment(GLOBAL_ADMINISTRATOR.toUpperCase()))).length, 1);
    });
    it("refuses it for any principal: a managed identity's service principal as much as the stack's own", async () => {
        for (const principalObjectId of [AUTOMATION_IDENTITY_ID, STACK_SP]) {
            const found = messages(await run("no-global-administrator", roleAssignment(GLOBAL_ADMINISTRATOR, { principalObjectId })));
            assert.equal(found.length, 1, principalObjectId);
        }
    });
    it("lets other roles through", async () => {
        assert.deepEqual(messages(await run("no-global-administrator", roleAssignment(EXCHANGE_ADMINISTRATOR))), []);
    });
    it("allows it in a stack listed in allowedStacks, and only there", async () => {
        const config = { allowedStacks: ["fabrikam"] };
        assert.deepEqual(
            messages(await run("no-global-administrator", roleAssignment(GLOBAL_ADMINISTRATOR, { stack: "fabrikam" }), config)),
            [],
        );
        assert.equal(
            messages(await run("no-global-administrator", roleAssignment(GLOBAL_ADMINISTRATOR, { stack: "contoso" }), config)).length,
            1,
        );
    });
    it("skips a role id a preview cannot know yet", async () => {
        assert.deepEqual(messages(await run("no-global-administrator", roleAssignment(UNKNOWN_STRING))), []);
    });
});

describe("supported-directory-roles", () => {
    const check = (resource: TestResource) => run("supported-directory-roles", resource);
    it("accepts each role Microsoft supports for app-only Exchange Online, by template id in any letter case", async () => {
        for (const [role, id] of Object.entries(ROLE_TEMPLATE_IDS)) {
            assert.deepEqual(messages(await check(roleAssignment(id))), [], role);
            assert.deepEqual(messages(await check(roleAssignment(id.toUpperCase()))), [], role);
        }
    });
    it("refuses a role assigned by its activated object id, and says to use the template id", async () => {
        const found = messages(await check(roleAssignment(ACTIVATED_GLOBAL_ADMINISTRATOR_OBJECT_ID)));
        assert.equal(found.length, 1);
        assert.ok(found[0].includes(ACTIVATED_GLOBAL_ADMINISTRATOR_OBJECT_ID), "names the id");
        assert.match(found[0], /template id/);
        assert.ok(found[0].includes(EXCHANGE_ADMINISTRATOR), "lists the supported template ids");
    });
    it("refuses Privileged Role Administrator, which could grant itself any role, for any principal", async () => {
        for (const principalObjectId of [STACK_SP, AUTOMATION_IDENTITY_ID]) {
            const found = messages(await check(roleAssignment(PRIVILEGED_ROLE_ADMINISTRATOR, { principalObjectId })));
            assert.equal(found.length, 1);
            assert.ok(found[0].includes(PRIVILEGED_ROLE_ADMINISTRATOR));
        }
    });
    it("refuses a role id that is not a string or has stray characters", async () => {
        assert.equal(messages(await check(roleAssignment(` ${EXCHANGE_ADMINISTRATOR}`))).length, 1);
        assert.equal(messages(await check(roleAssignment(`{${EXCHANGE_ADMINISTRATOR}}`))).length, 1);
        assert.equal(messages(await check(roleAssignment(42))).length, 1);
    });
    it("skips a role id a preview cannot know yet", async () => {
        assert.deepEqual(messages(await check(roleAssignment(UNKNOWN_STRING))), []);
    });
    it("refuses DirectoryRoleMember outright, whatever it names and even before the ids are known", async () => {
        for (const props of [
            { roleObjectId: ACTIVATED_GLOBAL_ADMINISTRATOR_OBJECT_ID, memberObjectId: STACK_SP },
            { roleObjectId: UNKNOWN_STRING, memberObjectId: UNKNOWN_STRING },
        ]) {
            const found = messages(await check({ type: T.roleMember, name: "exo-role-member", props }));
            assert.equal(found.length, 1, JSON.stringify(props));
            assert.match(found[0], /DirectoryRoleAssignment/);
        }
    });
    it("refuses the other ways of granting a directory role: eligibility requests and administrative-unit roles", async () => {
        const eligibility = messages(
            await check({
                type: T.roleEligibility,
                name: "exo-eligible",
                props: { roleDefinitionId: EXCHANGE_ADMINISTRATOR, principalId: STACK_SP, directoryScopeId: "/", justification: "x" },
            }),
        );
        assert.equal(eligibility.length, 1);
        const unit = messages(
            await check({
                type: T.unitRoleMember,
                name: "exo-unit-role",
                props: { administrativeUnitObjectId: UNKNOWN_STRING, memberObjectId: STACK_SP, roleObjectId: UNKNOWN_STRING },
            }),
        );
        assert.equal(unit.length, 1);
    });
});

describe("rsa-key-size", () => {
    const key = (props: Record<string, unknown>): TestResource => ({ type: T.privateKey, name: "exo-initial-key", props });
    it("accepts RSA keys of 2048 bits and more, and the provider's default size", async () => {
        for (const props of [{ algorithm: "RSA", rsaBits: 2048 }, { algorithm: "RSA", rsaBits: 4096 }, { algorithm: "RSA" }]) {
            assert.deepEqual(messages(await run("rsa-key-size", key(props))), [], JSON.stringify(props));
        }
    });
    it("refuses a smaller RSA key", async () => {
        const found = messages(await run("rsa-key-size", key({ algorithm: "RSA", rsaBits: 1024 })));
        assert.equal(found.length, 1);
        assert.match(found[0], /1024-bit RSA key; use at least 2048 bits/);
    });
    it("reads a size given as a string as the number it spells", async () => {
        const found = messages(await run("rsa-key-size", key({ algorithm: "RSA", rsaBits: "1024" })));
        assert.equal(found.length, 1);
        assert.match(found[0], /1024-bit RSA key/);
        assert.deepEqual(messages(await run("rsa-key-size", key({ algorithm: "RSA", rsaBits: "4096" }))), []);
    });
    it("refuses a size that is no number, since it cannot be checked", async () => {
        for (const rsaBits of ["big", "", "2048 ", "0x800", true, null]) {
            assert.equal(messages(await run("rsa-key-size", key({ algorithm: "RSA", rsaBits }))).length, 1, JSON.stringify(rsaBits));
        }
    });
    it("refuses a key that is not RSA: Entra client assertions are RS256/PS256", async () => {
        const found = messages(await run("rsa-key-size", key({ algorithm: "ECDSA", ecdsaCurve: "P256" })));
        assert.equal(found.length, 1);
        assert.match(found[0], /ECDSA key; Entra client assertions need RSA/);
    });
    it("skips a size a preview cannot know yet", async () => {
        assert.deepEqual(messages(await run("rsa-key-size", key({ algorithm: "RSA", rsaBits: UNKNOWN_NUMBER }))), []);
    });
    it("checks the key of a registered certificate too", async () => {
        assert.deepEqual(messages(await run("rsa-key-size", credential(rsa2048))), []);
        const small = messages(await run("rsa-key-size", credential(makeCertificate({ now: NOW, key: 1024 }))));
        assert.equal(small.length, 1);
        assert.match(small[0], /1024-bit RSA key/);
        const ec = messages(await run("rsa-key-size", credential(makeCertificate({ now: NOW, key: "ec" }))));
        assert.equal(ec.length, 1);
        assert.match(ec[0], /EC key/);
    });
});

describe("credential-within-certificate", () => {
    const notAfter = opensslNotAfter(rsa2048.certPem);
    const at = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");
    it("reads the test certificate's NotAfter where it was put (the oracle agrees with the maker)", () => {
        assert.equal(notAfter.getTime(), NOW.getTime() + 365 * DAY_MS);
    });
    it("accepts an end date equal to or before the certificate's NotAfter", async () => {
        assert.deepEqual(
            messages(await run("credential-within-certificate", credential(rsa2048, { endDate: at(notAfter.getTime()) }))),
            [],
        );
        assert.deepEqual(
            messages(await run("credential-within-certificate", credential(rsa2048, { endDate: at(notAfter.getTime() - DAY_MS) }))),
            [],
        );
    });
    it("refuses an end date after NotAfter, even by a second", async () => {
        const found = messages(await run("credential-within-certificate", credential(rsa2048, { endDate: at(notAfter.getTime() + 1000) })));
        assert.equal(found.length, 1);
        assert.match(found[0], /Key credential end date is invalid/);
        assert.ok(found[0].includes(at(notAfter.getTime())), "names the certificate's NotAfter");
    });
    it("reads base64 and hex encoded certificates as the provider does", async () => {
        const b64 = derBase64(rsa2048.certPem);
        const hex = Buffer.from(b64, "base64").toString("hex");
        const late = at(notAfter.getTime() + DAY_MS);
        for (const [encoding, value] of [
            ["base64", b64],
            ["hex", hex],
        ] as const) {
            assert.deepEqual(
                messages(
                    await run("credential-within-certificate", credential(rsa2048, { encoding, value, endDate: at(notAfter.getTime()) })),
                ),
                [],
                encoding,
            );
            assert.equal(
                messages(await run("credential-within-certificate", credential(rsa2048, { encoding, value, endDate: late }))).length,
                1,
                encoding,
            );
        }
    });
    it("skips a certificate or end date a preview cannot know yet", async () => {
        assert.deepEqual(
            messages(await run("credential-within-certificate", credential(rsa2048, { value: UNKNOWN_STRING, endDate: UNKNOWN_STRING }))),
            [],
        );
        assert.deepEqual(messages(await run("credential-within-certificate", credential(rsa2048, { endDate: UNKNOWN_STRING }))), []);
    });
    it("refuses what it cannot check: a relative end date, an end date that is no date, a value that is no certificate", async () => {
        assert.match(
            messages(await run("credential-within-certificate", credential(rsa2048, { endDateRelative: "8760h" })))[0] ?? "",
            /sets endDateRelative/,
        );
        assert.match(
            messages(await run("credential-within-certificate", credential(rsa2048, { endDate: "next year" })))[0] ?? "",
            /not an RFC 3339 date/,
        );
        assert.match(
            messages(
                await run(
                    "credential-within-certificate",
                    credential(rsa2048, { value: "not a certificate", endDate: at(notAfter.getTime()) }),
                ),
            )[0] ?? "",
            /not a readable X\.509 certificate/,
        );
    });
});

describe("certificates on the service principal (ServicePrincipalCertificate) meet the application's rules", () => {
    const notAfter = opensslNotAfter(rsa2048.certPem);
    const at = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");
    it("rsa-key-size: refuses a key smaller than 2048 bits or not RSA, accepts RSA 2048", async () => {
        assert.deepEqual(messages(await run("rsa-key-size", spCredential(rsa2048))), []);
        const small = messages(await run("rsa-key-size", spCredential(makeCertificate({ now: NOW, key: 1024 }))));
        assert.equal(small.length, 1);
        assert.match(small[0], /exo-sp-credential .*1024-bit RSA key/);
        const ec = messages(await run("rsa-key-size", spCredential(makeCertificate({ now: NOW, key: "ec" }))));
        assert.equal(ec.length, 1);
        assert.match(ec[0], /EC key/);
    });
    it("rsa-key-size: reads base64 and hex encodings as the provider does", async () => {
        const small = makeCertificate({ now: NOW, key: 1024 });
        const b64 = derBase64(small.certPem);
        for (const [encoding, value] of [
            ["base64", b64],
            ["hex", Buffer.from(b64, "base64").toString("hex")],
        ] as const) {
            assert.equal(messages(await run("rsa-key-size", spCredential(small, { encoding, value }))).length, 1, encoding);
        }
    });
    it("credential-within-certificate: accepts an end date up to NotAfter, refuses one after it", async () => {
        assert.deepEqual(
            messages(await run("credential-within-certificate", spCredential(rsa2048, { endDate: at(notAfter.getTime()) }))),
            [],
        );
        const late = messages(
            await run("credential-within-certificate", spCredential(rsa2048, { endDate: at(notAfter.getTime() + 1000) })),
        );
        assert.equal(late.length, 1);
        assert.match(late[0], /^exo-sp-credential ends .*Key credential end date is invalid/);
    });
    it("credential-within-certificate: refuses what it cannot check, as for the application", async () => {
        assert.match(
            messages(await run("credential-within-certificate", spCredential(rsa2048, { endDateRelative: "8760h" })))[0] ?? "",
            /sets endDateRelative/,
        );
        assert.match(
            messages(await run("credential-within-certificate", spCredential(rsa2048, { endDate: "2031-13-40" })))[0] ?? "",
            /not an RFC 3339 date/,
        );
        assert.match(
            messages(
                await run("credential-within-certificate", spCredential(rsa2048, { value: "MIIB", endDate: at(notAfter.getTime()) })),
            )[0] ?? "",
            /not a readable X\.509 certificate/,
        );
        assert.match(
            messages(
                await run("credential-within-certificate", spCredential(rsa2048, { encoding: "der", endDate: at(notAfter.getTime()) })),
            )[0] ?? "",
            /encoding "der" is not one of pem, base64, hex/,
        );
    });
    it("skips a certificate or end date a preview cannot know yet", async () => {
        for (const policy of ["rsa-key-size", "credential-within-certificate", "certificate-expiry"]) {
            assert.deepEqual(
                messages(await run(policy, spCredential(rsa2048, { value: UNKNOWN_STRING, endDate: UNKNOWN_STRING }))),
                [],
                policy,
            );
        }
    });
    it("certificate-expiry: warns about a certificate on the service principal too", async () => {
        const soon = makeCertificate({ now: NOW, toDays: 5 });
        assert.match(messages(await run("certificate-expiry", spCredential(soon)))[0] ?? "", /^exo-sp-credential: .*\(5 days left\)/);
        assert.deepEqual(messages(await run("certificate-expiry", spCredential(rsa2048))), []);
    });
});

describe("exchange-online-manage-as-app-only", () => {
    const policy = "exchange-online-manage-as-app-only";
    const apiAccess = (apiClientId: unknown, roleIds: unknown, scopeIds?: unknown): TestResource => ({
        type: T.apiAccess,
        name: "exo-api-access",
        props: { applicationId: "/applications/x", apiClientId, roleIds, ...(scopeIds === undefined ? {} : { scopeIds }) },
    });
    const application = (requiredResourceAccesses: unknown): TestResource => ({
        type: T.application,
        name: "exo-app",
        props: { displayName: "exo-cba", requiredResourceAccesses },
    });
    const role = (id: unknown) => ({ id, type: "Role" });
    const scope = (id: unknown) => ({ id, type: "Scope" });
    const assignment = (
        name: string,
        resourceObjectId: unknown,
        appRoleId: unknown,
        extra: Record<string, unknown> = {},
    ): TestResource => ({
        type: T.appRoleAssignment,
        name,
        props: { principalObjectId: STACK_SP, resourceObjectId, appRoleId, ...extra },
    });
    const stack = (resources: TestResource[]) => validateStack(policyNamed(policies, policy), resources);

    describe("requested with ApplicationApiAccess", () => {
        it("accepts Exchange.ManageAsApp alone, from Exchange Online and from Exchange Online Protection", async () => {
            assert.deepEqual(messages(await run(policy, apiAccess(EXO_APP_ID, [MANAGE_AS_APP_ROLE_ID]))), []);
            assert.deepEqual(messages(await run(policy, apiAccess(EOP_APP_ID, [EOP_MANAGE_AS_APP_ROLE_ID]))), []);
            assert.deepEqual(messages(await run(policy, apiAccess(EXO_APP_ID.toUpperCase(), [MANAGE_AS_APP_ROLE_ID.toUpperCase()]))), []);
        });
        it("refuses full_access_as_app, by name, and any other Exchange Online application permission", async () => {
            const found = messages(await run(policy, apiAccess(EXO_APP_ID, [MANAGE_AS_APP_ROLE_ID, FULL_ACCESS_AS_APP])));
            assert.equal(found.length, 1);
            assert.match(found[0], new RegExp(`full_access_as_app \\(${FULL_ACCESS_AS_APP}\\)`));
            const other = messages(await run(policy, apiAccess(EXO_APP_ID, [MAIL_READ_WRITE])));
            assert.equal(other.length, 1);
            assert.ok(other[0].includes(MAIL_READ_WRITE));
        });
        it("refuses delegated permissions (scopeIds) from Exchange Online", async () => {
            const found = messages(await run(policy, apiAccess(EXO_APP_ID, [MANAGE_AS_APP_ROLE_ID], [EWS_ACCESS_AS_USER])));
            assert.equal(found.length, 1);
            assert.ok(found[0].includes(EWS_ACCESS_AS_USER));
        });
        it("allows from Exchange Online Protection only its own Exchange.ManageAsApp", async () => {
            assert.equal(messages(await run(policy, apiAccess(EOP_APP_ID, [EOP_MANAGE_AS_APP_ROLE_ID, FULL_ACCESS_AS_APP]))).length, 1);
            // Exchange Online's role id means nothing on Exchange Online Protection.
            assert.equal(messages(await run(policy, apiAccess(EOP_APP_ID, [MANAGE_AS_APP_ROLE_ID]))).length, 1);
            assert.equal(messages(await run(policy, apiAccess(EXO_APP_ID, [EOP_MANAGE_AS_APP_ROLE_ID]))).length, 1);
        });
        it("leaves other APIs alone", async () => {
            assert.deepEqual(messages(await run(policy, apiAccess(GRAPH_APP_ID, [MAIL_READ_WRITE], [EWS_ACCESS_AS_USER]))), []);
        });
        it("skips what a preview cannot know yet, and still checks the rest", async () => {
            assert.deepEqual(messages(await run(policy, apiAccess(EXO_APP_ID, UNKNOWN_ARRAY))), []);
            assert.deepEqual(messages(await run(policy, apiAccess(EXO_APP_ID, [UNKNOWN_STRING]))), []);
            assert.deepEqual(messages(await run(policy, apiAccess(UNKNOWN_STRING, [FULL_ACCESS_AS_APP]))), []);
            assert.equal(messages(await run(policy, apiAccess(EXO_APP_ID, [UNKNOWN_STRING, FULL_ACCESS_AS_APP]))).length, 1);
        });
    });

    describe("requested in an Application's requiredResourceAccesses", () => {
        it("accepts Exchange.ManageAsApp from each resource, and leaves other APIs alone", async () => {
            const found = await run(
                policy,
                application([
                    { resourceAppId: EXO_APP_ID, resourceAccesses: [role(MANAGE_AS_APP_ROLE_ID)] },
                    { resourceAppId: EOP_APP_ID, resourceAccesses: [role(EOP_MANAGE_AS_APP_ROLE_ID)] },
                    { resourceAppId: GRAPH_APP_ID, resourceAccesses: [role(MAIL_READ_WRITE), scope(EWS_ACCESS_AS_USER)] },
                ]),
            );
            assert.deepEqual(messages(found), []);
        });
        it("refuses full_access_as_app requested there", async () => {
            const found = messages(
                await run(
                    policy,
                    application([{ resourceAppId: EXO_APP_ID, resourceAccesses: [role(MANAGE_AS_APP_ROLE_ID), role(FULL_ACCESS_AS_APP)] }]),
                ),
            );
            assert.equal(found.length, 1);
            assert.match(found[0], /full_access_as_app/);
        });
        it("refuses a delegated permission, the ManageAsApp id requested as a scope, and any other permission of Exchange Online Protection", async () => {
            for (const accesses of [
                { resourceAppId: EXO_APP_ID, resourceAccesses: [scope(EWS_ACCESS_AS_USER)] },
                { resourceAppId: EXO_APP_ID, resourceAccesses: [scope(MANAGE_AS_APP_ROLE_ID)] },
                { resourceAppId: EOP_APP_ID, resourceAccesses: [role(EOP_MANAGE_AS_APP_ROLE_ID), role(MAIL_READ_WRITE)] },
            ]) {
                assert.equal(messages(await run(policy, application([accesses]))).length, 1, JSON.stringify(accesses));
            }
        });
        it("skips what a preview cannot know yet, and still checks the rest", async () => {
            assert.deepEqual(messages(await run(policy, application(UNKNOWN_ARRAY))), []);
            assert.deepEqual(
                messages(await run(policy, application([{ resourceAppId: UNKNOWN_STRING, resourceAccesses: [role(FULL_ACCESS_AS_APP)] }]))),
                [],
            );
            const found = messages(
                await run(
                    policy,
                    application([{ resourceAppId: EXO_APP_ID, resourceAccesses: [role(UNKNOWN_STRING), role(FULL_ACCESS_AS_APP)] }]),
                ),
            );
            assert.equal(found.length, 1);
        });
    });

    describe("granted with AppRoleAssignment", () => {
        it("refuses full_access_as_app as each assignment is checked, before it is created, wherever it points", async () => {
            // Its id is Exchange Online's alone, so the resource need not be recognised.
            const found = messages(await run(policy, assignment("exo-full-access", UNKNOWN_STRING, FULL_ACCESS_AS_APP)));
            assert.equal(found.length, 1);
            assert.match(found[0], /full_access_as_app/);
        });
        it("accepts the consent assignments and assignments on other APIs", async () => {
            const o = await stack([
                assignment("exo-consent", EXO_SP, MANAGE_AS_APP_ROLE_ID),
                assignment("eop-consent", EOP_SP, EOP_MANAGE_AS_APP_ROLE_ID),
                assignment("mi-consent", EXO_SP, MANAGE_AS_APP_ROLE_ID, { principalObjectId: AUTOMATION_IDENTITY_ID }),
                assignment("graph", GRAPH_SP, MAIL_READ_WRITE),
            ]);
            assert.deepEqual(messages(o), []);
        });
        it("refuses another app role granted on the Exchange Online service principal, at that resource", async () => {
            const extra = assignment("exo-mail", EXO_SP, MAIL_READ_WRITE);
            const o = await stack([assignment("exo-consent", EXO_SP, MANAGE_AS_APP_ROLE_ID), extra]);
            assert.equal(messages(o).length, 1);
            assert.equal(o.violations[0].urn, urnOf(extra));
        });
        it("refuses another app role granted on the Exchange Online Protection service principal", async () => {
            const extra = assignment("eop-other", EOP_SP, "8f819283-077c-4c68-aa24-0ad706da26e0");
            const o = await stack([assignment("eop-consent", EOP_SP, EOP_MANAGE_AS_APP_ROLE_ID), extra]);
            assert.equal(messages(o).length, 1);
            assert.equal(o.violations[0].urn, urnOf(extra));
        });
        it("recognises Exchange Online by its name when nothing else is granted on it", async () => {
            const o = await stack([assignment("exo-mail", EXO_SP, MAIL_READ_WRITE, { resourceDisplayName: "Office 365 Exchange Online" })]);
            assert.equal(messages(o).length, 1);
        });
        it("recognises Exchange Online by a ServicePrincipal in the stack that stands for it (useExisting)", async () => {
            const sp: TestResource = {
                type: T.servicePrincipal,
                name: "exchange-online",
                props: { clientId: EXO_APP_ID, useExisting: true, objectId: EXO_SP },
            };
            const o = await stack([sp, assignment("exo-mail", EXO_SP, MAIL_READ_WRITE)]);
            assert.equal(messages(o).length, 1);
        });
        it("refuses a delegated permission grant on the Exchange Online service principal", async () => {
            const grant: TestResource = {
                type: T.delegatedGrant,
                name: "exo-delegated",
                props: {
                    servicePrincipalObjectId: STACK_SP,
                    resourceServicePrincipalObjectId: EXO_SP,
                    claimValues: ["EWS.AccessAsUser.All"],
                },
            };
            const o = await stack([assignment("exo-consent", EXO_SP, MANAGE_AS_APP_ROLE_ID), grant]);
            assert.equal(messages(o).length, 1);
            assert.equal(o.violations[0].urn, urnOf(grant));
            assert.match(o.violations[0].message, /EWS\.AccessAsUser\.All/);
        });
        it("skips assignments whose resource or role a preview cannot know yet", async () => {
            const o = await stack([
                assignment("exo-consent", UNKNOWN_STRING, MANAGE_AS_APP_ROLE_ID),
                assignment("other", UNKNOWN_STRING, MAIL_READ_WRITE),
                assignment("exo-consent-2", EXO_SP, MANAGE_AS_APP_ROLE_ID),
                assignment("later", EXO_SP, UNKNOWN_STRING),
            ]);
            assert.deepEqual(messages(o), []);
        });
    });
});

describe("no-password-credentials", () => {
    const policy = "no-password-credentials";
    const check = (resource: TestResource) => run(policy, resource);
    it("refuses an ApplicationPassword outright, even before its inputs are known, and says what to use instead", async () => {
        for (const props of [{ applicationId: "/applications/x", displayName: "ci" }, { applicationId: UNKNOWN_STRING }]) {
            const found = messages(await check({ type: T.applicationPassword, name: "exo-secret", props }));
            assert.equal(found.length, 1, JSON.stringify(props));
            assert.match(found[0], /^exo-secret /);
            assert.match(found[0], /client secret/);
            assert.match(found[0], /exo-cba:certificates/);
            assert.match(found[0], /exo-cba:federatedCredentials/);
        }
    });
    it("refuses a ServicePrincipalPassword: a secret on the service principal signs in as well", async () => {
        const found = messages(
            await check({ type: T.spPassword, name: "exo-sp-secret", props: { servicePrincipalId: "/servicePrincipals/x" } }),
        );
        assert.equal(found.length, 1);
        assert.match(found[0], /^exo-sp-secret .*service principal/);
    });
    it("refuses the password block of an Application, whatever it holds", async () => {
        for (const password of [{ displayName: "generated" }, { displayName: UNKNOWN_STRING }, {}]) {
            const found = messages(await check({ type: T.application, name: "exo-app", props: { displayName: "exo-cba", password } }));
            assert.equal(found.length, 1, JSON.stringify(password));
            assert.match(found[0], /^exo-app .*password/);
        }
    });
    it("accepts an Application without a password block, and skips one a preview cannot know yet", async () => {
        assert.deepEqual(messages(await check({ type: T.application, name: "exo-app", props: { displayName: "exo-cba" } })), []);
        assert.deepEqual(
            messages(await check({ type: T.application, name: "exo-app", props: { displayName: "exo-cba", password: null } })),
            [],
        );
        assert.deepEqual(
            messages(await check({ type: T.application, name: "exo-app", props: { displayName: "exo-cba", password: UNKNOWN_STRING } })),
            [],
        );
    });
    it("refuses a symmetric key registered as a certificate credential, on the application or the service principal", async () => {
        for (const resource of [
            credential(rsa2048, { type: "Symmetric", value: "c2hhcmVkIHNlY3JldA==" }),
            spCredential(rsa2048, { type: "Symmetric", value: "c2hhcmVkIHNlY3JldA==" }),
            credential(rsa2048, { type: "symmetric" }),
        ]) {
            const found = messages(await check(resource));
            assert.equal(found.length, 1, resource.type);
            assert.match(found[0], /shared secret/);
            assert.ok(!found[0].includes("c2hhcmVk"), "never prints the key");
        }
    });
    it("accepts an X.509 certificate credential, and skips a type a preview cannot know yet", async () => {
        for (const resource of [
            credential(rsa2048),
            spCredential(rsa2048),
            credential(rsa2048, { type: undefined }),
            credential(rsa2048, { type: UNKNOWN_STRING }),
        ]) {
            assert.deepEqual(messages(await check(resource)), [], JSON.stringify(resource.props.type));
        }
    });
    it("refuses a ServicePrincipalTokenSigningCertificate: it stores a password credential on the service principal", async () => {
        const found = messages(
            await check({ type: T.tokenSigningCertificate, name: "exo-saml", props: { servicePrincipalId: UNKNOWN_STRING } }),
        );
        assert.equal(found.length, 1);
        assert.match(found[0], /^exo-saml .*password credential/);
    });
    it("leaves the program's own resources alone", async () => {
        for (const resource of [
            { type: tokenOf(azuread.ApplicationRegistration), name: "exo-app", props: { displayName: "exo-cba" } },
            { type: T.servicePrincipal, name: "exo-sp", props: { clientId: UNKNOWN_STRING } },
        ]) {
            assert.deepEqual(messages(await check(resource)), [], resource.type);
        }
    });
});

/**
 * Microsoft Graph application permissions with a known path to Global Administrator ("Tier 0" of
 * github.com/emiliensocchi/azure-tiering), by the ids Microsoft publishes for them:
 * microsoftgraph/microsoft-graph-docs-contrib concepts/includes/permissions-ids.md (the "All permissions and
 * IDs" table of learn.microsoft.com/graph/permissions-reference), type Application.
 */
const GRAPH_ESCALATING_ROLES: readonly [name: string, id: string][] = [
    ["AdministrativeUnit.ReadWrite.All", "5eb59dd3-1da2-4329-8733-9dabdc435916"],
    ["Application.ReadWrite.All", "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"],
    ["Application.ReadWrite.OwnedBy", "18a4783c-866b-4cc7-a460-3d5e5662c884"],
    ["AppRoleAssignment.ReadWrite.All", "06b708a9-e830-4db3-a914-8e69da51d44f"],
    ["DelegatedAdminRelationship.ReadWrite.All", "cc13eba4-8cd8-44c6-b4d4-f93237adce58"],
    ["DeviceManagementConfiguration.ReadWrite.All", "9241abd9-d0e6-425a-bd4f-47ba86e767a4"],
    ["DeviceManagementRBAC.ReadWrite.All", "e330c4f0-4170-414e-a55a-2f022ec2b57b"],
    ["Directory.ReadWrite.All", "19dbc75e-c2e2-444c-a770-ec69d8559fc7"],
    ["Domain.ReadWrite.All", "7e05723c-0bb0-42da-be95-ae9f08a6e53c"],
    ["EntitlementManagement.ReadWrite.All", "9acd699f-1e81-4958-b001-93b1d2506e19"],
    ["Group.ReadWrite.All", "62a82d76-70ea-41e2-9197-370581804d09"],
    ["GroupMember.ReadWrite.All", "dbaae8cf-10b5-4b86-a4a1-f871c94c6695"],
    ["Organization.ReadWrite.All", "292d869f-3427-49a8-9dab-8c70152b74e9"],
    ["Policy.ReadWrite.AuthenticationMethod", "29c18626-4985-4dcd-85c0-193eef327366"],
    ["Policy.ReadWrite.ConditionalAccess", "01c0a623-fc9b-48e9-b794-0756f8e8f067"],
    ["Policy.ReadWrite.PermissionGrant", "a402ca1c-2696-4531-972d-6e5ee4aa11ea"],
    ["PrivilegedAccess.ReadWrite.AzureAD", "854d9ab1-6657-4ec8-be45-823027bcd009"],
    ["PrivilegedAccess.ReadWrite.AzureADGroup", "2f6817f8-7b12-4f0f-bc18-eeaf60705a9e"],
    ["PrivilegedAccess.ReadWrite.AzureResources", "6f9d5abc-2db6-400b-a267-7de22a40fb87"],
    ["RoleManagement.ReadWrite.Directory", "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"],
    ["User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca"],
    ["UserAuthenticationMethod.ReadWrite.All", "50483e42-d915-4231-9639-7fdb7fd190e5"],
];
const ROLE_ID = Object.fromEntries(GRAPH_ESCALATING_ROLES) as Record<string, string>;
/** Harmless Graph application permissions, same table: User.Read.All, Mail.Send. */
const GRAPH_USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214";
const GRAPH_MAIL_SEND = "b633e1c5-b582-4048-a93e-9f11b44c7e96";
/** The delegated RoleManagement.ReadWrite.Directory (a scope, acting as the signed-in user), same table. */
const GRAPH_ROLE_MANAGEMENT_DELEGATED = "d01b97e9-cbc0-49fe-810a-750afd5527a3";

describe("no-graph-privilege-escalation", () => {
    const policy = "no-graph-privilege-escalation";
    const apiAccess = (apiClientId: unknown, roleIds: unknown, scopeIds?: unknown): TestResource => ({
        type: T.apiAccess,
        name: "exo-graph-access",
        props: { applicationId: "/applications/x", apiClientId, roleIds, ...(scopeIds === undefined ? {} : { scopeIds }) },
    });
    const application = (requiredResourceAccesses: unknown): TestResource => ({
        type: T.application,
        name: "exo-app",
        props: { displayName: "exo-cba", requiredResourceAccesses },
    });
    const assignment = (appRoleId: unknown, resourceObjectId: unknown = UNKNOWN_STRING): TestResource => ({
        type: T.appRoleAssignment,
        name: "exo-graph-grant",
        props: { principalObjectId: STACK_SP, resourceObjectId, appRoleId },
    });

    it("refuses each escalating permission requested from Microsoft Graph, by name and id, in any letter case", async () => {
        for (const [name, id] of GRAPH_ESCALATING_ROLES) {
            for (const given of [id, id.toUpperCase()]) {
                const found = messages(await run(policy, apiAccess(GRAPH_APP_ID, [GRAPH_USER_READ_ALL, given])));
                assert.equal(found.length, 1, `${name} ${given}`);
                assert.ok(found[0].startsWith("exo-graph-access "), found[0]);
                assert.ok(found[0].includes(`${name} (${given})`), found[0]);
                assert.ok(!found[0].includes(GRAPH_USER_READ_ALL), "names only the permissions at fault");
            }
        }
    });
    it("says why, and where to change it, for the three that raise the application's own privilege directly", async () => {
        const why = {
            "RoleManagement.ReadWrite.Directory": /directory role/,
            "AppRoleAssignment.ReadWrite.All": /app role/,
            "Application.ReadWrite.All": /credential/,
        };
        for (const [name, pattern] of Object.entries(why)) {
            const found = messages(await run(policy, apiAccess(GRAPH_APP_ID.toUpperCase(), [ROLE_ID[name]])));
            assert.equal(found.length, 1, name);
            assert.match(found[0], pattern, name);
            assert.match(found[0], /Global Administrator/);
            assert.match(found[0], /Remove/);
        }
    });
    it("names every escalating permission of one request in one message", async () => {
        const ids = [ROLE_ID["RoleManagement.ReadWrite.Directory"], ROLE_ID["Directory.ReadWrite.All"]];
        const found = messages(await run(policy, apiAccess(GRAPH_APP_ID, ids)));
        assert.equal(found.length, 1);
        for (const id of ids) assert.ok(found[0].includes(id), id);
    });
    it("refuses an application permission's id put among the delegated scopeIds too", async () => {
        assert.equal(messages(await run(policy, apiAccess(GRAPH_APP_ID, [], [ROLE_ID["AppRoleAssignment.ReadWrite.All"]]))).length, 1);
    });
    it("accepts other Graph permissions, delegated scopes, and other APIs", async () => {
        assert.deepEqual(messages(await run(policy, apiAccess(GRAPH_APP_ID, [GRAPH_USER_READ_ALL, GRAPH_MAIL_SEND]))), []);
        assert.deepEqual(messages(await run(policy, apiAccess(GRAPH_APP_ID, [], [GRAPH_ROLE_MANAGEMENT_DELEGATED]))), []);
        assert.deepEqual(messages(await run(policy, apiAccess(EXO_APP_ID, [MANAGE_AS_APP_ROLE_ID]))), []);
    });
    it("refuses them in an Application's requiredResourceAccesses for Microsoft Graph, whatever the type says", async () => {
        for (const type of ["Role", "Scope", "role"]) {
            const found = messages(
                await run(
                    policy,
                    application([
                        { resourceAppId: EXO_APP_ID, resourceAccesses: [{ id: MANAGE_AS_APP_ROLE_ID, type: "Role" }] },
                        { resourceAppId: GRAPH_APP_ID, resourceAccesses: [{ id: ROLE_ID["Application.ReadWrite.All"], type }] },
                    ]),
                ),
            );
            assert.equal(found.length, 1, type);
            assert.match(found[0], /^exo-app .*Application\.ReadWrite\.All \(1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9\)/);
        }
        assert.deepEqual(
            messages(
                await run(
                    policy,
                    application([{ resourceAppId: GRAPH_APP_ID, resourceAccesses: [{ id: GRAPH_USER_READ_ALL, type: "Role" }] }]),
                ),
            ),
            [],
        );
    });
    it("refuses one granted with AppRoleAssignment wherever it points, before the assignment exists", async () => {
        for (const resourceObjectId of [UNKNOWN_STRING, GRAPH_SP, GRAPH_SP.toUpperCase()]) {
            const found = messages(
                await run(policy, assignment(ROLE_ID["RoleManagement.ReadWrite.Directory"].toUpperCase(), resourceObjectId)),
            );
            assert.equal(found.length, 1, String(resourceObjectId));
            assert.match(found[0], /^exo-graph-grant grants .*RoleManagement\.ReadWrite\.Directory/);
        }
        assert.deepEqual(messages(await run(policy, assignment(GRAPH_USER_READ_ALL, GRAPH_SP))), []);
        assert.deepEqual(messages(await run(policy, assignment(MANAGE_AS_APP_ROLE_ID, EXO_SP))), []);
    });
    it("skips what a preview cannot know yet, and still checks the rest", async () => {
        assert.deepEqual(messages(await run(policy, apiAccess(UNKNOWN_STRING, [ROLE_ID["Directory.ReadWrite.All"]]))), []);
        assert.deepEqual(messages(await run(policy, apiAccess(GRAPH_APP_ID, UNKNOWN_ARRAY))), []);
        assert.deepEqual(messages(await run(policy, assignment(UNKNOWN_STRING))), []);
        assert.deepEqual(messages(await run(policy, application(UNKNOWN_ARRAY))), []);
        assert.equal(messages(await run(policy, apiAccess(GRAPH_APP_ID, [UNKNOWN_STRING, ROLE_ID["Directory.ReadWrite.All"]]))).length, 1);
        assert.equal(
            messages(
                await run(
                    policy,
                    application([
                        {
                            resourceAppId: GRAPH_APP_ID,
                            resourceAccesses: [
                                { id: UNKNOWN_STRING, type: "Role" },
                                { id: ROLE_ID["Group.ReadWrite.All"], type: "Role" },
                            ],
                        },
                    ]),
                ),
            ).length,
            1,
        );
    });
    it("does not take a value that is no id for one: stray characters, braces, a number", async () => {
        const id = ROLE_ID["RoleManagement.ReadWrite.Directory"];
        for (const given of [` ${id}`, `{${id}}`, 42]) {
            assert.deepEqual(messages(await run(policy, assignment(given))), [], String(given));
        }
    });
});

describe("no-group-membership", () => {
    const policy = "no-group-membership";
    const stack = (resources: TestResource[]) => validateStack(policyNamed(policies, policy), resources);
    const GROUP = "7c6b5a49-3828-4716-a5b4-c3d2e1f0a9b8";
    /** The application's service principal, as a preview sees it (objectId unknown) or an update (known). */
    const sp = (objectId: unknown = STACK_SP): TestResource => ({
        type: T.servicePrincipal,
        name: "exo-sp",
        props: { clientId: UNKNOWN_STRING, objectId },
    });
    /** The program's grants to a managed identity's service principal, named by its object id from the stack's config. */
    const miGrants: TestResource[] = [
        {
            type: T.appRoleAssignment,
            name: "exo-mi-automation-consent",
            props: { principalObjectId: AUTOMATION_IDENTITY_ID, resourceObjectId: EXO_SP, appRoleId: MANAGE_AS_APP_ROLE_ID },
        },
        {
            type: T.roleAssignment,
            name: "exo-mi-automation-role-exchange-administrator",
            props: { principalObjectId: AUTOMATION_IDENTITY_ID, roleId: EXCHANGE_ADMINISTRATOR, directoryScopeId: "/" },
        },
    ];
    const member = (memberObjectId: unknown, dependsOn?: Record<string, string[]>): TestResource => ({
        type: T.groupMember,
        name: "exo-group-member",
        props: { groupObjectId: GROUP, memberObjectId },
        ...(dependsOn ? { dependsOn } : {}),
    });

    it("refuses the application's service principal added to a group, at the membership, naming the group and the fix", async () => {
        const m = member(STACK_SP);
        const o = await stack([sp(), m]);
        assert.equal(messages(o).length, 1);
        assert.equal(o.violations[0].urn, urnOf(m));
        assert.match(o.violations[0].message, /^exo-group-member /);
        assert.ok(o.violations[0].message.includes(GROUP), "names the group");
        assert.ok(o.violations[0].message.includes(STACK_SP), "names the member");
        assert.match(o.violations[0].message, /exo-sp/);
        assert.match(o.violations[0].message, /exo-cba:roles/);
    });
    it("recognises it in a preview, while its object id is unknown, by where the member's id comes from", async () => {
        const o = await stack([sp(UNKNOWN_STRING), member(UNKNOWN_STRING, { memberObjectId: ["exo-sp"] })]);
        assert.equal(messages(o).length, 1);
    });
    it("recognises the object id in any letter case", async () => {
        assert.equal(messages(await stack([sp(), member(STACK_SP.toUpperCase())])).length, 1);
    });
    it("refuses a managed identity's service principal the stack grants roles to", async () => {
        const o = await stack([...miGrants, member(AUTOMATION_IDENTITY_ID)]);
        assert.equal(messages(o).length, 1);
        assert.match(o.violations[0].message, /exo-mi-automation-consent|exo-mi-automation-role/);
    });
    it("refuses a member whose id comes from the same resource as a principal the stack grants roles to", async () => {
        const identity: TestResource = {
            type: "azure-native:managedidentity:UserAssignedIdentity",
            name: "automation-identity",
            props: { resourceGroupName: "rg", resourceName: "automation" },
        };
        const grant: TestResource = {
            type: T.roleAssignment,
            name: "exo-mi-role",
            props: { principalObjectId: UNKNOWN_STRING, roleId: EXCHANGE_ADMINISTRATOR, directoryScopeId: "/" },
            dependsOn: { principalObjectId: ["automation-identity"] },
        };
        const o = await stack([identity, grant, member(UNKNOWN_STRING, { memberObjectId: ["automation-identity"] })]);
        assert.equal(messages(o).length, 1);
    });
    it("leaves other members alone: a user, a principal the stack does not grant anything", async () => {
        assert.deepEqual(messages(await stack([sp(), ...miGrants, member(OTHER_USER_ID)])), []);
        assert.deepEqual(
            messages(await stack([sp(UNKNOWN_STRING), member(UNKNOWN_STRING)])),
            [],
            "an unknown id from nowhere in the stack",
        );
        assert.deepEqual(
            messages(await stack([sp(), member(OTHER_USER_ID, { memberObjectId: ["exo-sp"] })])),
            [],
            "a known id, taken from the service principal's other outputs (its owners), that is not its own",
        );
    });
    it("refuses a Group whose members or owners include one: an owner can add itself", async () => {
        for (const [key, list] of [
            ["members", [OTHER_USER_ID, STACK_SP]],
            ["owners", [STACK_SP.toUpperCase()]],
        ] as const) {
            const group: TestResource = {
                type: T.group,
                name: "exo-admins",
                props: { displayName: "EXO admins", securityEnabled: true, [key]: list },
            };
            const o = await stack([sp(), group]);
            assert.equal(messages(o).length, 1, key);
            assert.equal(o.violations[0].urn, urnOf(group));
            assert.match(o.violations[0].message, new RegExp(`^exo-admins .*${key === "members" ? "member" : "owner"}`), key);
            assert.ok(!o.violations[0].message.includes(OTHER_USER_ID), "names only the stack's principal");
        }
        const without: TestResource = {
            type: T.groupWithoutMembers,
            name: "exo-admins",
            props: { displayName: "EXO admins", owners: [AUTOMATION_IDENTITY_ID] },
        };
        assert.equal(messages(await stack([...miGrants, without])).length, 1);
    });
    it("checks a group's known members and skips the unknown ones, unless the list comes from the stack's principal", async () => {
        const group = (members: unknown, dependsOn?: Record<string, string[]>): TestResource => ({
            type: T.group,
            name: "exo-admins",
            props: { displayName: "EXO admins", members },
            ...(dependsOn ? { dependsOn } : {}),
        });
        assert.deepEqual(messages(await stack([sp(), group(UNKNOWN_ARRAY)])), []);
        assert.deepEqual(messages(await stack([sp(), group([UNKNOWN_STRING, OTHER_USER_ID])])), []);
        assert.equal(messages(await stack([sp(), group([UNKNOWN_STRING, STACK_SP])])).length, 1);
        assert.equal(messages(await stack([sp(UNKNOWN_STRING), group([UNKNOWN_STRING], { members: ["exo-sp"] })])).length, 1);
    });
    it("refuses making one a member or owner through Privileged Identity Management for groups", async () => {
        for (const type of [T.pimGroupAssignment, T.pimGroupEligibility]) {
            const pim: TestResource = {
                type,
                name: "exo-pim",
                props: { groupId: GROUP, principalId: STACK_SP, assignmentType: "member", permanentAssignment: true },
            };
            const o = await stack([sp(), pim]);
            assert.equal(messages(o).length, 1, type);
            assert.match(o.violations[0].message, /^exo-pim /);
        }
    });
    it("passes the program's own stack: the application's service principal and its grants, no group", async () => {
        const own: TestResource[] = [
            sp(),
            {
                type: T.appRoleAssignment,
                name: "exo-consent",
                props: { principalObjectId: STACK_SP, resourceObjectId: EXO_SP, appRoleId: MANAGE_AS_APP_ROLE_ID },
            },
            roleAssignment(EXCHANGE_ADMINISTRATOR, { principalObjectId: STACK_SP }),
            ...miGrants,
        ];
        assert.deepEqual(messages(await stack(own)), []);
    });
});

describe("self-signed-validity", () => {
    const cert = (validityPeriodHours: unknown): TestResource => ({
        type: T.selfSignedCert,
        name: "exo-initial-cert",
        props: { validityPeriodHours, allowedUses: ["digitalSignature"] },
    });
    it("accepts up to 730 days by default and refuses a day more", async () => {
        assert.deepEqual(messages(await run("self-signed-validity", cert(730 * 24))), []);
        const found = messages(await run("self-signed-validity", cert(731 * 24)));
        assert.equal(found.length, 1);
        assert.match(found[0], /valid for 731 days; at most 730 days/);
        assert.match(messages(await run("self-signed-validity", cert(730 * 24 + 1)))[0] ?? "", /valid for 17521 hours; at most 730 days/);
    });
    it("reads a validity given as a string as the number it spells", async () => {
        const found = messages(await run("self-signed-validity", cert("99999")));
        assert.equal(found.length, 1);
        assert.match(found[0], /valid for 99999 hours/);
        assert.deepEqual(messages(await run("self-signed-validity", cert("8760"))), []);
    });
    it("refuses a validity that is no number, or none, since it cannot be checked", async () => {
        for (const hours of ["forever", "", "1e9", false, undefined]) {
            assert.equal(messages(await run("self-signed-validity", cert(hours))).length, 1, JSON.stringify(hours));
        }
    });
    it("takes the maximum from maxValidityDays", async () => {
        assert.deepEqual(messages(await run("self-signed-validity", cert(3650 * 24), { maxValidityDays: 3650 })), []);
        assert.equal(messages(await run("self-signed-validity", cert(366 * 24), { maxValidityDays: 365 })).length, 1);
    });
    it("skips a validity a preview cannot know yet", async () => {
        assert.deepEqual(messages(await run("self-signed-validity", cert(UNKNOWN_NUMBER))), []);
    });
});

describe("certificate-expiry", () => {
    const notAfter = opensslNotAfter(rsa2048.certPem);
    const at = (daysBefore: number) => createPolicies(() => new Date(notAfter.getTime() - daysBefore * DAY_MS));
    const check = (daysBefore: number, config?: PolicyConfig) =>
        validateResource(policyNamed(at(daysBefore), "certificate-expiry"), credential(rsa2048), config);
    it("is quiet while the certificate has more than 30 days left", async () => {
        assert.deepEqual(messages(await check(31)), []);
        assert.deepEqual(messages(await check(30 + 1 / 86400)), [], "30 days and a second");
        assert.equal(messages(await check(30)).length, 1, "30 days exactly is inside the window, as for npm run check-expiry");
    });
    it("warns inside the window, with the days left and how to rotate", async () => {
        const found = messages(await check(10));
        assert.equal(found.length, 1);
        assert.match(found[0], /\(10 days left\)/);
        assert.match(found[0], /exo-cba:certificates/);
    });
    it("says so once the certificate has expired", async () => {
        assert.match(messages(await check(-2))[0] ?? "", /expired on/);
    });
    it("reads the clock it is given: a certificate dated from NOW is quiet at NOW", async () => {
        assert.deepEqual(messages(await run("certificate-expiry", credential(rsa2048))), []);
        const soon = makeCertificate({ now: NOW, toDays: 5 });
        assert.match(messages(await run("certificate-expiry", credential(soon)))[0] ?? "", /\(5 days left\)/);
    });
    it("takes the window from expiringWithinDays", async () => {
        assert.equal(messages(await check(45, { expiringWithinDays: 60 })).length, 1);
        assert.deepEqual(messages(await check(10, { expiringWithinDays: 5 })), []);
    });
    it("is advisory: it warns, it does not block", () => {
        assert.equal(policyNamed(policies, "certificate-expiry").enforcementLevel, "advisory");
    });
});

/**
 * The audience a federated credential accepts, per cloud: learn.microsoft.com/entra/workload-id/
 * workload-identity-federation-config-app-trust-managed-identity ("Microsoft Entra ID for US Government"
 * serves GCC High and DoD alike).
 */
const CLOUD_AUDIENCES = {
    global: "api://AzureADTokenExchange",
    "US Government": "api://AzureADTokenExchangeUSGov",
    China: "api://AzureADTokenExchangeChina",
} as const;

describe("federated-identity-credential", () => {
    const policy = "federated-identity-credential";
    const GITHUB = "https://token.actions.githubusercontent.com";
    const EXCHANGE_AUDIENCE = CLOUD_AUDIENCES.global;
    const fic = (props: Record<string, unknown>): TestResource => ({
        type: T.federated,
        name: "exo-github",
        props: {
            applicationId: "/applications/x",
            displayName: "github-production",
            issuer: GITHUB,
            subject: "repo:contoso/exo-automation:environment:production",
            audiences: [EXCHANGE_AUDIENCE],
            ...props,
        },
    });
    it("accepts an exact subject from an https issuer with the token-exchange audience", async () => {
        for (const subject of [
            "repo:contoso/exo-automation:environment:production",
            "repo:contoso/exo-automation:ref:refs/heads/main",
            "repo:contoso/exo-automation:ref:refs/tags/v1.2.0",
        ]) {
            assert.deepEqual(messages(await run(policy, fic({ subject }))), [], subject);
        }
    });
    it("refuses a pull_request subject: any pull request could get an Exchange token", async () => {
        const found = messages(await run(policy, fic({ subject: "repo:contoso/exo-automation:pull_request" })));
        assert.equal(found.length, 1);
        assert.match(found[0], /pull request/);
        assert.match(found[0], /environment/);
    });
    it("refuses pull requests in other spellings: pull_request_target, another letter case, a pull request's ref", async () => {
        for (const subject of [
            "repo:contoso/exo-automation:Pull_Request",
            "repo:contoso/exo-automation:environment:production:event_name:pull_request_target",
            "repo:contoso/exo-automation:ref:refs/pull/42/merge",
        ]) {
            assert.equal(messages(await run(policy, fic({ subject }))).length, 1, subject);
        }
    });
    it("refuses a wildcard anywhere in the subject", async () => {
        for (const subject of ["repo:contoso/*", "repo:contoso/exo-automation:*", "*"]) {
            const found = messages(await run(policy, fic({ subject })));
            assert.equal(found.length, 1, subject);
            assert.match(found[0], /wildcard/);
        }
    });
    it("refuses an issuer that is not https", async () => {
        for (const issuer of [
            "http://token.actions.githubusercontent.com",
            "token.actions.githubusercontent.com",
            " https://x.example",
            "",
        ]) {
            const found = messages(await run(policy, fic({ issuer })));
            assert.equal(found.length, 1, issuer);
            assert.match(found[0], /https/);
        }
    });
    it("accepts by default the token-exchange audience of each cloud: one policy/config.json serves every stack", async () => {
        for (const audience of Object.values(CLOUD_AUDIENCES)) {
            assert.deepEqual(messages(await run(policy, fic({ audiences: [audience] }))), [], audience);
        }
    });
    it("refuses another audience, or more than one, unless allowedAudiences lists it", async () => {
        for (const audiences of [
            ["api://other"],
            ["api://AzureADTokenExchangeGermany"],
            [`${EXCHANGE_AUDIENCE} `],
            [`${EXCHANGE_AUDIENCE}/.default`],
            [EXCHANGE_AUDIENCE, "api://other"],
            [EXCHANGE_AUDIENCE, CLOUD_AUDIENCES["US Government"]],
            [],
        ]) {
            assert.equal(messages(await run(policy, fic({ audiences }))).length, 1, JSON.stringify(audiences));
        }
        const china = { allowedAudiences: [CLOUD_AUDIENCES.China] };
        assert.deepEqual(messages(await run(policy, fic({ audiences: [CLOUD_AUDIENCES.China] }), china)), []);
        assert.equal(messages(await run(policy, fic({}), china)).length, 1, "the list replaces the default");
    });
    it("reports every problem of one credential in one message", async () => {
        const found = messages(await run(policy, fic({ subject: "repo:contoso/*:pull_request", issuer: "http://x", audiences: ["x"] })));
        assert.equal(found.length, 1);
        assert.match(found[0], /wildcard/);
        assert.match(found[0], /https/);
        assert.match(found[0], /audience/);
    });
    it("skips what a preview cannot know yet, and still checks the rest", async () => {
        assert.deepEqual(
            messages(await run(policy, fic({ subject: UNKNOWN_STRING, issuer: UNKNOWN_STRING, audiences: UNKNOWN_ARRAY }))),
            [],
        );
        assert.equal(messages(await run(policy, fic({ subject: UNKNOWN_STRING, issuer: "http://x" }))).length, 1);
    });
    it("refuses a flexible federated credential outright: its claim expressions match with wildcards", async () => {
        const found = messages(
            await run(policy, {
                type: T.flexibleFederated,
                name: "exo-flexible",
                props: {
                    applicationId: "/applications/x",
                    displayName: "x",
                    issuer: GITHUB,
                    audience: EXCHANGE_AUDIENCE,
                    claimsMatchingExpression: "claims['sub'] matches 'repo:contoso/exo-automation:*'",
                },
            }),
        );
        assert.equal(found.length, 1);
        assert.match(found[0], /ApplicationFederatedIdentityCredential/);
    });
});

describe("federated-subject-tag-or-branch", () => {
    const policy = "federated-subject-tag-or-branch";
    const GITHUB = "https://token.actions.githubusercontent.com";
    /** GitLab's ID token issuer on gitlab.com; its subject is project_path:<group>/<project>:ref_type:<branch|tag>:ref:<name> (GitLab docs, ID tokens). */
    const GITLAB = "https://gitlab.com";
    const fic = (subject: unknown, issuer: unknown = GITHUB): TestResource => ({
        type: T.federated,
        name: "exo-ci",
        props: { applicationId: "/applications/x", displayName: "ci", issuer, subject, audiences: [CLOUD_AUDIENCES.global] },
    });
    it("is advisory: it warns, it does not block", () => {
        assert.equal(policyNamed(policies, policy).enforcementLevel, "advisory");
    });
    it("warns about a subject that trusts a tag, from any issuer, in any letter case", async () => {
        for (const [subject, issuer] of [
            ["repo:contoso/exo-automation:ref:refs/tags/v1.2.0", GITHUB],
            ["repo:contoso/exo-automation:Ref:Refs/Tags/v1.2.0", GITHUB],
            ["repo:contoso/exo-automation:ref_type:tag", GITHUB],
            ["project_path:contoso/exo-automation:ref_type:tag:ref:v1.2.0", GITLAB],
            ["project_path:contoso/exo-automation:REF_TYPE:Tag:ref:v1.2.0", GITLAB],
        ]) {
            const found = messages(await run(policy, fic(subject, issuer)));
            assert.equal(found.length, 1, subject);
            assert.ok(found[0].startsWith("exo-ci: "), found[0]);
            assert.ok(found[0].includes(JSON.stringify(subject)), "quotes the subject");
            assert.match(found[0], /tag/);
            assert.match(found[0], /environment/);
            assert.match(found[0], /exo-cba:federatedCredentials/);
        }
    });
    it("warns about a branch trusted from another issuer than GitHub Actions, naming the issuer", async () => {
        for (const [subject, issuer] of [
            ["project_path:contoso/exo-automation:ref_type:branch:ref:main", GITLAB],
            ["project_path:contoso/exo-automation:ref_type:branch:ref:main", "https://gitlab.contoso.com"],
            ["repo:contoso/exo-automation:ref:refs/heads/main", "https://github.contoso.com/_services/token"],
            ["repo:contoso/exo-automation:ref:refs/heads/main", "https://token.actions.githubusercontent.com.evil.example"],
            ["repo:contoso/exo-automation:ref:refs/heads/main", "https://token.actions.githubusercontent.com@evil.example"],
        ]) {
            const found = messages(await run(policy, fic(subject, issuer)));
            assert.equal(found.length, 1, `${issuer} ${subject}`);
            assert.match(found[0], /branch/);
            assert.ok(found[0].includes(JSON.stringify(issuer)), "names the issuer");
            assert.match(found[0], /protect/);
        }
    });
    it("is quiet about GitHub Actions branches and environments, and an enterprise's own GitHub Actions issuer", async () => {
        for (const [subject, issuer] of [
            ["repo:contoso/exo-automation:ref:refs/heads/main", GITHUB],
            ["repo:contoso/exo-automation:ref_type:branch", GITHUB],
            ["repo:contoso/exo-automation:ref:refs/heads/main", `${GITHUB}/contoso`],
            ["repo:contoso/exo-automation:environment:production", GITHUB],
            ["repo:contoso/exo-automation:environment:production", GITLAB],
            ["sc://contoso/exo-automation/exo-connection", "https://vstoken.dev.azure.com/72f988bf-0000-4a1b-9c2d-3e4f5a6b7c8d"],
            ["project_path:contoso/exo-automation:ref_type:branchy:ref:main", GITLAB],
            ["repo:contoso/tags:environment:production", GITHUB],
        ]) {
            assert.deepEqual(messages(await run(policy, fic(subject, issuer))), [], `${issuer} ${subject}`);
        }
    });
    it("skips what a preview cannot know yet", async () => {
        assert.deepEqual(messages(await run(policy, fic(UNKNOWN_STRING))), []);
        assert.deepEqual(messages(await run(policy, fic("project_path:contoso/exo:ref_type:branch:ref:main", UNKNOWN_STRING))), []);
        assert.equal(
            messages(await run(policy, fic("repo:contoso/exo:ref:refs/tags/v1", UNKNOWN_STRING))).length,
            1,
            "a tag is a tag from any issuer",
        );
    });
});

describe("the pack as `pulumi preview --policy-pack policy` runs it", () => {
    let pack: RunningPack;
    before(async () => {
        pack = await startPolicyPack();
    });
    after(() => pack?.stop());

    it("starts from the repository's node_modules and announces its policies", () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as { version: string };
        assert.equal(pack.name, "exo-cba");
        assert.equal(pack.version, manifest.version);
        assert.deepEqual(Object.fromEntries(pack.policies.map((p) => [p.name, p.enforcementLevel])), {
            "no-global-administrator": "mandatory",
            "supported-directory-roles": "mandatory",
            "rsa-key-size": "mandatory",
            "credential-within-certificate": "mandatory",
            "exchange-online-manage-as-app-only": "mandatory",
            "self-signed-validity": "mandatory",
            "certificate-expiry": "advisory",
            "federated-identity-credential": "mandatory",
            "no-password-credentials": "mandatory",
            "no-graph-privilege-escalation": "mandatory",
            "no-group-membership": "mandatory",
            "federated-subject-tag-or-branch": "advisory",
        });
    });
    it("accepts policy/config.json: every policy with settings, declared properties of the declared types, their defaults", async () => {
        const config = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "config.json"), "utf8")) as Record<string, Record<string, unknown>>;
        for (const [policy, values] of Object.entries(config)) {
            const info = pack.policies.find((p) => p.name === policy);
            assert.ok(info, `policy/config.json configures ${policy}, which the pack does not have`);
            for (const [key, value] of Object.entries(values)) {
                if (key === "enforcementLevel") continue;
                const schema = info.configSchema[key] as { type?: string; default?: unknown } | undefined;
                assert.ok(schema, `${policy}.${key} is not in the policy's configSchema`);
                const type = Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
                assert.equal(type, schema.type, `${policy}.${key}`);
                assert.deepEqual(value, schema.default, `${policy}.${key}: the shipped file states the defaults`);
            }
        }
        for (const info of pack.policies) {
            for (const key of Object.keys(info.configSchema)) {
                assert.ok(config[info.name] && key in config[info.name], `policy/config.json shows ${info.name}.${key}`);
            }
        }
        await pack.configure(config);
    });
    it("blocks a Global Administrator assignment with a mandatory diagnostic, and lets an allowed stack through", async () => {
        await pack.configure({});
        const found = await pack.analyze(roleAssignment(GLOBAL_ADMINISTRATOR));
        assert.deepEqual(
            found.map((d) => [d.policyName, d.enforcementLevel]),
            [["no-global-administrator", "mandatory"]],
        );
        await pack.configure({ "no-global-administrator": { allowedStacks: ["contoso"] } });
        assert.deepEqual(await pack.analyze(roleAssignment(GLOBAL_ADMINISTRATOR)), []);
    });
    it("blocks Global Administrator by its object id, and DirectoryRoleMember, even in a stack allowed Global Administrator", async () => {
        await pack.configure({ "no-global-administrator": { allowedStacks: ["contoso"] } });
        const byObjectId = await pack.analyze(roleAssignment(ACTIVATED_GLOBAL_ADMINISTRATOR_OBJECT_ID));
        assert.deepEqual(
            byObjectId.map((d) => [d.policyName, d.enforcementLevel]),
            [["supported-directory-roles", "mandatory"]],
        );
        const member = await pack.analyze({
            type: T.roleMember,
            name: "exo-role-member",
            props: { roleObjectId: ACTIVATED_GLOBAL_ADMINISTRATOR_OBJECT_ID, memberObjectId: STACK_SP },
        });
        assert.deepEqual(
            member.map((d) => [d.policyName, d.enforcementLevel]),
            [["supported-directory-roles", "mandatory"]],
        );
    });
    it("lets the shipped policy/config.json accept each cloud's audience, as deploy.yml applies it to every stack", async () => {
        const config = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "config.json"), "utf8")) as Record<string, Record<string, unknown>>;
        await pack.configure(config);
        for (const audience of Object.values(CLOUD_AUDIENCES)) {
            const found = await pack.analyze({
                type: T.federated,
                name: "exo-github",
                props: {
                    applicationId: "/applications/x",
                    displayName: "production",
                    issuer: "https://token.actions.githubusercontent.com",
                    subject: "repo:contoso/exo-automation:environment:production",
                    audiences: [audience],
                },
            });
            assert.deepEqual(found, [], audience);
        }
    });
    it("blocks a pull_request federated credential with a mandatory diagnostic", async () => {
        await pack.configure({});
        const found = await pack.analyze({
            type: T.federated,
            name: "exo-github",
            props: {
                applicationId: "/applications/x",
                displayName: "pr",
                issuer: "https://token.actions.githubusercontent.com",
                subject: "repo:contoso/exo-automation:pull_request",
                audiences: ["api://AzureADTokenExchange"],
            },
        });
        assert.deepEqual(
            found.map((d) => [d.policyName, d.enforcementLevel]),
            [["federated-identity-credential", "mandatory"]],
        );
    });
    it("blocks a client secret with a mandatory diagnostic", async () => {
        await pack.configure({});
        const found = await pack.analyze({ type: T.applicationPassword, name: "exo-secret", props: { applicationId: UNKNOWN_STRING } });
        assert.deepEqual(
            found.map((d) => [d.policyName, d.enforcementLevel]),
            [["no-password-credentials", "mandatory"]],
        );
    });
    it("blocks RoleManagement.ReadWrite.Directory granted from Microsoft Graph with a mandatory diagnostic", async () => {
        await pack.configure({});
        const found = await pack.analyze({
            type: T.appRoleAssignment,
            name: "exo-graph-grant",
            props: { principalObjectId: STACK_SP, resourceObjectId: GRAPH_SP, appRoleId: "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8" },
        });
        assert.deepEqual(
            found.map((d) => [d.policyName, d.enforcementLevel]),
            [["no-graph-privilege-escalation", "mandatory"]],
        );
    });
    it("warns about a tag subject with an advisory diagnostic, and blocks nothing", async () => {
        await pack.configure({});
        const found = await pack.analyze({
            type: T.federated,
            name: "exo-github",
            props: {
                applicationId: "/applications/x",
                displayName: "release",
                issuer: "https://token.actions.githubusercontent.com",
                subject: "repo:contoso/exo-automation:ref:refs/tags/v1.2.0",
                audiences: ["api://AzureADTokenExchange"],
            },
        });
        assert.deepEqual(
            found.map((d) => [d.policyName, d.enforcementLevel]),
            [["federated-subject-tag-or-branch", "advisory"]],
        );
    });
    it("blocks numbers given as strings: a 99999-hour certificate, a 1024-bit key", async () => {
        await pack.configure({});
        const cert = await pack.analyze({
            type: T.selfSignedCert,
            name: "exo-initial-cert",
            props: { validityPeriodHours: "99999", privateKeyPem: UNKNOWN_STRING, allowedUses: ["digitalSignature"] },
        });
        assert.deepEqual(
            cert.map((d) => d.policyName),
            ["self-signed-validity"],
        );
        const key = await pack.analyze({ type: T.privateKey, name: "exo-initial-key", props: { algorithm: "RSA", rsaBits: "1024" } });
        assert.deepEqual(
            key.map((d) => d.policyName),
            ["rsa-key-size"],
        );
    });
    it("says nothing about values a preview cannot know yet, not even that it could not run", async () => {
        await pack.configure({});
        assert.deepEqual(await pack.analyze(roleAssignment(UNKNOWN_STRING)), []);
        assert.deepEqual(await pack.analyze(credential(rsa2048, { value: UNKNOWN_STRING, endDate: UNKNOWN_STRING })), []);
        assert.deepEqual(
            await pack.analyze({
                type: T.apiAccess,
                name: "exo-api-access",
                props: { applicationId: UNKNOWN_STRING, apiClientId: EXO_APP_ID, roleIds: [UNKNOWN_STRING] },
            }),
            [],
        );
    });
    it("sees where a value comes from in a preview: the service principal added to a group is reported at the membership", async () => {
        await pack.configure({});
        const sp: TestResource = { type: T.servicePrincipal, name: "exo-sp", props: { clientId: UNKNOWN_STRING } };
        const membership: TestResource = {
            type: T.groupMember,
            name: "exo-group-member",
            props: { groupObjectId: "7c6b5a49-3828-4716-a5b4-c3d2e1f0a9b8", memberObjectId: UNKNOWN_STRING },
            dependsOn: { memberObjectId: ["exo-sp"] },
        };
        const found = await pack.analyzeStack([sp, membership]);
        assert.deepEqual(
            found.map((d) => [d.policyName, d.enforcementLevel, d.urn]),
            [["no-group-membership", "mandatory", urnOf(membership)]],
        );
    });
    it("checks the whole stack at the end: an extra Exchange Online grant is reported at its resource", async () => {
        const extra: TestResource = {
            type: T.appRoleAssignment,
            name: "exo-mail",
            props: { principalObjectId: "p", resourceObjectId: EXO_SP, appRoleId: MAIL_READ_WRITE },
        };
        const consent: TestResource = {
            type: T.appRoleAssignment,
            name: "exo-consent",
            props: { principalObjectId: "p", resourceObjectId: EXO_SP, appRoleId: MANAGE_AS_APP_ROLE_ID },
        };
        const found = await pack.analyzeStack([consent, extra]);
        assert.deepEqual(
            found.map((d) => [d.policyName, d.enforcementLevel, d.urn]),
            [["exchange-online-manage-as-app-only", "mandatory", urnOf(extra)]],
        );
    });
});

describe("the pack's defaults are the program's, though it shares no code with it", () => {
    const defaults = (name: string) => {
        const policy = createPolicies().find((p) => p.name === name);
        assert.ok(policy, name);
        return Object.fromEntries(
            Object.entries((policy.configSchema?.properties ?? {}) as Record<string, { default?: unknown }>).map(([k, v]) => [
                k,
                v.default,
            ]),
        );
    };
    it("warns of expiry from the stack's default renewal window", () => {
        assert.equal(defaults("certificate-expiry")["expiringWithinDays"], SETTINGS.renewBeforeDays.default);
    });
    it("allows the federated audience of every cloud, and no other", () => {
        const audiences = [...new Set(Object.values(CLOUDS).map((c) => c.federatedAudience))].sort();
        assert.deepEqual([...(defaults("federated-identity-credential")["allowedAudiences"] as string[])].sort(), audiences);
    });
    it("knows the roles the program assigns, by the same template ids and names", () => {
        assert.deepEqual([...SUPPORTED_ROLES].sort(), PROGRAM_ROLES.map((r) => [r.templateId, r.name]).sort());
    });
    it("holds a brought key to the program's minimum size", () => assert.equal(MIN_RSA_BITS, BYO_RSA_BITS_MIN));
});
