// Loaded with `node --require`: when the process exits, writes its peak resident set size
// (process.resourceUsage().maxRSS, in kilobytes) to the file named by EXO_CBA_BENCH_RSS_FILE.
"use strict";
const fs = require("node:fs");

const file = process.env.EXO_CBA_BENCH_RSS_FILE;
if (file) process.on("exit", () => fs.writeFileSync(file, String(process.resourceUsage().maxRSS)));
