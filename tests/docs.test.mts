/**
 * Each setting and output is declared once (components/settings.ts, components/outputs.ts): Pulumi.yaml's
 * config block and the README's tables, diagram and rotation advice must say the same, or a test fails.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { SUPPORTED_ROLES, findRole } from "../components/microsoft.ts";
import { OUTPUTS } from "../components/outputs.ts";
import { CONFIG_NAMESPACE, SETTINGS, SETTING_KEYS } from "../components/settings.ts";
import {
    RUNNERS_DOC,
    block,
    diagram,
    moduleSentence,
    moduleTable,
    outputsTable,
    cloudsTable,
    exportCloudsTable,
    regenerateExportDoc,
    readReadme,
    regenerateProjectFile,
    regenerateRunnersDoc,
    runnersTable,
    settingsTable,
} from "../tools/docs/generatedBlocks.mts";
import { ROTATION_ADVICE } from "../components/rotation.ts";
import { UserError } from "../tools/shared/cli.mts";
import { PROJECT_DIR, tempDir } from "./support/harness.mts";

const STALE = "README.md is stale: run npm run docs and commit the result";

describe("Pulumi.yaml's config block", () => {
    const project = parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as {
        config: Record<string, { type?: string; items?: { type: string }; default?: unknown; description?: string }>;
    };
    it("declares exactly the settings of the table", () => {
        assert.deepEqual(Object.keys(project.config).sort(), [...SETTING_KEYS].sort());
    });
    for (const key of SETTING_KEYS) {
        it(`declares ${key} with the table's type, default and description`, () => {
            const declared = project.config[key];
            const s = SETTINGS[key];
            const type = { string: "string", integer: "integer", boolean: "boolean", strings: "array", items: undefined }[s.kind];
            assert.equal(declared.type, type, "type");
            if (s.kind === "strings") assert.deepEqual(declared.items, { type: "string" });
            // The CLI treats a declared key without a default as required: "not set" is "" or [].
            const unset = s.kind === "strings" ? [] : "";
            assert.deepEqual(declared.default, s.default ?? unset, "default");
            assert.equal(declared.description, s.description, "description");
        });
    }
    it("is the one npm run docs renders from the table", () => {
        const text = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8");
        assert.equal(regenerateProjectFile(text), text, "Pulumi.yaml is stale: run npm run docs and commit the result");
    });
    it("uses the namespace the program reads", () => {
        assert.equal((parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as { name: string }).name, CONFIG_NAMESPACE);
    });
});

describe("the README", () => {
    const readme = readReadme();
    it("lists every setting as the table declares it", () => assert.equal(block(readme, "settings"), settingsTable(), STALE));
    it("lists every output as components/outputs.ts declares it", () => {
        assert.equal(block(readme, "outputs"), outputsTable(), STALE);
        for (const name of Object.keys(OUTPUTS)) assert.match(readme, new RegExp(`\\| \`${name}\` \\|`));
    });
    it("lists the clouds as components/clouds.ts declares them", () => assert.equal(block(readme, "clouds"), cloudsTable(), STALE));
    it("gives the rotation advice the tools give", () => assert.equal(block(readme, "rotation"), `> ${ROTATION_ADVICE}`, STALE));
    it("lists the runners as components/runners.ts declares them", () =>
        assert.equal(block(readme, "runners"), runnersTable(false), STALE));
    it("says what each module line needs as components/runners.ts declares it", () =>
        assert.equal(block(readme, "module-lines"), moduleSentence(), STALE));
    it("draws the dev stack's resources as the plan does", async () => assert.equal(block(readme, "diagram"), await diagram(), STALE));
    it("says in one line, as input a person must fix, that a broken or refused dev stack cannot be drawn", async () => {
        for (const [text, message] of [
            [
                "config:\n  exo-cba:displayName: [unclosed\n",
                /^Pulumi\.dev\.yaml is not valid YAML .*; the README's diagram is drawn from it$/,
            ],
            ["config:\n  exo-cba:roles: [Nope]\n", /^the dev stack is refused, so the README's diagram cannot be drawn from it: .*roles/],
        ] as const) {
            const dir = tempDir("docs-");
            fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), text);
            await assert.rejects(
                diagram(dir),
                (e: Error) => e instanceof UserError && e.exitCode === 2 && message.test(e.message) && !e.message.includes("\n"),
            );
        }
    });
});

describe("docs/", () => {
    it("export.md lists what each cloud's lines add as components/connect.ts writes them", () => {
        const text = fs.readFileSync(path.join(PROJECT_DIR, "docs", "export.md"), "utf8");
        assert.equal(regenerateExportDoc(text), text, "docs/export.md is stale: run npm run docs and commit the result");
        assert.equal(block(text, "clouds"), exportCloudsTable());
    });
    it("runners.md lists the runners, with their sources, as components/runners.ts declares them", () => {
        const text = fs.readFileSync(RUNNERS_DOC, "utf8");
        assert.equal(regenerateRunnersDoc(text), text, "docs/runners.md is stale: run npm run docs and commit the result");
        assert.equal(block(text, "runners-sources"), runnersTable(true));
        assert.equal(block(text, "module-releases"), moduleTable());
    });
    it("quote the rotation advice the tools give wherever they show it", () => {
        const verify = fs.readFileSync(path.join(PROJECT_DIR, "docs", "verify.md"), "utf8");
        // The example of an expired certificate in docs/verify.md shows verify's fix line as verify prints it.
        const fix = /^ {2}Fix: (Rotate with an overlap[^\n]*?) Then give the scripts the new thumbprint\.$/m.exec(verify);
        assert.equal(fix?.[1], ROTATION_ADVICE, "docs/verify.md quotes another rotation advice than components/rotation.ts");
    });
});

describe("links in the README and docs/", () => {
    /** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
    const anchors = (markdown: string): Set<string> =>
        new Set(
            [...markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
                m[1]
                    .trim()
                    .toLowerCase()
                    .replace(/[^\p{L}\p{N} _-]/gu, "")
                    .replace(/ /g, "-"),
            ),
        );
    const files = ["README.md", ...fs.readdirSync(path.join(PROJECT_DIR, "docs")).map((f) => `docs/${f}`)];
    for (const file of files) {
        it(`${file}: every heading is whole (its code spans closed) and names one section`, () => {
            const text = fs.readFileSync(path.join(PROJECT_DIR, file), "utf8").replace(/```[\s\S]*?```/g, "");
            const headings = [...text.matchAll(/^#{1,6} .+$/gm)].map((m) => m[0]);
            assert.deepEqual(
                headings.filter((h) => (h.match(/`/g) ?? []).length % 2 !== 0),
                [],
                "a heading with an unclosed code span",
            );
            assert.deepEqual(
                headings.filter((h, i) => headings.indexOf(h) !== i),
                [],
                "a heading repeated",
            );
        });
        it(`${file}: every relative link and anchor resolves`, () => {
            const text = fs.readFileSync(path.join(PROJECT_DIR, file), "utf8").replace(/```[\s\S]*?```/g, "");
            const broken: string[] = [];
            for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
                const target = m[1];
                if (/^[a-z]+:/i.test(target)) continue;
                const [relative, anchor] = target.split("#") as [string, string | undefined];
                const resolved =
                    relative === "" ? path.join(PROJECT_DIR, file) : path.resolve(path.dirname(path.join(PROJECT_DIR, file)), relative);
                if (!fs.existsSync(resolved)) {
                    broken.push(target);
                    continue;
                }
                if (anchor && resolved.endsWith(".md") && !anchors(fs.readFileSync(resolved, "utf8")).has(anchor)) broken.push(target);
            }
            assert.deepEqual(broken, []);
        });
    }
});

describe("role lists in the manual", () => {
    it("the README's table of both shells says for each role what components/microsoft.ts says, and names every role", () => {
        const readme = readReadme();
        const start = readme.indexOf("| Role | Exchange Online | Security & Compliance |");
        assert.ok(start > 0);
        const rows = readme.slice(start).split("\n\n")[0].split("\n").slice(2);
        const named: string[] = [];
        for (const row of rows) {
            const [roles, exo, sc] = row
                .split("|")
                .slice(1, 4)
                .map((c) => c.trim());
            for (const name of roles.replace(/\s*\(.*\)$/, "").split(", ")) {
                const role = findRole(name);
                assert.ok(role, `${name} is not a supported role`);
                assert.equal(exo === "✔", role.exchangeOnline, `${name}: Exchange Online`);
                assert.equal(sc === "✔", role.securityAndCompliance, `${name}: Security & Compliance`);
                named.push(name);
            }
        }
        assert.deepEqual(named.sort(), SUPPORTED_ROLES.map((r) => r.name).sort());
    });
    it("docs/policy.md's table gives every role the pack accepts with its template id", () => {
        const text = fs.readFileSync(path.join(PROJECT_DIR, "docs", "policy.md"), "utf8");
        const rows = [...text.matchAll(/^\| ([A-Z][A-Za-z ]+) \| `([0-9a-f-]{36})`/gm)].map((m) => [m[1], m[2]]);
        assert.deepEqual(rows.sort(), SUPPORTED_ROLES.map((r) => [r.name, r.templateId]).sort());
    });
});
