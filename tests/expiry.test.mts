/**
 * Expiry arithmetic at its boundaries, and `npm run check-expiry` as CI runs it.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { expiryStatus } from "../components/rotation.ts";
import { type ToolRun, runTool } from "./support/cli.mts";
import { tempDir } from "./support/harness.mts";

const DAY = 86_400_000;
const NOW = new Date("2027-02-27T12:00:00Z");
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

describe("expiry status", () => {
    it("is ok one millisecond beyond the renewal window", () => {
        assert.equal(expiryStatus(at(30 * DAY + 1), NOW, 30).state, "ok");
    });
    it("is due for renewal at exactly the window's edge", () => {
        const s = expiryStatus(at(30 * DAY), NOW, 30);
        assert.equal(s.state, "renew");
        assert.equal(s.daysLeft, 30);
    });
    it("counts whole days left, rounding down", () => {
        assert.equal(expiryStatus(at(29 * DAY + DAY - 1), NOW, 30).daysLeft, 29);
        assert.equal(expiryStatus(at(DAY - 1), NOW, 30).daysLeft, 0);
    });
    it("is still valid at the NotAfter second itself (RFC 5280: validity is inclusive)", () => {
        assert.equal(expiryStatus(at(0), NOW, 30).state, "renew");
    });
    it("is expired one millisecond later, with negative days", () => {
        const s = expiryStatus(at(-1), NOW, 30);
        assert.equal(s.state, "expired");
        assert.equal(s.daysLeft, -1);
        assert.equal(expiryStatus(at(-10 * DAY), NOW, 30).daysLeft, -10);
    });
    it("with a window of 0 days only warns on the last day", () => {
        assert.equal(expiryStatus(at(DAY), NOW, 0).state, "ok");
        assert.equal(expiryStatus(at(0), NOW, 0).state, "renew");
    });
    it("counts the leap day like any other", () => {
        // 2028-02-28 → 2028-03-01 spans 29 February.
        assert.equal(expiryStatus("2028-03-01T00:00:00Z", new Date("2028-02-28T00:00:00Z"), 0).daysLeft, 2);
        assert.equal(expiryStatus("2027-03-01T00:00:00Z", new Date("2027-02-28T00:00:00Z"), 0).daysLeft, 1);
    });
    it("reads offsets, and does not depend on the machine's time zone", () => {
        const withOffset = expiryStatus("2027-03-10T02:00:00+05:00", NOW, 30); // 2027-03-09T21:00:00Z
        const inUtc = expiryStatus("2027-03-09T21:00:00Z", NOW, 30);
        assert.deepEqual({ ...withOffset, notAfter: "" }, { ...inUtc, notAfter: "" });
        const before = process.env["TZ"];
        try {
            process.env["TZ"] = "Pacific/Kiritimati";
            const far = expiryStatus("2027-03-09T21:00:00Z", NOW, 30);
            process.env["TZ"] = "America/Adak";
            assert.deepEqual(expiryStatus("2027-03-09T21:00:00Z", NOW, 30), far);
        } finally {
            if (before === undefined) delete process.env["TZ"];
            else process.env["TZ"] = before;
        }
    });
    it("refuses something that is not an RFC 3339 date, including what Date.parse would read", () => {
        for (const text of ["next year", "1", "2027", "2027-03-10", "2027-02-30T00:00:00Z", "2027-03-10T24:00:00Z", "Mar 10 2027"]) {
            assert.throws(() => expiryStatus(text, NOW, 30), /not an RFC 3339 date/, text);
        }
    });
});

/**
 * Runs `npm run check-expiry` with the outputs on a file, as the scheduled workflow does. `summaryAt`
 * names GITHUB_STEP_SUMMARY relative to a fresh directory (default: summary.md in it).
 */
async function checkExpiry(outputs: unknown, ...args: string[]): Promise<ToolRun & { summary: string }> {
    return checkExpiryWithSummary("summary.md", outputs, ...args);
}

async function checkExpiryWithSummary(summaryAt: string, outputs: unknown, ...args: string[]): Promise<ToolRun & { summary: string }> {
    const dir = tempDir("expiry-");
    const file = path.join(dir, "outputs.json");
    fs.writeFileSync(file, typeof outputs === "string" ? outputs : JSON.stringify(outputs));
    const summaryFile = path.join(dir, summaryAt);
    const run = await runTool("check-expiry", ["--stack", "contoso", "--outputs-file", file, ...args], {
        env: { GITHUB_STEP_SUMMARY: summaryFile },
    });
    const summary = fs.existsSync(summaryFile) && fs.statSync(summaryFile).isFile() ? fs.readFileSync(summaryFile, "utf8") : "";
    return { ...run, summary };
}

function stackOutputs(generations: { name: string; daysLeft: number }[], extra: Record<string, unknown> = {}) {
    const certificates = generations.map((g, i) => ({
        name: g.name,
        thumbprint: `${String(i).repeat(40)}`.slice(0, 40),
        notBefore: new Date(Date.now() - DAY).toISOString(),
        notAfter: new Date(Date.now() + g.daysLeft * DAY + 3_600_000).toISOString(),
        active: i === generations.length - 1,
        selfSigned: true,
    }));
    const active = certificates[certificates.length - 1];
    return { certificates, thumbprint: active.thumbprint, certificateNotAfter: active.notAfter, renewBeforeDays: 30, ...extra };
}

describe("npm run check-expiry", () => {
    it("passes while the active certificate is outside the window", async () => {
        const run = await checkExpiry(stackOutputs([{ name: "initial", daysLeft: 200 }]));
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /initial \(active\).* 200 days {2}ok/);
        assert.match(run.summary, /### ✅ Certificate expiry: tenant stack `contoso` \(\d{4}-\d\d-\d\d\)/);
    });
    it("fails with exit code 1 inside the window, naming the certificate and its date", async () => {
        const run = await checkExpiry(stackOutputs([{ name: "initial", daysLeft: 12 }]));
        assert.equal(run.code, 1);
        assert.match(
            run.stdout,
            /The active certificate "initial" .* expires on \d{4}-\d\d-\d\dT.*\(12 days left\)\. Rotate with an overlap/,
        );
        assert.match(run.summary, /⚠️ Certificate expiry: tenant stack `contoso`/);
    });
    it("fails with exit code 3 once expired", async () => {
        const run = await checkExpiry(stackOutputs([{ name: "initial", daysLeft: -3 }]));
        assert.equal(run.code, 3);
        assert.match(run.stdout, /expired on/);
        assert.match(run.summary, /❌/);
    });
    it("judges the active certificate and lists every registered one", async () => {
        const run = await checkExpiry(
            stackOutputs([
                { name: "initial", daysLeft: -1 },
                { name: "2027", daysLeft: 700 },
            ]),
            "--json",
        );
        assert.equal(run.code, 0, "an expired older certificate does not fail the check");
        const report = JSON.parse(run.stdout) as {
            result: string;
            message: string;
            certificates: { name: string; state: string; active: boolean; daysLeft: number }[];
        };
        assert.equal(report.result, "ok");
        assert.deepEqual(
            report.certificates.map((c) => [c.name, c.state, c.active]),
            [
                ["initial", "expired", false],
                ["2027", "ok", true],
            ],
        );
        assert.match(report.message, /older certificate "initial" expired on .*; retire it/);
    });
    it("uses the stack's renewBeforeDays, unless --renew-before-days says otherwise", async () => {
        const outputs = stackOutputs([{ name: "initial", daysLeft: 45 }], { renewBeforeDays: 60 });
        assert.equal((await checkExpiry(outputs)).code, 1);
        assert.equal((await checkExpiry(outputs, "--renew-before-days", "14")).code, 0);
    });
    it("reads stacks from before rotation, which have no certificates output", async () => {
        const run = await checkExpiry({ thumbprint: "A".repeat(40), certificateNotAfter: new Date(Date.now() + 5 * DAY).toISOString() });
        assert.equal(run.code, 1);
        assert.match(run.stdout, /initial \(active\)/);
    });
    it("explains unusable outputs with exit code 2, the code of every tool for invalid input", async () => {
        const malformed = await checkExpiry("{not json");
        assert.equal(malformed.code, 2);
        assert.match(malformed.stderr, /is not JSON; expected the output of `pulumi stack output --json`/);
        const empty = await checkExpiry({});
        assert.equal(empty.code, 2);
        assert.match(empty.stderr, /no output thumbprint/);
    });
    it("refuses a certificate name that renders blank (empty, spaces, a filler, zero-width characters) as no name", async () => {
        const runs = await Promise.all(
            ["", " ", "\u3164", "\u200b\u2060"].map((name) => checkExpiry(stackOutputs([{ name, daysLeft: 100 }]))),
        );
        for (const run of runs) {
            assert.equal(run.code, 2, run.stdout);
            assert.equal(run.stderr, "error: output certificates item 0 has no name\n");
        }
    });
    it("refuses a renewal window that would silence the alarm, instead of passing", async () => {
        for (const value of [-400, "30", 1.5, 366, null]) {
            const run = await checkExpiry(stackOutputs([{ name: "initial", daysLeft: 5 }], { renewBeforeDays: value }));
            assert.equal(run.code, 2, `renewBeforeDays ${JSON.stringify(value)}: ${run.stdout}`);
            assert.match(run.stderr, /^error: output renewBeforeDays must be a whole number of days from 0 to 365/);
        }
        const flag = await checkExpiry(stackOutputs([{ name: "initial", daysLeft: 5 }]), "--renew-before-days=-1");
        assert.equal(flag.code, 2);
        assert.match(flag.stderr, /--renew-before-days must be a whole number of days from 0 to 365 \(got "-1"\)/);
        // A number too large is quoted as the number it is, whatever its length.
        for (const days of ["366", "1000"]) {
            const large = await checkExpiry(stackOutputs([{ name: "initial", daysLeft: 5 }]), `--renew-before-days=${days}`);
            assert.equal(large.stderr, `error: --renew-before-days must be a whole number of days from 0 to 365 (got ${days}).\n`);
        }
    });
    it('reads notAfter as RFC 3339 only: "1" is not the year 2001', async () => {
        const outputs = stackOutputs([{ name: "initial", daysLeft: 100 }]);
        outputs.certificates[0].notAfter = "1";
        const run = await checkExpiry(outputs);
        assert.equal(run.code, 2);
        assert.match(
            run.stderr,
            /^error: output certificates item 0 notAfter should be an RFC 3339 date such as 2027-11-01T09:00:00Z \(got "1"\)\n$/,
        );
    });
    it("copies no Markdown, HTML or terminal escapes from the outputs into the job summary or the terminal", async () => {
        const name = "x](https://evil.example/) <img src=x> | row |\n### heading \u001b[2J";
        const outputs = stackOutputs([{ name, daysLeft: 100 }]);
        const run = await checkExpiry(outputs);
        assert.equal(run.code, 0, run.stderr);
        assert.ok(!run.stdout.includes("\u001b"), "an escape sequence reached the terminal");
        const row = run.summary.split("\n").find((l) => l.includes("evil"));
        assert.ok(row, run.summary);
        assert.ok(!/(^|[^\\])[[\]<>|]/.test(row.replace(/^\| | \| .*$/g, "")), `unescaped Markdown in ${row}`);
        assert.ok(!row.includes("https://"), "a link would be formed");
        assert.equal(run.summary.split("\n").filter((l) => l.startsWith("###")).length, 1, "the name added a heading");
    });
    it("needs no secret: outputs read without --show-secrets are enough", async () => {
        const run = await checkExpiry({ ...stackOutputs([{ name: "a", daysLeft: 100 }]), privateKeyPem: "[secret]" });
        assert.equal(run.code, 0, run.stderr);
    });
});

describe("npm run check-expiry on a stack without a certificate", () => {
    it("passes and says why: federated credentials and managed identities do not expire", async () => {
        const run = await checkExpiry({ certificates: [], cloud: "global", managedIdentities: [] });
        assert.equal(run.code, 0, run.stderr);
        assert.match(
            run.stdout,
            /This stack has no certificate: its runners sign in with federated credentials or managed identities, which do not expire/,
        );
        assert.match(run.summary, /### ✅ Certificate expiry: tenant stack `contoso`/);
        assert.ok(!run.summary.includes("| Certificate |"), "no empty table");
    });
    it("refuses an empty list beside a thumbprint: the outputs do not come from one deployment", async () => {
        const run = await checkExpiry({ certificates: [], thumbprint: "A".repeat(40) });
        assert.equal(run.code, 2);
        assert.match(run.stderr, /output certificates is empty, yet the stack has a thumbprint output/);
    });
    it("refuses an empty list beside a certificateNotAfter: an expired date must not read as no certificate", async () => {
        const run = await checkExpiry({ certificates: [], certificateNotAfter: new Date(Date.now() - 3 * DAY).toISOString() });
        assert.equal(run.code, 2, run.stdout);
        assert.match(
            run.stderr,
            /^error: output certificates is empty, yet the stack has a certificateNotAfter output: read the outputs again from one deployment\n$/,
        );
    });
});

describe("npm run check-expiry where the job summary cannot be written", () => {
    // The summary is a report about the result, not the result: losing it must not turn "expired" into a crash.
    for (const [what, summaryAt, reason] of [
        ["in a directory that does not exist", path.join("missing", "summary.md"), "no such file"],
        ["that is a directory", ".", "it is a directory"],
    ]) {
        it(`keeps the expiry exit code and warns in one line when GITHUB_STEP_SUMMARY names a file ${what}`, async () => {
            const run = await checkExpiryWithSummary(summaryAt, stackOutputs([{ name: "initial", daysLeft: -3 }]));
            assert.equal(run.code, 3, run.stderr);
            assert.match(run.stdout, /EXPIRED/);
            assert.match(run.stderr, new RegExp(`^warning: cannot write the job summary to GITHUB_STEP_SUMMARY \\(.+\\): ${reason}\n$`));
        });
    }
});

describe("npm run check-expiry with hostile certificate names", () => {
    it("shows a name with line breaks and tabs on one line: it cannot add rows to the report", async () => {
        const forged =
            "old\n  forged (active)  0000000000000000000000000000000000000000  until 2099-01-01T00:00:00Z  26000 days  ok\tx\r\n";
        const run = await checkExpiry(stackOutputs([{ name: forged, daysLeft: -3 }]));
        assert.equal(run.code, 3, run.stderr);
        const lines = run.stdout.trimEnd().split("\n");
        // Heading, one row, a blank line, the message.
        assert.equal(lines.length, 4, run.stdout);
        assert.ok(!lines.some((l) => l.startsWith("  forged")), run.stdout);
        assert.ok(!run.stdout.includes("\t"), "a tab reached the report");
        assert.match(lines[1], /^ {2}old\\u\{a\} {2}forged \(active\)/);
    });
    it("shortens a very long name in the report, the message and the summary", async () => {
        const name = "x".repeat(100_000);
        const run = await checkExpiry(stackOutputs([{ name, daysLeft: 100 }]));
        assert.equal(run.code, 0, run.stderr);
        assert.ok(run.stdout.length < 1_000, `${run.stdout.length} characters printed`);
        assert.match(run.stdout, /^ {2}x{77}\.\.\. \(active\) {2}/m);
        assert.match(run.stdout, /The active certificate "x{76}\.\.\. \(thumbprint/);
        assert.ok(run.summary.length < 1_500, `${run.summary.length} characters in the summary`);
    });
    it("escapes bidirectional, zero-width and terminal control characters in --json and the summary, and keeps the name intact", async () => {
        const name = "prod\u202e\u200btxt.exe\u001b[2J\u2028\ufeff";
        const run = await checkExpiry(stackOutputs([{ name, daysLeft: 100 }]), "--json");
        assert.equal(run.code, 0, run.stderr);
        // eslint-disable-next-line no-control-regex
        const raw = /[\u001b\u200b\u2028\u202e\ufeff]/;
        assert.doesNotMatch(run.stdout, raw, "a raw control or invisible character reached --json");
        assert.doesNotMatch(run.summary, raw, "a raw control or invisible character reached the summary");
        const report = JSON.parse(run.stdout) as { certificates: { name: string }[] };
        assert.equal(report.certificates[0].name, name, "JSON escapes read back as the same name");
    });
    it("redacts a token-shaped name in --json as it does in the text report", async () => {
        const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        const text = await checkExpiry(stackOutputs([{ name: token, daysLeft: 100 }]));
        const json = await checkExpiry(stackOutputs([{ name: token, daysLeft: 100 }]), "--json");
        assert.equal(json.code, 0, json.stderr);
        assert.ok(!text.stdout.includes(token));
        assert.ok(!json.stdout.includes(token), json.stdout);
    });
});

describe("npm run check-expiry on outputs that disagree", () => {
    // One deployment writes both; a hand-edited or stitched file must not report a date it cannot vouch for.
    it("refuses an active certificate whose notAfter is not output certificateNotAfter", async () => {
        const outputs = stackOutputs([{ name: "initial", daysLeft: -3 }]);
        outputs.certificates[0].notAfter = new Date(Date.now() + 20_000 * DAY).toISOString();
        const run = await checkExpiry(outputs);
        assert.equal(run.code, 2, run.stdout);
        assert.equal(run.stdout, "");
        assert.match(
            run.stderr,
            /^error: output certificates item 0 \(the active certificate\) has notAfter \S+, but output certificateNotAfter is \S+; read the outputs again from one deployment\n$/,
        );
        assert.equal(run.summary, "");
    });
    it("refuses an active certificate whose thumbprint is not output thumbprint", async () => {
        const outputs = stackOutputs([
            { name: "initial", daysLeft: 10 },
            { name: "2027", daysLeft: 300 },
        ]);
        outputs.thumbprint = outputs.certificates[0].thumbprint;
        const run = await checkExpiry(outputs);
        assert.equal(run.code, 2, run.stdout);
        assert.match(
            run.stderr,
            /^error: output certificates item 1 \(the active certificate\) has thumbprint 1{40}, but output thumbprint is 0{40}; read the outputs again from one deployment\n$/,
        );
    });
    it("accepts the same instant and thumbprint written differently", async () => {
        const t = new Date(Math.floor((Date.now() + 100 * DAY) / 1000) * 1000);
        const outputs = stackOutputs([{ name: "initial", daysLeft: 100 }], {
            thumbprint: "a".repeat(40),
            certificateNotAfter: new Date(t.getTime() + 2 * 3_600_000).toISOString().replace(".000Z", "+02:00"),
        });
        outputs.certificates[0] = {
            ...outputs.certificates[0],
            thumbprint: "A".repeat(40),
            notAfter: t.toISOString().replace(".000Z", "Z"),
        };
        const run = await checkExpiry(outputs);
        assert.equal(run.code, 0, run.stderr);
    });
    it("refuses an unreadable certificateNotAfter beside the list", async () => {
        const run = await checkExpiry(stackOutputs([{ name: "initial", daysLeft: 100 }], { certificateNotAfter: "soon" }));
        assert.equal(run.code, 2);
        assert.match(run.stderr, /^error: output certificateNotAfter should be an RFC 3339 date/);
    });
});
