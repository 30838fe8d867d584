/**
 * The runner compatibility table (components/runners.ts) against Microsoft's and GitHub's own statements,
 * typed in here from their pages: which module versions each PowerShell runs, which releases exist, where
 * Connect-IPPSSession and -CertificateThumbprint work, and what the hosted images carry.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    MODULE_RELEASES,
    type PowerShell,
    RUNNERS,
    compareVersions,
    hasFeature,
    modulePin,
    runnerForLabel,
} from "../components/runners.ts";
import { COMPLIANCE_CAVEAT, securityAndCompliance, withCaveat } from "../components/connect.ts";

/**
 * learn.microsoft.com/powershell/exchange/exchange-online-powershell-v2, "Supported operating systems":
 * 3.10.0 or later need PowerShell 7.6.0; 3.5.0 to 3.9.2 need 7.4.0; 3.0.0 to 3.4.0 need 7.2.0; "All versions
 * of the module are supported and compatible in Windows PowerShell 5.1" (3.10.0: "Windows PowerShell 5.1
 * isn't affected").
 */
const MICROSOFT_RANGES: Readonly<Record<PowerShell, { from: string; to?: string }>> = {
    "7.6": { from: "3.10.0" },
    "7.4": { from: "3.5.0", to: "3.9.2" },
    "7.2": { from: "3.0.0", to: "3.4.0" },
    "5.1": { from: "3.0.0" },
};

/** The same page's release notes: every 3.x GA version, as listed there in August 2026. */
const RELEASED = [
    "3.10.1",
    "3.10.0",
    "3.9.2",
    "3.9.0",
    "3.8.0",
    "3.7.2",
    "3.7.1",
    "3.7.0",
    "3.6.0",
    "3.5.1",
    "3.5.0",
    "3.4.0",
    "3.3.0",
    "3.2.0",
    "3.1.0",
    "3.0.0",
];

/** What runs on a PowerShell by Microsoft's ranges. */
function runsThere(version: string, powershell: PowerShell): boolean {
    const range = MICROSOFT_RANGES[powershell];
    return compareVersions(version, range.from) >= 0 && (range.to === undefined || compareVersions(version, range.to) <= 0);
}

describe("module pins", () => {
    for (const r of RUNNERS) {
        const pin = modulePin(r.powershell);
        it(`${r.id}: pins ${pin}, an exact release that runs on PowerShell ${r.powershell}, the newest that does`, () => {
            assert.match(pin, /^\d+\.\d+\.\d+$/, "an exact version, never a wildcard or a minimum");
            assert.ok(RELEASED.includes(pin), `${pin} is no release Microsoft lists`);
            assert.ok(runsThere(pin, r.powershell), `${pin} does not run on PowerShell ${r.powershell}`);
            const newest = RELEASED.filter((v) => runsThere(v, r.powershell))
                .sort(compareVersions)
                .reverse()[0];
            assert.equal(pin, newest);
        });
    }
    it("knows each module line as Microsoft states it: its first release, its last, and its PowerShell", () => {
        assert.deepEqual(
            MODULE_RELEASES.map((r) => [r.powershell7, r.lineFrom, r.version]),
            (["7.6", "7.4", "7.2"] as const).map((ps) => [
                ps,
                MICROSOFT_RANGES[ps].from,
                MICROSOFT_RANGES[ps].to ??
                    RELEASED.filter((v) => runsThere(v, ps))
                        .sort(compareVersions)
                        .reverse()[0],
            ]),
        );
    });
    it("never pins 3.10 or later where only PowerShell 7.4 or 7.2 runs (what 3.* installed, and failed)", () => {
        for (const ps of ["7.4", "7.2"] as const) assert.ok(compareVersions(modulePin(ps), "3.10.0") < 0, ps);
    });
});

describe("what each host's pin can do", () => {
    // Connect-ExchangeOnline -AccessToken from 3.1.0, Connect-IPPSSession -AccessToken from 3.8.0 (their
    // references' notes); -ManagedIdentity with the V3 module (connect-exo-powershell-managed-identity).
    const oracle = { accessToken: "3.1.0", complianceAccessToken: "3.8.0", managedIdentity: "3.0.0" };
    for (const r of RUNNERS) {
        it(`${r.id}: the pin has every sign-in mode the row names`, () => {
            const pin = modulePin(r.powershell);
            if (r.signIn.includes("federated")) {
                assert.ok(compareVersions(pin, oracle.accessToken) >= 0);
                assert.equal(hasFeature(pin, "accessToken"), true);
                if (securityAndCompliance(r.os)) assert.ok(compareVersions(pin, oracle.complianceAccessToken) >= 0);
            }
            if (r.signIn.includes("managedIdentity")) assert.ok(compareVersions(pin, oracle.managedIdentity) >= 0);
        });
    }
    it("tells a version without a feature from one with it", () => {
        assert.equal(hasFeature("3.7.2", "complianceAccessToken"), false);
        assert.equal(hasFeature("3.8.0", "complianceAccessToken"), true);
        assert.equal(hasFeature("3.0.0", "accessToken"), false);
    });
});

describe("where Security & Compliance PowerShell and the certificate store work", () => {
    it("Connect-IPPSSession works on Windows only (the module page: not in PowerShell 7 on Linux, not on macOS)", () => {
        assert.deepEqual(
            (["windows", "linux", "macos"] as const).map((os) => [os, securityAndCompliance(os)]),
            [
                ["windows", true],
                ["linux", false],
                ["macos", false],
            ],
        );
    });
    it('no row outside Windows offers -CertificateThumbprint ("supported only in Microsoft Windows")', () => {
        assert.deepEqual(
            RUNNERS.filter((r) => r.os !== "windows" && r.certificate.includes("thumbprint")).map((r) => r.id),
            [],
        );
    });
    it("a row that signs in with a certificate says how it is given, one that does not gives none", () => {
        for (const r of RUNNERS) assert.equal(r.certificate.length > 0, r.signIn.includes("certificate"), r.id);
    });
    it("the caveat Connect-IPPSSession lines carry", () => {
        assert.equal(COMPLIANCE_CAVEAT, "Windows only: Connect-IPPSSession is not available in PowerShell 7 on Linux or macOS");
        assert.equal(withCaveat("Connect-IPPSSession -AccessToken $t", "x"), "Connect-IPPSSession -AccessToken $t  # x");
    });
});

describe("the hosts", () => {
    it("cover every host the README names", () => {
        assert.deepEqual([...new Set(RUNNERS.map((r) => r.kind))].sort(), [
            "automation",
            "azure-devops",
            "functions",
            "github",
            "linux",
            "macos",
            "windows-server",
        ]);
    });
    it("have unique ids and each a source with an address", () => {
        assert.equal(new Set(RUNNERS.map((r) => r.id)).size, RUNNERS.length);
        for (const r of RUNNERS) assert.match(r.source, /https:\/\//, r.id);
    });
    it("GitHub-hosted and Microsoft-hosted ubuntu-latest and windows-latest run PowerShell 7.6 (runner-images: 7.6.5)", () => {
        for (const kind of ["github", "azure-devops"] as const) {
            for (const label of ["ubuntu-latest", "windows-latest"]) assert.equal(runnerForLabel(kind, label)?.powershell, "7.6", label);
        }
        assert.equal(runnerForLabel("github", "ubuntu-latest")?.os, "linux");
        assert.equal(runnerForLabel("github", "windows-latest")?.os, "windows");
        assert.equal(runnerForLabel("github", "self-hosted"), undefined);
    });
    it("Azure Automation's PowerShell 7.2 and 7.4 runtimes and Functions' 7.4 are not given a 3.10 module", () => {
        for (const r of RUNNERS.filter((x) => x.kind === "automation" || x.kind === "functions")) {
            assert.ok(r.powershell !== "7.6", `${r.id}: no source confirms PowerShell 7.6 there`);
        }
    });
});
