// Loaded with `node --require` into each measured process: when the process exits, writes to the file named
// by EXO_CBA_BENCH_USAGE_FILE its peak resident set size and CPU time (process.resourceUsage(): kilobytes,
// microseconds) and the modules it loaded, so the bench (and the tests) can say what one program loads
// that the other does not: CommonJS modules from require.cache, ES modules (which require.cache does not
// list) from a load hook (module.registerHooks, Node 22.15 and later), every one as a file path. Everything
// is written after the program has finished, so the measurement costs it next to nothing.
//
// ES modules are recorded when the program is loaded natively only. Under ts-node (PULUMI_NODEJS_TYPESCRIPT,
// Pulumi's default) @pulumi/pulumi registers ts-node's asynchronous ESM hooks with module.register
// (sdk/nodejs/cmd/run/run.ts), and Node 22 cannot run a synchronous hook in front of them: every import
// fails with "this[#customizations].loadSync is not a function" (seen on 22.18). The bench compares modules
// of native runs only.
"use strict";
const fs = require("node:fs");
const { fileURLToPath } = require("node:url");

const file = process.env.EXO_CBA_BENCH_USAGE_FILE;
if (file) {
    const esm = new Set();
    if (process.env.PULUMI_NODEJS_TYPESCRIPT !== "true") {
        require("node:module").registerHooks({
            load(url, context, nextLoad) {
                if (url.startsWith("file:")) esm.add(fileURLToPath(url));
                return nextLoad(url, context);
            },
        });
    }
    process.on("exit", () => {
        const usage = process.resourceUsage();
        const modules = [...new Set([...Object.keys(require.cache), ...esm])];
        fs.writeFileSync(file, JSON.stringify({ maxRssKb: usage.maxRSS, cpuUs: usage.userCPUTime + usage.systemCPUTime, modules }));
    });
}
