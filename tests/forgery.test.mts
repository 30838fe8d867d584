/**
 * What a reviewer reads cannot be forged. Every piece of text a person or a stack supplies (setting names,
 * list item names, file names, stack names, values) reaches what the tools print escaped: a line break
 * cannot add a line ("Resources 99 to create" in the plan a pull request's summary shows), an escape
 * sequence cannot recolour or rewrite the terminal, a bidirectional or zero-width character cannot reorder
 * or hide text. One table of such characters, fed into each field `npm run plan` (text, JSON, Mermaid),
 * `npm run stacks`, `npm run check-expiry` and `npm run export-cert` print.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { type Plan, renderJson, renderMermaid, renderText } from "../tools/plan/offlinePlan.mts";
import { makeCertificate } from "./support/certificates.mts";
import { type ToolRun, runTool } from "./support/cli.mts";
import { tempDir } from "./support/harness.mts";

/** [what, the characters]: line breaks, terminal escapes, bidirectional controls, zero-width characters. */
const HOSTILE: readonly [string, string][] = [
    ["a line feed", "\n"],
    ["a carriage return", "\r"],
    ["CR LF", "\r\n"],
    ["a line separator (U+2028)", "\u2028"],
    ["a paragraph separator (U+2029)", "\u2029"],
    ["a next-line control (U+0085)", "\u0085"],
    ["an ANSI colour escape", "\u001b[31m"],
    ["a C1 control sequence introducer (U+009B)", "\u009b31m"],
    ["a right-to-left override (U+202E)", "\u202e"],
    ["a left-to-right isolate (U+2066)", "\u2066"],
    ["a right-to-left isolate (U+2067)", "\u2067"],
    ["a first strong isolate (U+2068)", "\u2068"],
    ["a pop directional isolate (U+2069)", "\u2069"],
    ["a zero-width space (U+200B)", "\u200b"],
    ["a word joiner (U+2060)", "\u2060"],
    ["a byte order mark (U+FEFF)", "\ufeff"],
];

/**
 * The line a forger wants a reviewer to read. Without a colon: a setting's name may not hold one more
 * (the CLI refuses <namespace>:<name>:<more>), and every field must get the same line.
 */
const FORGED = "Resources 99 to create";

/** `label` (distinct per field and row: "k3x"), the row's characters, then the forged line. */
const hostile = (label: string, chars: string) => `${label}${chars}${FORGED}`;

/**
 * What must never reach a terminal or a summary raw. The test's own list, not components/redaction.ts's:
 * C0 and C1 controls but newline and tab, the line and paragraph separators, the bidirectional embeddings,
 * overrides and isolates, the zero-width space, the word joiner and the byte order mark.
 */
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]/;

/** No raw character, and no line that starts with the forged text (after indentation, list marks, quotes). */
function assertNotForged(output: string, where: string): void {
    const raw = RAW.exec(output);
    assert.equal(
        raw,
        null,
        `${where}: a raw U+${raw?.[0].codePointAt(0)?.toString(16)} at ${raw?.index}: ${JSON.stringify(output.slice(0, 3000))}`,
    );
    const forged = output.split("\n").find((line) => new RegExp(`^[^\\p{L}\\p{N}]*${FORGED}`, "u").test(line));
    assert.equal(forged, undefined, `${where}: a forged line`);
}

/** The field was printed (escaped, on the line of its label), not dropped: `label` and then the forged text on one line. */
function assertShown(output: string, label: string, where: string): void {
    assert.match(output, new RegExp(`${label}[^\\n]*${FORGED}`), `${where}: ${label} is not shown`);
}

/**
 * A stack file's text: JSON (which is YAML) with every character outside ASCII written as a \u escape, so
 * the file itself holds no control character (the CLI's YAML reader refuses one written raw) and the values
 * hold exactly the characters meant.
 */
function yamlText(value: unknown): string {
    return JSON.stringify(value, null, 2).replace(/[^\x20-\x7e\n]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Rows `from` to `to` (exclusive) as one file name (a name holds at most 255 bytes: half the table each). */
function hostileFileName(prefix: string, from: number, to: number): string {
    return `${HOSTILE.slice(from, to)
        .map(([, chars], i) => hostile(`${prefix}${from + i}x`, chars))
        .join("")}.yaml`;
}

describe("npm run plan: every printed field escaped", () => {
    // Setting names: unknown ones, which the program's error quotes; a misspelt namespace, which it quotes
    // with a suggestion; stray keys outside config:, which the plan's warnings name. The file's own name too.
    // Values, and list items as the configuration table shows them.
    const refused: Record<string, unknown> = { config: {} };
    const planned: Record<string, unknown> = { config: {} };
    const cn = HOSTILE.map(([, chars], i) => hostile(`cn${i}x`, chars)).join(" ");
    HOSTILE.forEach(([, chars], i) => {
        const config = refused["config"] as Record<string, string>;
        config[`exo-cba:${hostile(`u${i}x`, chars)}`] = "1";
        config[`exocba:${hostile(`m${i}x`, chars)}`] = "1";
        refused[`exo-cba:${hostile(`s${i}x`, chars)}`] = "1";
        // Another namespace's keys and values: the program leaves them to the providers, the plan lists them.
        (planned["config"] as Record<string, string>)[`azuread:${hostile(`o${i}x`, chars)}`] = hostile(`v${i}x`, chars);
        planned[`exo-cba:${hostile(`t${i}x`, chars)}`] = "1";
    });
    // List item names, which the program's error quotes: certificate generations, managed identities,
    // federated credentials.
    (refused["config"] as Record<string, unknown>)["exo-cba:certificates"] = HOSTILE.map(([, chars], i) => ({
        name: hostile(`g${i}x`, chars),
    }));
    (refused["config"] as Record<string, unknown>)["exo-cba:managedIdentities"] = HOSTILE.map(([, chars], i) => ({
        name: hostile(`i${i}x`, chars),
        objectId: `9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b${i.toString(16).padStart(2, "0")}`,
    }));
    (refused["config"] as Record<string, unknown>)["exo-cba:federatedCredentials"] = HOSTILE.map(([, chars], i) => ({
        name: hostile(`c${i}x`, chars),
        github: "contoso/reports",
        environment: `env${i}`,
    }));
    // A brought certificate's subject: summarised in the configuration and in the certificatePem output.
    (planned["config"] as Record<string, string>)["exo-cba:certificatePem"] = makeCertificate({ now: new Date(), toDays: 400, cn }).certPem;

    const dir = tempDir("forgery-");
    const refusedFile = path.join(dir, hostileFileName("r", 0, 8));
    const plannedFile = path.join(dir, hostileFileName("p", 8, 16));
    fs.writeFileSync(refusedFile, yamlText(refused));
    fs.writeFileSync(plannedFile, yamlText(planned));
    const plan = (file: string, ...args: string[]) => runTool("plan", ["--stack", "forgery", "--config-file", file, ...args]);

    it("a configuration the program refuses: keys in the configuration, the errors and the warnings; the file's name", async () => {
        const [text, json] = await Promise.all([plan(refusedFile), plan(refusedFile, "--json")]);
        assert.equal(text.code, 1, text.stderr);
        assert.match(text.stdout, /^Errors \(pulumi preview would stop here\):$/m);
        assert.equal(json.code, 1, json.stderr);
        for (const [where, output] of [
            ["text", text.stdout],
            ["JSON", json.stdout],
            ["the error after JSON", json.stderr],
        ] as const) {
            assertNotForged(output, where);
            HOSTILE.forEach((_, i) => {
                for (const label of [`u${i}x`, `m${i}x`, `g${i}x`, `i${i}x`, `c${i}x`]) assertShown(output, label, `${where}, row ${i}`);
            });
        }
        for (const [where, output] of [
            ["text", text.stdout],
            ["JSON", json.stdout],
        ] as const) {
            HOSTILE.forEach((_, i) => assertShown(output, `s${i}x`, `${where}, stray key of row ${i}`));
            HOSTILE.slice(0, 8).forEach((_, i) => assertShown(output, `r${i}x`, `${where}, file name of row ${i}`));
        }
    });
    it("a configuration it plans: other namespaces' keys and values, a certificate's subject, the warnings, the file's name", async () => {
        const [text, json] = await Promise.all([plan(plannedFile), plan(plannedFile, "--json")]);
        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /^Resources: \d+ to create$/m, "the genuine line is there");
        assert.equal(json.code, 0, json.stderr);
        for (const [where, output] of [
            ["text", text.stdout],
            ["JSON", json.stdout],
        ] as const) {
            assertNotForged(output, where);
            HOSTILE.forEach((_, i) => {
                for (const label of [`o${i}x`, `v${i}x`, `t${i}x`]) assertShown(output, label, `${where}, row ${i}`);
            });
            HOSTILE.slice(8).forEach((_, i) => assertShown(output, `p${i + 8}x`, `${where}, file name of row ${i + 8}`));
        }
        // The certificate's summary in the certificatePem output (JSON carries the PEM itself).
        HOSTILE.forEach((_, i) => assertShown(text.stdout, `cn${i}x`, `text, the certificate's subject, row ${i}`));
    });
    it("a --config-file whose name holds them, refused as not YAML: one line", async () => {
        const broken = path.join(tempDir("forgery-"), hostileFileName("f", 0, 8));
        fs.writeFileSync(broken, "config: [\n");
        const missing = path.join(tempDir("forgery-"), ...HOSTILE.map(([, chars], i) => hostile(`g${i}x`, chars)), "Pulumi.x.yaml");
        const runs = await Promise.all([plan(broken), plan(missing)]);
        for (const [i, r] of runs.entries()) {
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /^error: [^\n]*\n$/);
            assertNotForged(r.stderr, `run ${i}`);
        }
        HOSTILE.slice(0, 8).forEach((_, i) => assertShown(runs[0].stderr, `f${i}x`, `row ${i}`));
        HOSTILE.forEach((_, i) => assertShown(runs[1].stderr, `g${i}x`, `row ${i}`));
    });
});

/** A plan whose every printed field holds `chars`. */
function hostilePlan(chars: string): Plan {
    const h = (label: string) => hostile(label, chars);
    return {
        project: h("project_"),
        stack: h("stack_"),
        config: [
            { key: h("key_"), value: h("value_"), source: "stack" },
            { key: h("defaulted_"), value: h("default_"), source: "default" },
            { key: h("secure_"), value: "[secret]", source: "secure" },
        ],
        resources: [
            { type: "pulumi:pulumi:Stack", name: h("root_"), parent: "", inputs: {}, notes: [], dependsOn: [], aliases: [] },
            {
                type: h("type_"),
                name: h("name_"),
                parent: h("root_"),
                inputs: { [h("input_")]: h("inputvalue_"), list: [h("item_")] },
                notes: [h("note_"), `role ${h("role_")}`, `API ${h("api_")}`],
                dependsOn: [h("dependency_")],
                aliases: [h("alias_")],
            },
            { type: "azuread:index/x:X", name: h("dependency_"), parent: h("root_"), inputs: {}, notes: [], dependsOn: [], aliases: [] },
        ],
        outputs: { [h("output_")]: h("outputvalue_") },
        warnings: [],
        errors: [],
    };
}

describe("the plan's renderings: every field of a plan escaped", () => {
    const TEXT_FIELDS = ["project_", "stack_", "key_", "value_", "defaulted_", "default_", "secure_", "root_", "type_", "name_"];
    const MORE_TEXT_FIELDS = ["input_", "inputvalue_", "item_", "note_", "alias_", "output_", "outputvalue_"];
    for (const [what, chars] of HOSTILE) {
        it(`${what}: text and JSON`, () => {
            const plan = hostilePlan(chars);
            for (const [where, output] of [
                ["text", renderText(plan)],
                ["JSON", renderJson(plan)],
            ] as const) {
                assertNotForged(output, where);
                for (const label of [...TEXT_FIELDS, ...MORE_TEXT_FIELDS]) assertShown(output, label, where);
            }
        });
        it(`${what}: Mermaid, where a quote, a bracket or a line break cannot end a label or add a node or an edge`, () => {
            const plan = hostilePlan(chars);
            const mermaid = renderMermaid(plan);
            assertNotForged(mermaid, "Mermaid");
            for (const label of ["root_", "type_", "name_", "role_", "api_", "dependency_"]) assertShown(mermaid, label, "Mermaid");
            assertMermaidShape(mermaid, plan);
        });
    }
    it('Mermaid: quotes, brackets, pipes, "end" and lookalike names stay inside their labels, each resource one node', () => {
        const plan = hostilePlan('"]; x-->y["');
        const names = ['a"] --> evil["b', "end", "a-b", "a_b", "x|y", "c#quot;d", "e<br/>f", "g&amp;h"];
        const resources = names.map((name) => ({
            type: "azuread:index/x:X",
            name,
            parent: "",
            inputs: {},
            notes: [`role ${name}`],
            dependsOn: names.filter((n) => n !== name).slice(0, 1),
            aliases: [],
        }));
        const crafted = { ...plan, resources };
        const mermaid = renderMermaid(crafted);
        assertMermaidShape(mermaid, crafted);
        assert.doesNotMatch(mermaid, /<br\/>f|&amp;|#quot;d/, "a name's own markup or entity is shown, not interpreted");
    });
});

/**
 * The Mermaid text has exactly one node line per resource (id["label"] with no quote inside the label),
 * one solid edge per parent and one dotted edge per dependency other than the parent, between known ids,
 * and nothing else.
 */
function assertMermaidShape(mermaid: string, plan: Plan): void {
    const lines = mermaid.trimEnd().split("\n");
    assert.equal(lines[0], "flowchart TD");
    const nodes = lines.filter((l) => /^ {4}\w+\["[^"]*"\]$/.test(l));
    const ids = nodes.map((l) => /^ {4}(\w+)\[/.exec(l)![1]);
    assert.equal(nodes.length, plan.resources.length, mermaid);
    assert.equal(new Set(ids).size, ids.length, "two resources share a node");
    assert.ok(!ids.some((id) => /^end$/i.test(id)), "a node id is a Mermaid keyword");
    const edges = lines.filter((l) => /^ {4}\w+ (-->|-\.->) \w+$/.test(l));
    for (const edge of edges) {
        const [, from, , to] = /^ {4}(\w+) (-->|-\.->) (\w+)$/.exec(edge)!;
        assert.ok(ids.includes(from) && ids.includes(to), `an edge to an unknown node: ${edge}`);
    }
    const expectedEdges =
        plan.resources.filter((r) => r.parent !== "").length +
        plan.resources.reduce((n, r) => n + r.dependsOn.filter((d) => d !== r.parent).length, 0);
    assert.equal(edges.length, expectedEdges, mermaid);
    assert.equal(lines.length, 1 + nodes.length + edges.length, `lines that are neither a node nor an edge:\n${mermaid}`);
}

describe("npm run stacks: file names escaped", () => {
    const dir = path.join(tempDir("forgery-"), hostile("d", "\n\u202e"));
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: exo-cba\nruntime: nodejs\n");
    HOSTILE.forEach(([, chars], i) => {
        // A name Pulumi refuses (left out, named), a .yml file (not a stack file, named).
        fs.writeFileSync(path.join(dir, `Pulumi.${hostile(`n${i}x`, chars)}.yaml`), "config: {}\n");
        fs.writeFileSync(path.join(dir, `Pulumi.${hostile(`y${i}x`, chars)}.yml`), "config: {}\n");
    });
    for (const actions of [false, true]) {
        it(`reports each file on one line ${actions ? "as a GitHub annotation" : "as a warning"}, and the list stays empty`, async () => {
            const r = await runTool("stacks", [dir], { env: { GITHUB_ACTIONS: actions ? "true" : undefined } });
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stdout, "[]\n");
            assertNotForged(r.stdout + r.stderr, "stacks");
            assert.equal(r.stderr.trimEnd().split("\n").length, 2 * HOSTILE.length, r.stderr);
            HOSTILE.forEach((_, i) => {
                for (const label of [`n${i}x`, `y${i}x`]) assertShown(r.stderr, label, `row ${i}`);
            });
        });
    }
    it("a project directory that does not exist: one line naming it", async () => {
        const missing = path.join(tempDir("forgery-"), ...HOSTILE.map(([, chars], i) => hostile(`p${i}x`, chars)));
        const r = await runTool("stacks", [missing]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^error: cannot read the project directory [^\n]*\n$/);
        assertNotForged(r.stderr, "stacks");
        HOSTILE.forEach((_, i) => assertShown(r.stderr, `p${i}x`, `row ${i}`));
    });
});

describe("npm run check-expiry: names from the outputs and the stack escaped", () => {
    const DAY = 86_400_000;
    // One certificate per row, the older ones expired so that the message names them too.
    const certificates = HOSTILE.map(([, chars], i) => ({
        name: hostile(`c${i}x`, chars),
        thumbprint: i.toString(16).toUpperCase().repeat(40),
        notBefore: new Date(Date.now() - 400 * DAY).toISOString(),
        notAfter: new Date(Date.now() + (i === HOSTILE.length - 1 ? 100 : -1) * DAY).toISOString(),
        active: i === HOSTILE.length - 1,
    }));
    const active = certificates[certificates.length - 1];
    const outputs = { certificates, thumbprint: active.thumbprint, certificateNotAfter: active.notAfter, renewBeforeDays: 30 };

    it("in the report, the message, --json and the job summary", async () => {
        const dir = tempDir("forgery-");
        const file = path.join(dir, "outputs.json");
        fs.writeFileSync(file, JSON.stringify(outputs));
        const check = (summary: string, ...args: string[]) =>
            runTool("check-expiry", ["--outputs-file", file, ...args], { env: { GITHUB_STEP_SUMMARY: path.join(dir, summary) } });
        const [text, json] = await Promise.all([check("text.md"), check("json.md", "--json")]);
        for (const [where, run, summary] of [
            ["text", text, "text.md"],
            ["JSON", json, "json.md"],
        ] as const) {
            assert.equal(run.code, 0, run.stderr);
            const markdown = fs.readFileSync(path.join(dir, summary), "utf8");
            assertNotForged(run.stdout, where);
            assertNotForged(markdown, `${where}'s summary`);
            HOSTILE.forEach((_, i) => {
                assertShown(run.stdout, `c${i}x`, `${where}, row ${i}`);
                assertShown(markdown, `c${i}x`, `${where}'s summary, row ${i}`);
            });
        }
        const report = JSON.parse(json.stdout) as { certificates: { name: string }[] };
        assert.deepEqual(
            report.certificates.map((c) => c.name),
            certificates.map((c) => c.name),
            "the JSON's escapes read back as the names",
        );
    });
    it("a --stack that holds them is refused in one line, for every row", async () => {
        const runs = await Promise.all(HOSTILE.map(([, chars], i) => runTool("check-expiry", ["--stack", hostile(`k${i}x`, chars)])));
        runs.forEach((r, i) => {
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, /^error: --stack must be a stack name: [^\n]*\n$/);
            assertNotForged(r.stderr, `row ${i}`);
            assertShown(r.stderr, `k${i}x`, `row ${i}`);
        });
    });
});

describe("npm run export-cert: file names, paths and the stack escaped", () => {
    const outputsFile = path.join(tempDir("forgery-"), "outputs.json");
    fs.writeFileSync(outputsFile, "{}");
    /** export-cert run from the root directory (npm's INIT_CWD): a relative --out is short enough to be shown whole. */
    const exportCert = (...args: string[]): Promise<ToolRun> =>
        runTool("export-cert", ["--outputs-file", outputsFile, ...args], {
            env: { INIT_CWD: "/", EXO_CBA_PFX_PASSWORD: "correct horse battery staple" },
        });
    for (const [option, label] of [
        ["--name", "e"],
        ["--out", "o"],
        ["--stack", "s"],
    ] as const) {
        it(`a ${option} that holds them is refused in one line, for every row, nothing written`, async () => {
            const runs = await Promise.all(HOSTILE.map(([, chars], i) => exportCert(option, hostile(`${label}${i}x`, chars))));
            runs.forEach((r, i) => {
                assert.equal(r.code, 2, r.stderr);
                assert.equal(r.stdout, "");
                assert.match(r.stderr, new RegExp(`^error: ${option} [^\\n]*\\n$`));
                assertNotForged(r.stderr, `row ${i}`);
                assertShown(r.stderr, `${label}${i}x`, `row ${i}`);
            });
        });
    }
});
