// Loaded with `--require` (in NODE_OPTIONS) into the program's process when the engine is asked for its
// caches (EvaluateOptions.compileCache: the tests and `npm run plan`, never the bench), which also checks
// that their directory is this user's own. In a transpile-only run
// it keeps what ts-node makes of each TypeScript file in EXO_CBA_TRANSPILE_CACHE, keyed by everything
// that output depends on (ts-node's and TypeScript's versions, the compiler options, the file's path,
// text and package type, which decides between CommonJS and ES module output under "nodenext"), and
// hands the same bytes back the next time instead of transpiling again. Type-checked runs
// are left alone: there ts-node's compile() also reports type errors, which a cache would hide.
//
// The hook: the Pulumi loader calls ts-node's register() (@pulumi/pulumi cmd/run/run.js), and ts-node's
// require hook calls `service.compile(code, fileName)` on the service it returned (ts-node
// dist/index.js registerExtension), so wrapping register() is enough. A file answered from the cache is
// not in ts-node's own output cache, which its source-map-support handler reads; a second handler
// answers for those files, so stack traces still point into the TypeScript source.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const dir = process.env.EXO_CBA_TRANSPILE_CACHE;
if (dir) install(dir);

function install(dir) {
    let tsnodePath;
    try {
        // ts-node as the loader resolves it: from @pulumi/pulumi's own directory.
        const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [process.cwd()] }));
        tsnodePath = require.resolve("ts-node", { paths: [pulumiDir] });
    } catch {
        return; // No ts-node here: the loader falls back to its vendored one, which this does not know.
    }
    const tsnode = require(tsnodePath);
    const register = tsnode.register;
    tsnode.register = function (...args) {
        const service = register.apply(this, args);
        // Type errors, and with logError the diagnostics ts-node prints instead of throwing, must come every time.
        if (service.transpileOnly && !service.options.logError) cache(service, tsnode.VERSION, tsnodePath, dir);
        return service;
    };
}

/** The "type" of the package.json nearest to `dir` ("commonjs" when there is none), as Node decides a .ts file's module kind. */
const packageTypes = new Map();
function packageType(dir) {
    if (!packageTypes.has(dir)) {
        let type;
        try {
            type = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).type ?? "commonjs";
        } catch {
            const parent = path.dirname(dir);
            type = parent === dir ? "commonjs" : packageType(parent);
        }
        packageTypes.set(dir, type);
    }
    return packageTypes.get(dir);
}

function cache(service, tsnodeVersion, tsnodePath, dir) {
    const compile = service.compile;
    // ts-node's own settings too (its tsconfig section and TS_NODE_* variables: moduleTypes, ignoreDiagnostics,
    // a transpiler, ...), which change what compile() returns or refuses.
    const salt = JSON.stringify([tsnodeVersion, service.ts.version, service.config.options, service.options]);
    /** Outputs answered from the cache, for source maps: path (forward slashes) → the compiled text. */
    const answered = new Map();
    let mapsInstalled = false;
    service.compile = function (code, fileName, lineOffset) {
        const key = crypto
            .createHash("sha256")
            .update(JSON.stringify([salt, fileName, lineOffset ?? 0, packageType(path.dirname(fileName))]))
            .update("\0")
            .update(code)
            .digest("hex");
        const file = path.join(dir, `${key}.js`);
        let output;
        try {
            output = fs.readFileSync(file, "utf8");
        } catch {
            output = compile.call(this, code, fileName, lineOffset);
            const partial = `${file}.${process.pid}.tmp`;
            try {
                fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
                fs.writeFileSync(partial, output, { mode: 0o600 });
                fs.renameSync(partial, file); // whole or not at all, whatever runs beside it
            } catch {
                // A cache that cannot be written only costs time; nothing half-written stays.
                try {
                    fs.rmSync(partial, { force: true });
                } catch {
                    // Left for the next run's rename to replace.
                }
            }
            return output;
        }
        answered.set(fileName.replace(/\\/g, "/"), output);
        if (!mapsInstalled) {
            mapsInstalled = true;
            // ts-node's own copy, so that both handlers serve the one Error.prepareStackTrace it installed.
            require(require.resolve("@cspotcode/source-map-support", { paths: [path.dirname(tsnodePath)] })).install({
                environment: "node",
                retrieveFile: (p) => answered.get(p.replace(/\\/g, "/")) ?? null,
            });
        }
        return output;
    };
}
