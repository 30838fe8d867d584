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
import { createPolicies } from "../policy/policies.ts";
import { EXO_APP_ID, MANAGE_AS_APP_ROLE_ID, ROLE_TEMPLATE_IDS } from "./support/contoso.mts";
import { type MadeCertificate, opensslCertificate, opensslNotAfter } from "./support/harness.mts";
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
    credential: tokenOf(azuread.ApplicationCertificate),
    apiAccess: tokenOf(azuread.ApplicationApiAccess),
    appRoleAssignment: tokenOf(azuread.AppRoleAssignment),
    roleAssignment: tokenOf(azuread.DirectoryRoleAssignment),
};

const GLOBAL_ADMINISTRATOR = ROLE_TEMPLATE_IDS["Global Administrator"];
const EXCHANGE_ADMINISTRATOR = ROLE_TEMPLATE_IDS["Exchange Administrator"];
/** Another Exchange Online app role (the contoso fixture's full_access_as_app). */
const OTHER_EXO_ROLE = "ef54d2bf-783f-4e0f-bca1-3210c0444d99";
const EXO_SP = "a0c2b9de-1111-4e3f-9a8b-0c1d2e3f4a5b";
const GRAPH_SP = "5c8e0bfa-2222-4d5e-8f9a-0b1c2d3e4f5a";
const DAY_MS = 24 * 60 * 60 * 1000;

const policies = createPolicies();

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

function roleAssignment(roleId: string, stack?: string): TestResource {
    return {
        type: T.roleAssignment,
        name: "exo-role-x",
        props: { roleId, principalObjectId: UNKNOWN_STRING, directoryScopeId: "/" },
        ...(stack ? { stack } : {}),
    };
}

const rsa2048 = opensslCertificate({ bits: 2048, days: 365, cn: "policy test" });

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
    it("lets other roles through", async () => {
        assert.deepEqual(messages(await run("no-global-administrator", roleAssignment(EXCHANGE_ADMINISTRATOR))), []);
    });
    it("allows it in a stack listed in allowedStacks, and only there", async () => {
        const config = { allowedStacks: ["fabrikam"] };
        assert.deepEqual(messages(await run("no-global-administrator", roleAssignment(GLOBAL_ADMINISTRATOR, "fabrikam"), config)), []);
        assert.equal(messages(await run("no-global-administrator", roleAssignment(GLOBAL_ADMINISTRATOR, "contoso"), config)).length, 1);
    });
    it("skips a role id a preview cannot know yet", async () => {
        assert.deepEqual(messages(await run("no-global-administrator", roleAssignment(UNKNOWN_STRING))), []);
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
        const small = messages(await run("rsa-key-size", credential(opensslCertificate({ bits: 1024, days: 30 }))));
        assert.equal(small.length, 1);
        assert.match(small[0], /1024-bit RSA key/);
        const ec = messages(await run("rsa-key-size", credential(opensslCertificate({ bits: "ec", days: 30 }))));
        assert.equal(ec.length, 1);
        assert.match(ec[0], /EC key/);
    });
});

describe("credential-within-certificate", () => {
    const notAfter = opensslNotAfter(rsa2048.certPem);
    const at = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");
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

describe("exchange-online-manage-as-app-only", () => {
    const apiAccess = (apiClientId: string, roleIds: unknown): TestResource => ({
        type: T.apiAccess,
        name: "exo-api-access",
        props: { applicationId: "/applications/x", apiClientId, roleIds },
    });
    const assignment = (
        name: string,
        resourceObjectId: unknown,
        appRoleId: unknown,
        extra: Record<string, unknown> = {},
    ): TestResource => ({
        type: T.appRoleAssignment,
        name,
        props: { principalObjectId: "11111111-1111-1111-1111-111111111111", resourceObjectId, appRoleId, ...extra },
    });
    const stack = (resources: TestResource[]) => validateStack(policyNamed(policies, "exchange-online-manage-as-app-only"), resources);

    it("accepts a request for Exchange.ManageAsApp alone", async () => {
        assert.deepEqual(messages(await run("exchange-online-manage-as-app-only", apiAccess(EXO_APP_ID, [MANAGE_AS_APP_ROLE_ID]))), []);
    });
    it("refuses any other Exchange Online application permission requested beside it", async () => {
        const found = messages(
            await run("exchange-online-manage-as-app-only", apiAccess(EXO_APP_ID, [MANAGE_AS_APP_ROLE_ID, OTHER_EXO_ROLE])),
        );
        assert.equal(found.length, 1);
        assert.ok(found[0].includes(OTHER_EXO_ROLE));
    });
    it("leaves other APIs alone", async () => {
        assert.deepEqual(
            messages(await run("exchange-online-manage-as-app-only", apiAccess("00000003-0000-0000-c000-000000000000", [OTHER_EXO_ROLE]))),
            [],
        );
    });
    it("skips role ids a preview cannot know yet, as a whole list or one item", async () => {
        assert.deepEqual(messages(await run("exchange-online-manage-as-app-only", apiAccess(EXO_APP_ID, UNKNOWN_ARRAY))), []);
        assert.deepEqual(messages(await run("exchange-online-manage-as-app-only", apiAccess(EXO_APP_ID, [UNKNOWN_STRING]))), []);
    });
    it("accepts the consent assignment and assignments on other APIs", async () => {
        const o = await stack([
            assignment("exo-consent", EXO_SP, MANAGE_AS_APP_ROLE_ID),
            assignment("graph", GRAPH_SP, "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"),
        ]);
        assert.deepEqual(messages(o), []);
    });
    it("refuses another app role granted on the Exchange Online service principal, at that resource", async () => {
        const extra = assignment("exo-full-access", EXO_SP, OTHER_EXO_ROLE);
        const o = await stack([assignment("exo-consent", EXO_SP, MANAGE_AS_APP_ROLE_ID), extra]);
        assert.equal(messages(o).length, 1);
        assert.equal(o.violations[0].urn, urnOf(extra));
    });
    it("recognises Exchange Online by its name when nothing else is granted on it", async () => {
        const o = await stack([
            assignment("exo-full-access", EXO_SP, OTHER_EXO_ROLE, { resourceDisplayName: "Office 365 Exchange Online" }),
        ]);
        assert.equal(messages(o).length, 1);
    });
    it("skips assignments whose resource a preview cannot know yet", async () => {
        const o = await stack([
            assignment("exo-consent", UNKNOWN_STRING, MANAGE_AS_APP_ROLE_ID),
            assignment("other", UNKNOWN_STRING, OTHER_EXO_ROLE),
        ]);
        assert.deepEqual(messages(o), []);
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
    it("takes the window from expiringWithinDays", async () => {
        assert.equal(messages(await check(45, { expiringWithinDays: 60 })).length, 1);
        assert.deepEqual(messages(await check(10, { expiringWithinDays: 5 })), []);
    });
    it("is advisory: it warns, it does not block", () => {
        assert.equal(policyNamed(policies, "certificate-expiry").enforcementLevel, "advisory");
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
            "rsa-key-size": "mandatory",
            "credential-within-certificate": "mandatory",
            "exchange-online-manage-as-app-only": "mandatory",
            "self-signed-validity": "mandatory",
            "certificate-expiry": "advisory",
        });
    });
    it("accepts policy/config.json: known policies, declared properties of the declared types", async () => {
        const config = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "config.json"), "utf8")) as Record<string, Record<string, unknown>>;
        for (const [policy, values] of Object.entries(config)) {
            const info = pack.policies.find((p) => p.name === policy);
            assert.ok(info, `policy/config.json configures ${policy}, which the pack does not have`);
            for (const [key, value] of Object.entries(values)) {
                if (key === "enforcementLevel") continue;
                const schema = info.configSchema[key] as { type?: string } | undefined;
                assert.ok(schema, `${policy}.${key} is not in the policy's configSchema`);
                const type = Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value;
                assert.equal(type, schema.type, `${policy}.${key}`);
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
    it("says nothing about values a preview cannot know yet, not even that it could not run", async () => {
        await pack.configure({});
        assert.deepEqual(await pack.analyze(roleAssignment(UNKNOWN_STRING)), []);
        assert.deepEqual(await pack.analyze(credential(rsa2048, { value: UNKNOWN_STRING, endDate: UNKNOWN_STRING })), []);
    });
    it("checks the whole stack at the end: an extra Exchange Online grant is reported at its resource", async () => {
        const extra: TestResource = {
            type: T.appRoleAssignment,
            name: "exo-full-access",
            props: { principalObjectId: "p", resourceObjectId: EXO_SP, appRoleId: OTHER_EXO_ROLE },
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
