// Loaded with `node --require` into each measured process: when the process exits, writes to the file named
// by EXO_CBA_BENCH_USAGE_FILE its peak resident set size and CPU time (process.resourceUsage(): kilobytes,
// microseconds) and the modules it loaded, so the bench (and the tests) can say what one program loads
// that the other does not: CommonJS modules from require.cache, ES modules (which require.cache does not
// list) from a load hook (module.registerHooks, Node 22.15 and later), every one as a file path. Everything
// is written after the program has finished, so the measurement costs it next to nothing.
"use strict";
const fs = require("node:fs");
const { fileURLToPath } = require("node:url");

const file = process.env.EXO_CBA_BENCH_USAGE_FILE;
if (file) {
    const esm = new Set();
    require("node:module").registerHooks({
        load(url, context, nextLoad) {
            if (url.startsWith("file:")) esm.add(fileURLToPath(url));
            return nextLoad(url, context);
        },
    });
    process.on("exit", () => {
        const usage = process.resourceUsage();
        const modules = [...new Set([...Object.keys(require.cache), ...esm])];
        fs.writeFileSync(file, JSON.stringify({ maxRssKb: usage.maxRSS, cpuUs: usage.userCPUTime + usage.systemCPUTime, modules }));
    });
}
