/**
 * Nothing another local account planted is run or read, and nothing is written where another account can
 * change it: the one rule (tools/shared/privatePaths.cjs), its checks on a real file system, V8's compile
 * cache of every tool (tools/shared/preload.cjs), and each place a tool reads or writes a file a person names.
 * Cases that need a file of another account run as root, which can give a file away (chown) and start a
 * process as another account, as CI and these machines run; elsewhere they are skipped, and the cases that
 * need only modes (a directory every account may write) still run.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { entryProblem, openedFileProblem, pathProblem } from "../tools/shared/privatePaths.cjs";
import { pulumiCli } from "../tools/shared/stackOutputs.mts";
import { makeCertificate } from "./support/certificates.mts";
import { runTool } from "./support/cli.mts";
import { tempDir } from "./support/harness.mts";
import { stackOutputs } from "./support/verifyStack.mts";

const ME = { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 };
/** An account that is neither this one nor root. */
const OTHER = ME.uid === 4242 ? 4343 : 4242;
const asRoot = process.getuid?.() === 0 ? {} : { skip: "needs root to give a file to another account" };
/** nobody: the account a planted cache comes from in the end-to-end case. */
const NOBODY = 65534;

/** A directory like /tmp: every account may write to it, the sticky bit protects each one's entries. */
function sharedTmp(): string {
    const dir = tempDir("shared-");
    fs.chmodSync(dir, 0o1777);
    return dir;
}

describe("the rule for one entry", () => {
    const dir = (mode: number, uid = ME.uid, gid = ME.gid) => entryProblem({ uid, gid, mode: 0o040000 | mode }, "directory", ME);
    const file = (mode: number, uid = ME.uid, gid = ME.gid) => entryProblem({ uid, gid, mode: 0o100000 | mode }, "file", ME);

    it("accepts what this account or root owns and nobody else may write", () => {
        assert.equal(dir(0o700), undefined);
        assert.equal(dir(0o755, 0, 0), undefined);
        assert.equal(file(0o600), undefined);
        assert.equal(file(0o644, 0, 0), undefined);
    });

    it("refuses whatever another account owns, whatever its mode", () => {
        assert.match(dir(0o700, OTHER) ?? "", new RegExp(`owned by another account \\(uid ${OTHER}\\)`));
        assert.match(file(0o400, OTHER) ?? "", /owned by another account/);
        assert.match(entryProblem({ uid: OTHER, gid: OTHER, mode: 0o120777 }, "link", ME) ?? "", /owned by another account/);
    });

    it("refuses an entry every account may write, unless it is a sticky directory (/tmp)", () => {
        assert.match(dir(0o777) ?? "", /written by every account/);
        assert.match(file(0o666) ?? "", /written by every account/);
        assert.equal(dir(0o1777, 0, 0), undefined);
        assert.match(file(0o1666) ?? "", /written by every account/, "the sticky bit protects nothing on a file");
    });

    it("accepts group write for this account's user private group only (the group with its own number)", () => {
        const alice = { uid: 1000, gid: 1000 };
        const groupWritable = (gid: number, account: { uid: number; gid: number }) =>
            entryProblem({ uid: account.uid, gid, mode: 0o040770 }, "directory", account);
        assert.equal(groupWritable(1000, alice), undefined);
        assert.equal(entryProblem({ uid: 1000, gid: 1000, mode: 0o100664 }, "file", alice), undefined);
        assert.match(groupWritable(OTHER, alice) ?? "", new RegExp(`group ${OTHER}`));
        // A primary group that is not the account's own, such as "users" (100), is shared by other accounts.
        assert.match(groupWritable(100, { uid: 1000, gid: 100 }) ?? "", /can be written by the accounts of group 100/);
    });

    it("judges a link by its owner alone, and a device by its owner alone", () => {
        assert.equal(entryProblem({ uid: ME.uid, gid: ME.gid, mode: 0o120777 }, "link", ME), undefined);
        assert.equal(entryProblem({ uid: 0, gid: 0, mode: 0o020666 }, "device", ME), undefined, "/dev/null");
    });
});

describe("a path, checked from the root down", () => {
    it("accepts a file in this account's own directory, and one not created yet", () => {
        const dir = tempDir("own-");
        fs.writeFileSync(path.join(dir, "outputs.json"), "{}", { mode: 0o600 });
        assert.equal(pathProblem(path.join(dir, "outputs.json"), "--outputs-file"), undefined);
        assert.equal(pathProblem(path.join(dir, "later.json"), "--outputs-file"), undefined);
    });

    it("accepts this account's file in a shared sticky directory", () => {
        const tmp = sharedTmp();
        fs.writeFileSync(path.join(tmp, "outputs.json"), "{}", { mode: 0o600 });
        assert.equal(pathProblem(path.join(tmp, "outputs.json"), "--outputs-file"), undefined);
    });

    it("refuses a file below a directory every account may write, naming that directory", () => {
        const dir = tempDir("open-");
        fs.mkdirSync(path.join(dir, "drop"));
        fs.chmodSync(path.join(dir, "drop"), 0o777);
        fs.writeFileSync(path.join(dir, "drop", "outputs.json"), "{}");
        assert.equal(
            pathProblem(path.join(dir, "drop", "outputs.json"), "--outputs-file"),
            `--outputs-file: ${path.join(dir, "drop")} can be written by every account`,
        );
    });

    it("refuses a file every account may write", () => {
        const dir = tempDir("open-");
        fs.writeFileSync(path.join(dir, "key.pem"), "x");
        fs.chmodSync(path.join(dir, "key.pem"), 0o666);
        assert.match(pathProblem(path.join(dir, "key.pem"), "--key-file") ?? "", /key\.pem can be written by every account$/);
    });

    it("follows a link to what it names and checks that too", () => {
        const dir = tempDir("links-");
        fs.mkdirSync(path.join(dir, "drop"));
        fs.chmodSync(path.join(dir, "drop"), 0o777);
        fs.symlinkSync(path.join(dir, "drop"), path.join(dir, "looks-private"));
        assert.match(
            pathProblem(path.join(dir, "looks-private", "x.json"), "--outputs-file") ?? "",
            /drop can be written by every account/,
        );
        fs.symlinkSync("relative-loop", path.join(dir, "relative-loop"));
        assert.match(pathProblem(path.join(dir, "relative-loop"), "--key-file") ?? "", /too many symbolic links/);
    });

    it("refuses what another account planted in a shared directory: a file, a directory, a link", asRoot, () => {
        const tmp = sharedTmp();
        fs.writeFileSync(path.join(tmp, "outputs.json"), "{}", { mode: 0o644 });
        fs.chownSync(path.join(tmp, "outputs.json"), OTHER, OTHER);
        assert.equal(
            pathProblem(path.join(tmp, "outputs.json"), "--outputs-file"),
            `--outputs-file: ${path.join(tmp, "outputs.json")} is owned by another account (uid ${OTHER})`,
        );
        fs.mkdirSync(path.join(tmp, "exo"), { mode: 0o755 });
        fs.chownSync(path.join(tmp, "exo"), OTHER, OTHER);
        assert.match(pathProblem(path.join(tmp, "exo", "contoso.pfx"), "--out") ?? "", /exo is owned by another account/);
        const own = tempDir("target-");
        fs.symlinkSync(own, path.join(tmp, "mine"));
        fs.lchownSync(path.join(tmp, "mine"), OTHER, OTHER);
        assert.match(
            pathProblem(path.join(tmp, "mine", "outputs.json"), "--outputs-file") ?? "",
            /the symbolic link .*mine is owned by another account/,
        );
    });
});

describe("the Pulumi CLI the tools run", () => {
    function fakePulumi(dir: string): string {
        const file = path.join(dir, "pulumi");
        fs.writeFileSync(file, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        return file;
    }

    it("is looked for in PATH's absolute directories only: an empty or relative entry is the current directory", () => {
        const here = tempDir("cwd-");
        fakePulumi(here);
        const own = tempDir("bin-");
        const real = fakePulumi(own);
        const before = process.cwd();
        process.chdir(here);
        try {
            assert.equal(pulumiCli(`:.:${own}`, "linux"), real);
            assert.equal(pulumiCli("::.", "linux"), undefined, "nothing found in the current directory");
        } finally {
            process.chdir(before);
        }
    });

    it("is refused when another account can replace it", () => {
        const open = tempDir("bin-");
        fs.chmodSync(open, 0o777);
        fakePulumi(open);
        assert.throws(
            () => pulumiCli(open, "linux"),
            (e: Error) => /^the Pulumi CLI: .* can be written by every account, so it may not be the Pulumi CLI/.test(e.message),
        );
    });
});

describe("a file already opened", () => {
    it("is judged again by its own owner and mode, whatever the path said before it was opened", asRoot, () => {
        const dir = tempDir("opened-");
        const file = path.join(dir, "outputs.json");
        fs.writeFileSync(file, "{}");
        const fd = fs.openSync(file, "r");
        try {
            assert.equal(openedFileProblem(fs.fstatSync(fd), "--outputs-file x"), undefined);
            fs.chownSync(file, OTHER, OTHER);
            assert.equal(
                openedFileProblem(fs.fstatSync(fd), "--outputs-file x"),
                `--outputs-file x is owned by another account (uid ${OTHER})`,
            );
        } finally {
            fs.closeSync(fd);
        }
    });
});

describe("V8's compile cache of the tools", () => {
    /** `npm run check-expiry -- --help` with `env`, as npm starts it (NODE_OPTIONS from .npmrc). */
    const tool = (env: Record<string, string | undefined>) => runTool("check-expiry", ["--help"], { env });

    it("is not kept in the shared default directory, where another account can plant entries", async () => {
        const tmp = sharedTmp();
        // Node's default place (module.enableCompileCache() without a directory), made first by someone else.
        const planted = path.join(tmp, "node-compile-cache");
        fs.mkdirSync(planted);
        fs.chmodSync(planted, 0o777);
        const r = await tool({ TMPDIR: tmp });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(fs.readdirSync(planted), [], "nothing read from or written to it");
        const own = path.join(tmp, `exo-cba-${ME.uid}`, "compile-cache");
        assert.ok(fs.readdirSync(own).length > 0, "kept in this account's own directory instead");
        assert.equal(fs.statSync(path.join(tmp, `exo-cba-${ME.uid}`)).mode & 0o777, 0o700);
    });

    it("is off, with a warning, when this account's directory was made by another or opened to others", async () => {
        const tmp = sharedTmp();
        const taken = path.join(tmp, `exo-cba-${ME.uid}`);
        fs.mkdirSync(taken);
        fs.chmodSync(taken, 0o777);
        const r = await tool({ TMPDIR: tmp });
        assert.equal(r.code, 0, "the tool still runs");
        assert.match(
            r.stderr,
            new RegExp(`^warning: V8's compile cache is off: .*${path.basename(taken)} can be written by every account\\n$`),
        );
        assert.deepEqual(fs.readdirSync(taken), []);
    });

    it("refuses to run with a NODE_COMPILE_CACHE another account can write", async () => {
        const tmp = sharedTmp();
        const chosen = path.join(tmp, "cache");
        fs.mkdirSync(chosen);
        fs.chmodSync(chosen, 0o777);
        const r = await tool({ TMPDIR: tmp, NODE_COMPILE_CACHE: chosen });
        assert.equal(r.code, 2);
        assert.equal(r.stdout, "");
        assert.match(
            r.stderr,
            /^error: NODE_COMPILE_CACHE: .*cache can be written by every account: code planted there would run as you; .*\n$/,
        );
    });

    it("never runs what an account that got there first left in this account's place", asRoot, async () => {
        const tmp = sharedTmp();
        const place = path.join(tmp, `exo-cba-${ME.uid}`);
        // The other account's directory, with a cache inside it (made here and given away: the test's own
        // directories are closed to other accounts).
        fs.mkdirSync(path.join(place, "compile-cache"), { recursive: true, mode: 0o755 });
        fs.chownSync(place, NOBODY, NOBODY);
        fs.chownSync(path.join(place, "compile-cache"), NOBODY, NOBODY);
        const r = await tool({ TMPDIR: tmp });
        assert.equal(r.code, 0);
        assert.match(r.stderr, new RegExp(`compile cache is off: .*is owned by another account \\(uid ${NOBODY}\\)`));
        assert.deepEqual(fs.readdirSync(path.join(place, "compile-cache")), [], "nothing of this account's went there either");
    });
});

describe("files and directories a person names", () => {
    /** A directory every account may write (not sticky), holding `name` with `text`. */
    function openDirectoryWith(name: string, text: string): string {
        const dir = tempDir("drop-");
        fs.chmodSync(dir, 0o777);
        fs.writeFileSync(path.join(dir, name), text);
        return path.join(dir, name);
    }
    const refusal = (option: string) =>
        new RegExp(
            `^error: ${option}.*can be written by every account, so another account could have put it there or could change it; use a directory only you can write\\n$`,
        );

    it("check-expiry, verify and export-cert refuse an --outputs-file there, exit 2", async () => {
        const file = openDirectoryWith("outputs.json", JSON.stringify({ tenantId: "8a1c2b3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d" }));
        for (const script of ["check-expiry", "verify", "export-cert"]) {
            const r = await runTool(script, ["--outputs-file", file]);
            assert.equal(r.code, 2, `${script}: ${r.stderr}`);
            assert.match(r.stderr, refusal("--outputs-file "), script);
        }
    });

    it("verify refuses a --key-file and a --federated-token-file there", async () => {
        const outputs = path.join(tempDir("own-"), "outputs.json");
        fs.writeFileSync(outputs, "{}");
        for (const option of ["--key-file", "--federated-token-file"]) {
            const r = await runTool("verify", ["--outputs-file", outputs, option, openDirectoryWith("x", "x")]);
            assert.equal(r.code, 2, r.stderr);
            assert.match(r.stderr, refusal(option), option);
        }
    });

    it("plan refuses a --config-file there", async () => {
        const r = await runTool("plan", ["--stack", "dev", "--config-file", openDirectoryWith("Pulumi.dev.yaml", "config: {}\n")]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, refusal("--config-file "));
    });

    it("stacks refuses a project directory below one", async () => {
        const project = path.dirname(openDirectoryWith("Pulumi.yaml", "name: x\nruntime: nodejs\n"));
        const r = await runTool("stacks", [project]);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, refusal("the project directory "));
    });

    it("export-cert writes nothing to an --out directory there", async () => {
        const out = path.dirname(openDirectoryWith("keep", ""));
        const outputs = stackOutputs({
            appId: "5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
            tenantId: "8a1c2b3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d",
            certificate: makeCertificate({ now: new Date(), cn: "EXO Reporting Script" }),
            roles: [],
        });
        const r = await runTool("export-cert", ["--outputs-file", "-", "--out", out, "--format", "cer"], {
            input: JSON.stringify(outputs),
        });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, refusal("--out "));
        assert.deepEqual(fs.readdirSync(out), ["keep"]);
    });

    it("check-expiry does not append its summary to a GITHUB_STEP_SUMMARY there, and still exits with its result", async () => {
        const summary = openDirectoryWith("summary.md", "");
        const outputs = path.join(tempDir("own-"), "outputs.json");
        fs.writeFileSync(outputs, JSON.stringify({ certificates: [] }));
        const r = await runTool("check-expiry", ["--outputs-file", outputs], { env: { GITHUB_STEP_SUMMARY: summary } });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(fs.readFileSync(summary, "utf8"), "");
        assert.match(r.stderr, /^warning: not writing the job summary: GITHUB_STEP_SUMMARY .*can be written by every account\n$/);
    });
});
