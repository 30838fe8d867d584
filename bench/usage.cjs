// Loaded with `node --require` into each measured process: when the process exits, writes to the file named
// by EXO_CBA_BENCH_USAGE_FILE its peak resident set size and CPU time (process.resourceUsage(): kilobytes,
// microseconds) and the CommonJS modules it loaded, so the bench can say what one program loads that the
// other does not. Everything is read after the program has finished, so the measurement costs it nothing.
"use strict";
const fs = require("node:fs");

const file = process.env.EXO_CBA_BENCH_USAGE_FILE;
if (file) {
    process.on("exit", () => {
        const usage = process.resourceUsage();
        const modules = Object.keys(require.cache);
        fs.writeFileSync(file, JSON.stringify({ maxRssKb: usage.maxRSS, cpuUs: usage.userCPUTime + usage.systemCPUTime, modules }));
    });
}
