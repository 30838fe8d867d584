// Loaded before every npm script (NODE_OPTIONS in .npmrc). Plain CommonJS that any Node can parse.
//
// 1. The tools and tests are TypeScript run by Node's own type stripping, which older versions do not
//    have, so they would fail with ERR_UNKNOWN_FILE_EXTENSION. Say instead, in one line, which Node is
//    needed. The range is package.json's "engines" (tests/node.test.mts keeps the two equal).
// 2. Keep V8's compiled code between runs (module.enableCompileCache, in the OS's temporary directory):
//    every tool starts in about half the time. It changes no behaviour.
// 3. npm gives this file's path relative to the project (.npmrc). A process the script starts in another
//    directory (a tool run from where the person typed the command, npm itself in a test) inherits
//    NODE_OPTIONS: make the path absolute, quoted for NODE_OPTIONS, so that one finds this file too.
"use strict";
var RANGE = "^22.18.0 || >=23.6.0";
var v = process.versions.node.split(".").map(Number);
var ok = v[0] >= 24 || (v[0] === 23 && v[1] >= 6) || (v[0] === 22 && v[1] >= 18);
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
require("node:module").enableCompileCache();
if (process.env.NODE_OPTIONS) {
    process.env.NODE_OPTIONS = process.env.NODE_OPTIONS.replace(
        /--require=\.\/tools\/lib\/preload\.cjs/g,
        '--require="' + module.filename.replace(/["\\]/g, "\\$&") + '"',
    );
}
module.exports = { RANGE: RANGE };
