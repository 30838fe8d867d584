// Loaded before every npm script (NODE_OPTIONS in .npmrc). Plain CommonJS that any Node can parse.
//
// 1. The tools and tests are TypeScript run by Node's own type stripping, which older versions do not
//    have, so they would fail with ERR_UNKNOWN_FILE_EXTENSION. Say instead, in one line, which Node is
//    needed. The range is package.json's "engines" (tests/node.test.mts keeps the two equal).
// 2. Keep V8's compiled code between runs (module.enableCompileCache): every tool starts in about half
//    the time. It changes no behaviour. The cache is code that runs, so it lives only in this account's own
//    directory (privatePaths.cjs); where that is not safe the cache is off, and a NODE_COMPILE_CACHE of
//    the operator's that another account can write is refused before anything else loads.
// 3. npm gives this file's path relative to the project (.npmrc). A process the script starts in another
//    directory (a tool run from where the person typed the command, npm itself in a test) inherits
//    NODE_OPTIONS: make the path absolute, quoted for NODE_OPTIONS, so that one finds this file too.
"use strict";
// Node strips types by default from 22.18 and 23.6, and stops warning that it does from 22.18 and 24.3:
// 23.6 to 24.2 would print an ExperimentalWarning on every run, so they are left out.
var RANGE = "^22.18.0 || >=24.3.0";
var v = process.versions.node.split(".").map(Number);
var ok = v[0] >= 25 || (v[0] === 24 && v[1] >= 3) || (v[0] === 22 && v[1] >= 18);
if (!ok) {
    process.stderr.write(
        "exo-cba needs Node.js " +
            RANGE +
            " (Node's type stripping); this is v" +
            process.versions.node +
            ". Install Node 24 LTS (README: Quick start).\n",
    );
    process.exit(1);
}
var privatePaths = require("./privatePaths.cjs");
var chosen = process.env.NODE_COMPILE_CACHE;
if (chosen) {
    // Node has already turned that cache on; refuse to go on with code someone else could have put there.
    var unsafe = privatePaths.pathProblem(chosen, "NODE_COMPILE_CACHE");
    if (unsafe) {
        process.stderr.write(
            "error: " + unsafe + ": code planted there would run as you; unset it or choose a directory only you can write\n",
        );
        process.exit(2);
    }
} else {
    var cache = privatePaths.privateSubdirectory("compile-cache");
    if (cache.dir) require("node:module").enableCompileCache(cache.dir);
    else process.stderr.write("warning: V8's compile cache is off: " + cache.problem + "\n");
}
if (process.env.NODE_OPTIONS) {
    process.env.NODE_OPTIONS = process.env.NODE_OPTIONS.replace(
        /--require=\.\/tools\/shared\/preload\.cjs/g,
        '--require="' + module.filename.replace(/["\\]/g, "\\$&") + '"',
    );
}
module.exports = { RANGE: RANGE };
