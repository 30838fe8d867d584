/**
 * npm run fleet: every tenant stack in one report. A fleet of a provider's home stack, a customer of it, a
 * stack with its own application whose certificate is due, and one whose outputs are damaged, deployed
 * through the engine (each in its own tenant) with their outputs in a directory, as CI hands them over.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { DAY_MS, makeCertificate } from "./support/certificates.mts";
import { runTool } from "./support/cli.mts";
import { contoso, fabrikam } from "./support/contoso.mts";
import { PROJECT_DIR, projectCopy, reveal, run, stackConfig, tempDir } from "./support/harness.mts";

const HOME = "contoso-msp/exo-cba/home";
const tenantFile = (tenantId: string, extra = "") => `config:\n  azuread:tenantId: ${tenantId}\n${extra}`;

interface FleetJson {
    exitCode: number;
    counts: Record<string, number>;
    tenants: { stack: string; result: string; exitCode: number; model?: string; daysLeft?: number; generation?: string; detail: string }[];
}

describe("npm run fleet", () => {
    let project: string;
    let outputs: string;
    before(async () => {
        const now = Date.now();
        const home = await run(stackConfig({ "exo-cba:multitenant": true }, "home"), { tenant: contoso() });
        const [fab, tailspin] = await Promise.all([
            run(stackConfig({ "exo-cba:home": HOME }, "fabrikam"), { tenant: fabrikam(), otherStacks: { [HOME]: home } }),
            // Issued 350 days ago with the default 365 days: 15 days left, inside the 30-day window.
            run(stackConfig({}, "tailspin"), {
                tenant: contoso({
                    tenantId: "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c",
                    issuedAt: new Date(now - 350 * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z"),
                }),
            }),
        ]);
        for (const ev of [home, fab, tailspin]) assert.equal(ev.failed, false, ev.errors.join("\n"));
        project = tempDir("fleet-project-");
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: exo-cba\nruntime: nodejs\n");
        fs.writeFileSync(
            path.join(project, "Pulumi.home.yaml"),
            tenantFile("72f988bf-0000-4a1b-9c2d-3e4f5a6b7c8d", "  exo-cba:multitenant: true\n"),
        );
        fs.writeFileSync(
            path.join(project, "Pulumi.fabrikam.yaml"),
            tenantFile("3c9d2e1f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", `  exo-cba:home: ${HOME}\n`),
        );
        fs.writeFileSync(path.join(project, "Pulumi.tailspin.yaml"), tenantFile("5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c"));
        fs.writeFileSync(path.join(project, "Pulumi.broken.yaml"), tenantFile("6f5e4d3c-2b1a-4098-8776-655443322110"));
        outputs = tempDir("fleet-outputs-");
        const write = (stack: string, value: unknown) => fs.writeFileSync(path.join(outputs, `${stack}.json`), JSON.stringify(value));
        write("home", reveal(home.outputs as never));
        write("fabrikam", reveal(fab.outputs as never));
        write("tailspin", reveal(tailspin.outputs as never));
        // Damaged in transit: the thumbprint no longer names the certificate.
        write("broken", { ...(reveal(tailspin.outputs as never) as Record<string, unknown>), thumbprint: "0".repeat(40) });
    });

    it("status: one row per tenant, each judged on its own, and the worst tenant's exit code", async () => {
        const r = await runTool("fleet", ["status", "--project-dir", project, "--outputs-dir", outputs, "--json"]);
        const report = JSON.parse(r.stdout) as FleetJson;
        const row = (stack: string) => report.tenants.find((t) => t.stack === stack)!;
        assert.deepEqual(
            report.tenants.map((t) => t.stack),
            ["broken", "fabrikam", "home", "tailspin"],
        );
        assert.equal(row("home").model, "home of customer stacks");
        assert.equal(row("home").result, "ok");
        assert.equal(row("fabrikam").model, `customer of ${HOME}`);
        assert.equal(row("fabrikam").generation, "initial");
        assert.equal(row("tailspin").result, "renew");
        assert.ok(row("tailspin").daysLeft! >= 14 && row("tailspin").daysLeft! <= 15, String(row("tailspin").daysLeft));
        assert.equal(row("broken").result, "unreadable");
        assert.match(row("broken").detail, /thumbprint/);
        // ok 0 < renew 1 < unusable outputs 2 < expired 3: the damaged tenant's 2.
        assert.equal(r.code, 2, r.stderr);
        assert.equal(report.exitCode, 2);
        assert.deepEqual(report.counts, { ok: 2, renew: 1, unreadable: 1 });
    });

    it("status: a table on standard output and the same report as the job summary under Actions", async () => {
        const summary = path.join(tempDir("fleet-summary-"), "summary.md");
        const r = await runTool("fleet", ["status", "--project-dir", project, "--outputs-dir", outputs], {
            env: { GITHUB_STEP_SUMMARY: summary },
        });
        assert.equal(r.code, 2);
        assert.match(r.stdout, /^Fleet status, 4 tenant stacks, .*: 2 ok, 1 renew, 1 unreadable$/m);
        assert.match(r.stdout, /^tailspin +renew +contoso\.onmicrosoft\.com +global +own application +certificate +1[45] +initial$/m);
        assert.match(r.stdout, /Tenants that need attention:\n {2}broken: .*thumbprint/);
        const md = fs.readFileSync(summary, "utf8");
        assert.match(md, /^### ❌ Fleet status: 4 tenant stacks/m);
        assert.match(md, /^\| fabrikam \| ok \| fabrikam\.onmicrosoft\.com \| global \| customer of contoso-msp\/exo-cba/m);
        assert.equal(md.match(/^\| /gm)?.length, 5, "a heading row and one row per tenant");
    });

    it("prints what a tenant's outputs supply escaped: a generation name cannot forge a row, a line or a terminal escape", async () => {
        const forged = tempDir("fleet-forged-");
        const home = JSON.parse(fs.readFileSync(path.join(outputs, "home.json"), "utf8")) as { certificates: { name: string }[] };
        home.certificates[0].name = "x\n| evil | ok | contoso.onmicrosoft.com |\n\u001b[2J\u202eok";
        fs.writeFileSync(path.join(forged, "home.json"), JSON.stringify(home));
        const only = tempDir("fleet-forged-project-");
        for (const f of ["Pulumi.yaml", "Pulumi.home.yaml"]) fs.copyFileSync(path.join(project, f), path.join(only, f));
        const summary = path.join(tempDir("fleet-forged-summary-"), "summary.md");
        const r = await runTool("fleet", ["status", "--project-dir", only, "--outputs-dir", forged], {
            env: { GITHUB_STEP_SUMMARY: summary },
        });
        assert.equal(r.code, 0, r.stderr);
        for (const text of [r.stdout, fs.readFileSync(summary, "utf8")]) {
            assert.equal(/^\| evil/m.test(text) || /^\|? ?evil/m.test(text), false, text);
            assert.equal(text.includes("\u001b") || text.includes("\u202e"), false, "no raw escape or bidi control");
        }
    });

    it("--rotating leaves customer stacks out, as the expiry workflow's list does", async () => {
        const r = await runTool("fleet", ["status", "--rotating", "--project-dir", project, "--outputs-dir", outputs, "--json"]);
        assert.deepEqual(
            (JSON.parse(r.stdout) as FleetJson).tenants.map((t) => t.stack),
            ["broken", "home", "tailspin"],
        );
    });

    it("verify: a customer's key is its home's, found in --key-dir by the home's name", async () => {
        const keys = tempDir("fleet-keys-");
        // A key that belongs to no certificate of the stack: verify judges it before asking Entra anything.
        fs.writeFileSync(path.join(keys, "home.pem"), makeCertificate({ now: new Date(), freshKey: true }).keyPem);
        // The home and its customer only: nothing here may reach for the network.
        const pair = tempDir("fleet-pair-");
        for (const f of ["Pulumi.yaml", "Pulumi.home.yaml", "Pulumi.fabrikam.yaml"])
            fs.copyFileSync(path.join(project, f), path.join(pair, f));
        const r = await runTool("fleet", ["verify", "--project-dir", pair, "--outputs-dir", outputs, "--key-dir", keys, "--json"]);
        const report = JSON.parse(r.stdout) as FleetJson;
        assert.deepEqual(
            report.tenants.map((t) => [t.stack, t.result]),
            [
                ["fabrikam", "misconfigured"],
                ["home", "misconfigured"],
            ],
        );
        assert.equal(r.code, 1);
        const fab = report.tenants.find((t) => t.stack === "fabrikam")!;
        assert.equal(fab.result, "misconfigured", fab.detail);
        assert.match(
            fab.detail,
            /private key from .*\/home\.pem does not belong to the stack's certificate/,
            "the home's key file was handed over",
        );
    });

    it("verify --results-dir: the verdicts each deploy job wrote, in one report; a tenant without one did not verify", async () => {
        const keys = tempDir("fleet-keys-");
        fs.writeFileSync(path.join(keys, "home.pem"), makeCertificate({ now: new Date(), freshKey: true }).keyPem);
        // The verdict verify itself writes for Fabrikam (its key does not match: misconfigured, nothing asked of Entra).
        const own = await runTool("verify", [
            "--stack",
            "fabrikam",
            "--outputs-file",
            path.join(outputs, "fabrikam.json"),
            "--key-file",
            path.join(keys, "home.pem"),
            "--json",
        ]);
        assert.equal(own.code, 1, own.stderr);
        const results = tempDir("fleet-results-");
        fs.writeFileSync(path.join(results, "fabrikam.json"), own.stdout);
        fs.writeFileSync(path.join(results, "tailspin.json"), "not json");
        const r = await runTool("fleet", ["verify", "--project-dir", project, "--results-dir", results, "--json"]);
        const report = JSON.parse(r.stdout) as FleetJson;
        assert.deepEqual(
            report.tenants.map((t) => [t.stack, t.result, t.exitCode]),
            [
                ["broken", "not run", 2],
                ["fabrikam", "misconfigured", 1],
                ["home", "not run", 2],
                ["tailspin", "unreadable", 2],
            ],
        );
        assert.match(report.tenants[1].detail, /does not belong to the stack's certificate/);
        // verify's order of severity: a misconfiguration outranks a tenant that did not verify.
        assert.equal(r.code, 1);
        const mixed = await runTool("fleet", ["verify", "--results-dir", results, "--key-dir", results]);
        assert.equal(mixed.code, 2);
        assert.match(mixed.stderr, /--results-dir is for verify alone/);
    });

    it("verify without keys: the customer's row says the key is the home's", async () => {
        const only = tempDir("fleet-one-");
        fs.writeFileSync(path.join(only, "Pulumi.yaml"), "name: exo-cba\nruntime: nodejs\n");
        fs.copyFileSync(path.join(project, "Pulumi.fabrikam.yaml"), path.join(only, "Pulumi.fabrikam.yaml"));
        const r = await runTool("fleet", ["verify", "--project-dir", only, "--outputs-dir", outputs, "--json"]);
        const report = JSON.parse(r.stdout) as FleetJson;
        assert.equal(r.code, 2);
        assert.match(report.tenants[0].detail, /customer stack: its application's key is the home stack's/);
    });

    it("refuses what it cannot run, in one line with exit code 2", async () => {
        for (const [args, pattern] of [
            [[], /name one command: status, verify, plan/],
            [["deploy"], /name one command.*\(got deploy\)/],
            [["status", "--concurrency", "0"], /--concurrency must be a whole number from 1 to 32/],
            [["status", "--outputs-dir", path.join(PROJECT_DIR, "package.json")], /--outputs-dir .* is not a directory/],
            [["plan", "--outputs-dir", outputs], /plan reads stack files/],
        ] as const) {
            const r = await runTool("fleet", [...args]);
            assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, pattern);
            assert.equal(r.stderr.trim().split("\n").length, 1);
        }
    });
});

describe("npm run fleet plan", () => {
    it("plans every tenant stack of the project, a customer against its home, and reports a refused one as its row", async () => {
        const dir = projectCopy();
        fs.writeFileSync(
            path.join(dir, "Pulumi.home.yaml"),
            tenantFile("72f988bf-0000-4a1b-9c2d-3e4f5a6b7c8d", "  exo-cba:multitenant: true\n"),
        );
        fs.writeFileSync(
            path.join(dir, "Pulumi.fabrikam.yaml"),
            tenantFile("3c9d2e1f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", `  exo-cba:home: organization/exo-cba/home\n`),
        );
        fs.writeFileSync(
            path.join(dir, "Pulumi.wrong.yaml"),
            tenantFile("5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c", "  exo-cba:roles: [Exchange Admin]\n"),
        );
        const r = await runTool("fleet", ["plan", "--project-dir", dir, "--json"], { timeoutMs: 120_000 });
        const report = JSON.parse(r.stdout) as FleetJson;
        const row = (stack: string) => report.tenants.find((t) => t.stack === stack)!;
        assert.equal(row("home").result, "planned", row("home").detail);
        assert.equal(row("fabrikam").result, "planned", row("fabrikam").detail);
        assert.match(row("fabrikam").detail, /^4 resources/, "the component, the service principal, its consent and its role");
        assert.equal(row("wrong").result, "refused");
        assert.match(row("wrong").detail, /exo-cba:roles item 0 \("Exchange Admin"\)/);
        assert.equal(r.code, 1);
    });

    it("a tenant that fails in a way no tool foresaw is a row of its own, and the report is still printed", async () => {
        // Stack files and no program: every plan fails before it starts.
        const dir = tempDir("fleet-empty-");
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: exo-cba\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "Pulumi.one.yaml"), tenantFile("72f988bf-0000-4a1b-9c2d-3e4f5a6b7c8d"));
        fs.writeFileSync(path.join(dir, "Pulumi.two.yaml"), tenantFile("3c9d2e1f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"));
        const r = await runTool("fleet", ["plan", "--project-dir", dir, "--json"]);
        const report = JSON.parse(r.stdout) as FleetJson;
        assert.deepEqual(
            report.tenants.map((t) => [t.stack, t.result]),
            [
                ["one", "failed"],
                ["two", "failed"],
            ],
        );
        assert.match(report.tenants[0].detail, /^unexpected failure: /);
        assert.equal(r.code, 70, "the worst tenant's: an unexpected failure");
    });
});
