/**
 * Bad configuration through the real program: one error naming every bad key, raised before any
 * resource or lookup, never echoing key material, and the exit `pulumi up` would make.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Evaluation } from "../engine/engine.mts";
import { makeCertificate } from "./support/certificates.mts";
import { allText, rawConfig, run } from "./support/harness.mts";

/** The language host's exit code after it logged an error the user can act on (sdk/nodejs/cmd/run). */
const USER_ACTIONABLE_EXIT = 32;

function assertRefusedBeforeAnything(ev: Evaluation) {
    assert.equal(ev.failed, true);
    assert.equal(ev.exitCode, USER_ACTIONABLE_EXIT);
    assert.deepEqual(
        ev.recording.resources.map((r) => r.type),
        ["pulumi:pulumi:Stack"],
        "only the stack itself may exist when configuration is refused",
    );
    assert.deepEqual(ev.recording.invokes, [], "no tenant lookup may run either");
    assert.equal(ev.errors.length, 1, "all problems arrive in one message");
}

describe("a configuration wrong in every key", () => {
    const made = makeCertificate({ now: new Date() });
    let ev: Evaluation;
    before(async () => {
        ev = await run(
            rawConfig({
                "exo-cba:displayName": "   ",
                "exo-cba:organization": "https://contoso.onmicrosoft.com/",
                "exo-cba:roles": '["Exchange Admin","Global Administrator"]',
                "exo-cba:allowGlobalAdministrator": "false",
                "exo-cba:certValidityDays": "0",
                "exo-cba:certRsaBits": "1024",
                "exo-cba:certificatePem": made.keyPem + made.certPem,
                "exo-cba:owners": '["alice@contoso.com"]',
                "exo-cba:ownerz": '["6b1e1c2d-3f4a-4b5c-8d6e-7f8091a2b3c4"]',
            }),
        );
    });

    it("is refused before any resource or lookup", () => assertRefusedBeforeAnything(ev));
    it("names every key with what is allowed", () => {
        const message = ev.errors[0] ?? "";
        for (const [key, allowed] of [
            ["displayName", /blank/],
            ["organization", /bare domain name/],
            ["roles", /Allowed: "Exchange Administrator"/],
            ["roles", /allowGlobalAdministrator/],
            ["certValidityDays", /1 to 3650/],
            ["certRsaBits", /2048, 3072, 4096/],
            ["certificatePem", /contains a private key/],
            ["owners", /not an object id/],
            ["ownerz", /Did you mean owners\?/],
        ] as const) {
            const line = message.split("\n").find((l) => l.includes(`exo-cba:${key} `) && allowed.test(l));
            assert.ok(line, `no line for exo-cba:${key} matching ${allowed}:\n${message}`);
        }
    });
    it("never repeats the pasted private key", () => {
        const text = allText(ev);
        for (const line of made.keyPem.split("\n").slice(1, -2)) assert.ok(!text.includes(line));
    });
});

describe("values of the wrong type", () => {
    let ev: Evaluation;
    before(async () => {
        ev = await run(
            rawConfig({
                "exo-cba:certValidityDays": "one year",
                "exo-cba:allowGlobalAdministrator": "yes",
                "exo-cba:roles": "Exchange Administrator",
            }),
        );
    });
    it("are refused before any resource", () => assertRefusedBeforeAnything(ev));
    it("name the key and the expected type", () => {
        const message = ev.errors[0] ?? "";
        assert.match(message, /exo-cba:certValidityDays must be a whole number, 1 to 3650 \(got "one year"\)/);
        assert.match(message, /exo-cba:allowGlobalAdministrator must be true or false \(got "yes"\)/);
        assert.match(message, /exo-cba:roles must be a list of strings/);
    });
});

describe("a setting in a misspelt namespace", () => {
    const namespaces = ["exocba", "exo_cba", "Exo-Cba"];
    it(`(${namespaces.join(", ")}) is refused, not ignored while the default role is assigned`, async () => {
        const ev = await run(rawConfig(Object.fromEntries(namespaces.map((n) => [`${n}:roles`, '["Global Reader"]']))));
        assertRefusedBeforeAnything(ev);
        for (const n of namespaces) {
            assert.match(ev.errors[0] ?? "", new RegExp(`  - ${n}:roles is not read: .* Did you mean exo-cba:roles\\?`));
        }
    });
    it("other namespaces are the providers' business", async () => {
        const ev = await run(rawConfig({ "azuread:environment": "global", "pulumi:tags": "{}" }));
        assert.equal(ev.failed, false, ev.errors.join("\n"));
    });
});

describe("keys named like built-in properties", () => {
    const keys = ["__proto__", "constructor", "toString"];
    it(`(${keys.join(", ")}) are unknown settings like any other`, async () => {
        const ev = await run(rawConfig(Object.fromEntries(keys.map((k) => [`exo-cba:${k}`, "1"]))));
        assertRefusedBeforeAnything(ev);
        for (const k of keys) assert.match(ev.errors[0] ?? "", new RegExp(`exo-cba:${k} is not a setting of this project`));
    });
});

describe("a value that makes many problems", () => {
    it("is told in a few lines, not one per item", async () => {
        const roles = JSON.stringify(Array.from({ length: 3000 }, (_, i) => `Role ${i}`));
        const certificates = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ name: `bad name ${i}` })));
        const identities = JSON.stringify(Array.from({ length: 2000 }, () => true));
        const ev = await run(
            rawConfig({ "exo-cba:roles": roles, "exo-cba:certificates": certificates, "exo-cba:managedIdentities": identities }),
        );
        assertRefusedBeforeAnything(ev);
        const message = ev.errors[0] ?? "";
        assert.ok(message.length < 40_000, `the message has ${message.length} characters`);
        assert.match(message, /exo-cba:roles: 2975 more problems like those above/);
        assert.match(message, /exo-cba:certificates: \d+ more problems like those above/);
        assert.match(message, /exo-cba:managedIdentities .*; and 1975 more\./);
    });
});

describe("a display name that renders blank (only a Hangul filler)", () => {
    it("is refused as blank before any resource or lookup, as spaces are", async () => {
        const ev = await run(rawConfig({ "exo-cba:displayName": "\u3164" }));
        assertRefusedBeforeAnything(ev);
        assert.match(ev.errors[0] ?? "", /^ {2}- exo-cba:displayName must not be blank: it names the application in Entra ID/m);
    });
});
