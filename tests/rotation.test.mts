/**
 * Certificate rotation without downtime, step by step, each step run against the state the previous
 * one left (the recording engine plans steps like the Pulumi engine: same, create, replace, delete).
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Evaluation } from "../engine/engine.mts";
import { makeCertificate } from "./support/certificates.mts";
import { contoso } from "./support/contoso.mts";
import { legacyState } from "./support/legacyState.mts";
import { ofType, openssl, opensslNotAfter, opensslThumbprint, rawConfig, run, stackConfig, steps, str } from "./support/harness.mts";

const CREDENTIAL = "azuread:index/applicationCertificate:ApplicationCertificate";
const DAY = 86_400_000;

function outputs(ev: Evaluation): Record<string, unknown> {
    assert.equal(ev.failed, false, `${ev.errors.join("\n")}\n${ev.stderr}`);
    return ev.outputs ?? {};
}

function registeredThumbprints(ev: Evaluation): string[] {
    return ofType(ev, CREDENTIAL)
        .map((c) => opensslThumbprint(str(c.inputs["value"])))
        .sort();
}

describe("upgrading a stack deployed with the single-certificate layout (0.1.0)", () => {
    const state = legacyState(new Date());
    let ev: Evaluation;
    before(async () => {
        // The configuration the 0.1.0 stack was deployed with.
        ev = await run(stackConfig({ "exo-cba:certValidityDays": 3650 }, "legacy"), { prior: state });
    });

    it("previews no change at all: nothing created, replaced or deleted", () => {
        outputs(ev);
        assert.deepEqual(steps(ev), []);
    });
    it("keeps the existing key, certificate and credential under their former names (aliases)", () => {
        for (const [former, now] of [
            ["exo-key", "exo-initial-key"],
            ["exo-cert", "exo-initial-cert"],
            ["exo-credential", "exo-initial-credential"],
        ]) {
            const old = state.resources.find((r) => r.name === former)!;
            const current = ev.recording.resources.find((r) => r.name === now)!;
            assert.deepEqual(
                current.aliases.map((a) => a.name),
                [former],
                now,
            );
            assert.equal(current.step, "same", now);
            assert.deepEqual(current.inputs, old.inputs, `${now} must keep the inputs of ${former}`);
        }
    });
    it("still exports the thumbprint of the deployed certificate", () => {
        const stack = state.resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
        assert.equal(outputs(ev)["thumbprint"], stack.registeredOutputs?.["thumbprint"]);
    });
    it("a first generation with another name is a new certificate, not the old one renamed", async () => {
        const renamed = await run(stackConfig({ "exo-cba:certificates": ["replacement"] }, "legacy"), { prior: state });
        const stack = state.resources.find((r) => r.type === "pulumi:pulumi:Stack")!;
        assert.notEqual(outputs(renamed)["thumbprint"], stack.registeredOutputs?.["thumbprint"]);
        assert.deepEqual(steps(renamed), [
            "create exo-replacement-cert",
            "create exo-replacement-credential",
            "create exo-replacement-key",
            "delete exo-cert",
            "delete exo-credential",
            "delete exo-key",
        ]);
    });
});

describe("rotating a self-signed certificate", () => {
    let d0: Evaluation;
    let d1: Evaluation;
    let d2: Evaluation;
    before(async () => {
        d0 = await run(stackConfig({}));
        d1 = await run(stackConfig({ "exo-cba:certificates": ["initial", { name: "2027", validityDays: 730 }] }), { prior: d0 });
        d2 = await run(stackConfig({ "exo-cba:certificates": [{ name: "2027", validityDays: 730 }] }), { prior: d1 });
    });

    it("step 1 adds the new key, certificate and credential, and changes nothing else", () => {
        outputs(d1);
        assert.deepEqual(steps(d1), ["create exo-2027-cert", "create exo-2027-credential", "create exo-2027-key"]);
    });
    it("after step 1 both certificates are registered and valid", () => {
        const old = outputs(d0)["thumbprint"] as string;
        const current = outputs(d1)["thumbprint"] as string;
        assert.notEqual(old, current);
        assert.deepEqual(registeredThumbprints(d1), [old, current].sort());
        for (const credential of ofType(d1, CREDENTIAL)) {
            const pem = str(credential.inputs["value"]);
            assert.equal(Date.parse(str(credential.inputs["endDate"])), opensslNotAfter(pem).getTime());
            assert.ok(opensslNotAfter(pem).getTime() > Date.now(), "both credentials must still be valid");
        }
    });
    it("after step 1 the outputs describe the newest certificate, the runners' next one", () => {
        const out = outputs(d1);
        assert.equal(out["thumbprint"], opensslThumbprint(String(out["certificatePem"])));
        assert.match(String(out["connectCommand"]), new RegExp(`-CertificateThumbprint '${String(out["thumbprint"])}'`));
        const key = str(out["privateKeyPem"] as never);
        assert.equal(openssl(["rsa", "-noout", "-modulus"], key), openssl(["x509", "-noout", "-modulus"], String(out["certificatePem"])));
        const notAfter = opensslNotAfter(String(out["certificatePem"])).getTime();
        assert.ok(Math.abs(notAfter - (Date.now() + 730 * DAY)) < DAY, "the new generation has its own lifetime");
    });
    it("after step 1 the certificates output lists both, the newest active", () => {
        const list = outputs(d1)["certificates"] as {
            name: string;
            thumbprint: string;
            notAfter: string;
            active: boolean;
            selfSigned: boolean;
        }[];
        assert.deepEqual(
            list.map((c) => [c.name, c.active, c.selfSigned]),
            [
                ["initial", false, true],
                ["2027", true, true],
            ],
        );
        assert.equal(list[0].thumbprint, outputs(d0)["thumbprint"]);
        assert.equal(list[1].thumbprint, outputs(d1)["thumbprint"]);
    });
    it("step 3 removes only the old generation", () => {
        outputs(d2);
        assert.deepEqual(steps(d2), ["delete exo-initial-cert", "delete exo-initial-credential", "delete exo-initial-key"]);
        assert.deepEqual(registeredThumbprints(d2), [outputs(d1)["thumbprint"]]);
        assert.equal(outputs(d2)["thumbprint"], outputs(d1)["thumbprint"]);
    });
});

describe("rotating a brought certificate", () => {
    const first = makeCertificate({ now: new Date(), toDays: 20, cn: "runner 2026" });
    const second = makeCertificate({ now: new Date(), toDays: 400, cn: "runner 2027", freshKey: true });
    let d0: Evaluation;
    let d1: Evaluation;
    let d2: Evaluation;
    before(async () => {
        d0 = await run(stackConfig({ "exo-cba:certificatePem": first.certPem }));
        d1 = await run(
            stackConfig({
                "exo-cba:certificates": [
                    { name: "initial", certificatePem: first.certPem },
                    { name: "next", certificatePem: second.certPem },
                ],
            }),
            { prior: d0 },
        );
        d2 = await run(stackConfig({ "exo-cba:certificates": [{ name: "next", certificatePem: second.certPem }] }), { prior: d1 });
    });
    it("step 1 adds one credential and nothing else", () => {
        outputs(d1);
        assert.deepEqual(steps(d1), ["create exo-next-credential"]);
        assert.deepEqual(registeredThumbprints(d1), [opensslThumbprint(first.certPem), opensslThumbprint(second.certPem)].sort());
        assert.equal(outputs(d1)["thumbprint"], opensslThumbprint(second.certPem));
    });
    it("step 3 removes one credential and nothing else", () => {
        outputs(d2);
        assert.deepEqual(steps(d2), ["delete exo-initial-credential"]);
        assert.deepEqual(registeredThumbprints(d2), [opensslThumbprint(second.certPem)]);
    });
    it("the new certificate warns early when it is itself close to expiry", () => {
        assert.ok(
            d0.warnings.some((w) => /The active certificate "initial".*expires on .* \(1\d days left\)/.test(w)),
            d0.warnings.join("\n"),
        );
        assert.ok(!d1.warnings.some((w) => /expires on/.test(w)), "a 400-day certificate is outside the 30-day window");
    });
});

describe("expiry alarms of a deployed stack", () => {
    it("warn, without changing anything, when the active certificate is inside the renewal window", async () => {
        const issued = new Date(Date.now() - 350 * DAY).toISOString();
        const d0 = await run(stackConfig({}), { tenant: contoso({ issuedAt: issued }) });
        const d1 = await run(stackConfig({}), { prior: d0 });
        assert.equal(d1.failed, false, d1.errors.join("\n"));
        assert.deepEqual(steps(d1), [], "a warning must not change any input");
        assert.ok(
            d1.warnings.some((w) =>
                /The active certificate "initial" \(thumbprint [0-9A-F]{40}\) expires on .* \(1[45] days left\)\. Rotate with an overlap/.test(
                    w,
                ),
            ),
            d1.warnings.join("\n"),
        );
    });
    it("fail clearly when the active certificate has expired", async () => {
        const issued = new Date(Date.now() - 400 * DAY).toISOString();
        const d0 = await run(stackConfig({}), { tenant: contoso({ issuedAt: issued }) });
        const d1 = await run(stackConfig({}), { prior: d0 });
        assert.equal(d1.failed, true);
        assert.ok(
            d1.errors.some((e) =>
                /The active certificate "initial" .* expired on .*add a new generation to exo-cba:certificates and run pulumi up/.test(e),
            ),
            d1.errors.join("\n"),
        );
    });
});

describe("rotation settings that are refused", () => {
    it("reports every generation problem at once, before any resource", async () => {
        const made = makeCertificate({ now: new Date() });
        const ev = await run(
            rawConfig({
                "exo-cba:certificatePem": made.certPem,
                "exo-cba:certificates": JSON.stringify(["a", "A", "", { name: "b", colour: "blue" }]),
            }),
        );
        assert.equal(ev.failed, true);
        assert.deepEqual(
            ev.recording.resources.map((r) => r.type),
            ["pulumi:pulumi:Stack"],
        );
        const message = ev.errors.join("\n");
        assert.match(message, /exo-cba:certificates item 2 needs a name/);
        assert.match(message, /item 3 has unknown field "colour" \(allowed: name, certificatePem, validityDays, rsaBits\)/);
        const second = await run(
            rawConfig({ "exo-cba:certificatePem": made.certPem, "exo-cba:certificates": JSON.stringify(["a", "A", "b", "c"]) }),
        );
        const text = second.errors.join("\n");
        assert.match(text, /exo-cba:certificatePem cannot be used together with exo-cba:certificates/);
        assert.match(text, /exo-cba:certificates lists 4 certificates; at most 3/);
        assert.match(text, /exo-cba:certificates item 1 \("A"\) repeats a name/);
        assert.deepEqual(
            second.recording.resources.map((r) => r.type),
            ["pulumi:pulumi:Stack"],
        );
    });
    it("refuses to remove the last certificate unless a federated credential signs in instead", async () => {
        const ev = await run(rawConfig({ "exo-cba:certificates": "[]" }));
        assert.equal(ev.failed, true);
        assert.match(
            ev.errors.join("\n"),
            /exo-cba:certificates is empty, which means no certificate at all; that is allowed only with at least one federated credential.*pulumi destroy/,
        );
        assert.deepEqual(
            ev.recording.resources.map((r) => r.type),
            ["pulumi:pulumi:Stack"],
        );
    });
});
