/**
 * A node:test reporter that prints, after the run, the ten slowest top-level suites and tests with their
 * file, so the next person sees where the suite's time goes. Used beside the spec reporter (package.json).
 */
import * as path from "node:path";

interface TestEvent {
    readonly type: string;
    readonly data: {
        readonly name: string;
        readonly nesting: number;
        readonly file?: string;
        readonly details?: { readonly duration_ms?: number };
    };
}

const SHOWN = 10;

export default async function* slowest(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
    const timings: { name: string; file: string; ms: number }[] = [];
    for await (const event of source) {
        if ((event.type === "test:pass" || event.type === "test:fail") && event.data.nesting === 0) {
            const ms = event.data.details?.duration_ms ?? 0;
            timings.push({ name: event.data.name, file: path.relative(process.cwd(), event.data.file ?? ""), ms });
        }
    }
    const top = timings.sort((a, b) => b.ms - a.ms).slice(0, SHOWN);
    if (top.length === 0) return;
    yield `\nSlowest ${top.length} top-level suites and tests (wall time; files run ${"concurrently"}):\n`;
    for (const t of top) yield `  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.file}  ${t.name}\n`;
}
