/**
 * The layout a newcomer reads: no import loop anywhere (static imports, `import type` included, dynamic
 * imports and require, a template require counting as one of every file it could name), no file name reused
 * across the program, the engine and the tools, and a README in every code folder with a line for each
 * file and no line for a file that is not there.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { PROJECT_DIR } from "./support/harness.mts";

const CODE = /\.(ts|mts|cts|cjs)$/;
const ROOTS = ["index.ts", "components", "engine", "tools", "bench", "policy", "tests"];

function filesUnder(entry: string): string[] {
    const full = path.join(PROJECT_DIR, entry);
    if (fs.statSync(full).isFile()) return [entry];
    return fs
        .readdirSync(full, { withFileTypes: true })
        .filter((d) => !["node_modules", "fixtures", "snapshots"].includes(d.name))
        .flatMap((d) => (d.isDirectory() ? filesUnder(path.join(entry, d.name)) : [path.join(entry, d.name)]));
}

const codeFiles = ROOTS.flatMap(filesUnder).filter((f) => CODE.test(f) && !f.endsWith(".d.cts"));

/** Every relative module a file names: import/export from, import(), require(), and a template require's candidates. */
export function imports(file: string, text: string): string[] {
    const dir = path.dirname(file);
    const found: string[] = [];
    const literal = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
    for (const m of text.matchAll(literal)) found.push(path.normalize(path.join(dir, m[1])));
    // require(`./${name}.ts`): any file of that directory with that extension.
    const template = /\brequire\s*\(\s*`(\.{1,2}\/[^`$]*)\$\{[^}]+\}([^`]*)`/g;
    for (const m of text.matchAll(template)) {
        const base = path.normalize(path.join(dir, m[1]));
        const folder = m[1].endsWith("/") ? base : path.dirname(base);
        for (const candidate of fs.readdirSync(path.join(PROJECT_DIR, folder))) {
            if (candidate.endsWith(m[2]) && path.join(folder, candidate) !== file) found.push(path.join(folder, candidate));
        }
    }
    return found;
}

/** The cycles of a graph (Tarjan's strongly connected components of more than one node, or a node naming itself). */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
    let index = 0;
    const indices = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const found: string[][] = [];
    const visit = (v: string) => {
        indices.set(v, index);
        low.set(v, index++);
        stack.push(v);
        onStack.add(v);
        for (const w of graph.get(v) ?? []) {
            if (!indices.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) {
                low.set(v, Math.min(low.get(v)!, indices.get(w)!));
            }
        }
        if (low.get(v) === indices.get(v)) {
            const component: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                component.push(w);
            } while (w !== v);
            if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
        }
    };
    for (const v of graph.keys()) if (!indices.has(v)) visit(v);
    return found;
}

describe("the layout", () => {
    it("has no import loop", () => {
        const graph = new Map(
            codeFiles.map((f) => [f, imports(f, fs.readFileSync(path.join(PROJECT_DIR, f), "utf8")).filter((t) => codeFiles.includes(t))]),
        );
        assert.deepEqual(cycles(graph), []);
    });

    it("finds a loop when there is one: directly, through a type import, and through a template require", () => {
        const graph = new Map([
            ["a.ts", ["b.ts"]],
            ["b.ts", ["c.ts"]],
            ["c.ts", ["a.ts"]],
            ["d.ts", ["d.ts"]],
            ["e.ts", ["a.ts"]],
        ]);
        assert.deepEqual(cycles(graph), [["a.ts", "b.ts", "c.ts"], ["d.ts"]]);
        assert.deepEqual(imports("components/x.ts", 'import type { A } from "./a.ts";\nimport "./side.ts";'), [
            "components/a.ts",
            "components/side.ts",
        ]);
        assert.ok(imports("components/rules/loadRules.ts", "require(`./${name}.ts`)").includes("components/rules/generations.ts"));
    });

    it("reuses no file name between the program, the engine and the tools, nor between two commands", () => {
        const stem = (f: string) => path.basename(f).replace(/\.[^.]+$/, "");
        const layer = (f: string) => (f.startsWith("tools/") ? f.split("/").slice(0, 2).join("/") : f.split("/")[0]);
        const seen = new Map<string, string>();
        const clashes: string[] = [];
        for (const f of codeFiles.filter((x) => /^(components|engine|tools)\//.test(x))) {
            const other = seen.get(stem(f));
            // A rule module is named after the concept it checks: components/rules/keyVault.ts beside keyVault.ts.
            const mirrors = other !== undefined && path.dirname(f) === "components/rules" && path.dirname(other) === "components";
            if (other !== undefined && !mirrors && (layer(other) !== layer(f) || f.startsWith("tools/"))) clashes.push(`${other} and ${f}`);
            seen.set(stem(f), f);
        }
        assert.deepEqual(clashes, []);
    });

    it("opens every code folder with a README that has a line for each file, and none for a file that is gone", () => {
        const folders = [...new Set(codeFiles.map((f) => path.dirname(f)))].filter((d) => d !== ".");
        const problems: string[] = [];
        for (const folder of folders) {
            const readme = path.join(PROJECT_DIR, folder, "README.md");
            if (!fs.existsSync(readme)) {
                problems.push(`${folder} has no README.md`);
                continue;
            }
            const text = fs.readFileSync(readme, "utf8");
            // Names in the first column of the table: `file` or `folder/`.
            const named = new Set([...text.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([^`]+)`/g)].map((n) => n[1])));
            const entries = fs.readdirSync(path.join(PROJECT_DIR, folder), { withFileTypes: true }).filter((d) => d.name !== "README.md");
            for (const d of entries) {
                const name = d.isDirectory() ? `${d.name}/` : d.name;
                if (d.isDirectory() && ["node_modules"].includes(d.name)) continue;
                if (!named.has(name)) problems.push(`${folder}/README.md has no line for ${name}`);
            }
            for (const name of named) {
                if (!fs.existsSync(path.join(PROJECT_DIR, folder, name)))
                    problems.push(`${folder}/README.md names ${name}, which is not there`);
            }
        }
        assert.deepEqual(problems, []);
    });
});
