// The one rule for every file and directory the project reads or writes outside its own tree: nothing is
// used that another account owns or can write. A cache, a temporary file, a file a person names (an
// outputs file, a key, a token, a stack file, an export directory) and every directory on the way to it
// are checked; anything another account could have planted or can swap is refused, so code or data from
// another local user never runs or counts as ours. Plain CommonJS: tools/shared/preload.cjs uses it before
// any TypeScript is loaded (types in privatePaths.d.cts).
//
// An entry is safe when its owner is this account or root, and nobody else may write it. A directory that
// others may write is accepted only with the sticky bit (/tmp): there nobody but an entry's owner can
// rename or delete it, and every entry below must itself be this account's or root's. Group write is
// accepted only for this account's user private group (the group with the account's own number, the Debian
// and Ubuntu default). Access control lists beyond the mode bits are not read: a directory that grants
// another account write through an ACL shows only as group write in the mode (the ACL mask), which is
// refused unless it is that private group. Symbolic links are followed by hand, each link checked as an entry of its directory (a link
// another account planted in /tmp is refused), then its target. Root is every account's trusted owner: it
// can change any file anyway. Where the platform has no uids (Windows), the rule cannot be checked and
// nothing is refused.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/** Symbolic links followed on one path before giving up, as Linux's own limit (path_resolution(7)). */
const MAX_LINKS = 40;

/**
 * Why a file already opened (its fstat) is not safe from other accounts, or undefined: the check made
 * after open, so that a file another account put in place between pathProblem() and the open is refused.
 */
function openedFileProblem(stat, what) {
    const account = currentAccount();
    if (account === undefined) return undefined;
    const problem = entryProblem(stat, stat.isDirectory() ? "directory" : stat.isCharacterDevice() ? "device" : "file", account);
    return problem ? `${what} ${problem}` : undefined;
}

/** This process's account, or undefined where there are no uids (Windows). */
function currentAccount() {
    if (typeof process.getuid !== "function" || typeof process.getgid !== "function") return undefined;
    return { uid: process.getuid(), gid: process.getgid() };
}

/**
 * Why an entry with these stat fields is unsafe for `account`, or undefined. Pure: the tests feed it every
 * combination. `entry` is "directory", "file", "link" or "device" (a character device).
 */
function entryProblem(stat, entry, account) {
    if (stat.uid !== account.uid && stat.uid !== 0) return `is owned by another account (uid ${stat.uid})`;
    // A link's own mode means nothing (its target is checked next); a device's (/dev/null, /dev/tty) is not
    // content another account can plant.
    if (entry === "link" || entry === "device") return undefined;
    const sticky = entry === "directory" && (stat.mode & 0o1000) !== 0;
    if ((stat.mode & 0o002) !== 0 && !sticky) return "can be written by every account";
    // Group write is safe only for a user private group, which by convention has the account's own number
    // and no other member (Debian and Ubuntu's USERGROUPS_ENAB); a primary group such as "users" is shared.
    const ownGroup = stat.gid === account.gid && account.gid === account.uid;
    if ((stat.mode & 0o020) !== 0 && !sticky && !ownGroup) return `can be written by the accounts of group ${stat.gid}`;
    return undefined;
}

/**
 * Why `target` (a file or directory, existing or about to be created) is not safe from other accounts, or
 * undefined when it is. Every directory from the root down is checked, links followed; a missing last
 * part is fine (it will be created in a checked directory), a missing directory before it is not ours to
 * judge and is left to the caller's own open or mkdir. `what` names the input in the message.
 */
function pathProblem(target, what) {
    const account = currentAccount();
    if (account === undefined) return undefined;
    const pending = path.resolve(target).split(path.sep).filter(Boolean);
    let current = path.parse(path.resolve(target)).root;
    let links = 0;
    let stat = fs.statSync(current);
    let problem = entryProblem(stat, "directory", account);
    if (problem) return `${what}: ${current} ${problem}`;
    while (pending.length > 0) {
        const name = pending.shift();
        if (name === ".") continue;
        if (name === "..") {
            current = path.dirname(current);
            continue;
        }
        const next = path.join(current, name);
        try {
            stat = fs.lstatSync(next);
        } catch (e) {
            if (e && (e.code === "ENOENT" || e.code === "ENOTDIR")) return undefined;
            if (e && e.code === "EACCES") return `${what}: ${next} cannot be examined (permission denied)`;
            throw e;
        }
        if (stat.isSymbolicLink()) {
            problem = entryProblem(stat, "link", account);
            if (problem) return `${what}: the symbolic link ${next} ${problem}`;
            if (++links > MAX_LINKS) return `${what}: ${target} has too many symbolic links`;
            const link = fs.readlinkSync(next);
            pending.unshift(...link.split(path.sep).filter(Boolean));
            if (path.isAbsolute(link)) current = path.parse(link).root;
            continue;
        }
        problem = entryProblem(stat, stat.isDirectory() ? "directory" : stat.isCharacterDevice() ? "device" : "file", account);
        if (problem) return `${what}: ${next} ${problem}`;
        current = next;
    }
    return undefined;
}

/**
 * This account's own directory for the project's caches and temporary files, in the OS's temporary
 * directory: `<tmpdir>/exo-cba-<uid>`, made with mode 0700 when missing. Returns `{ dir }`, or
 * `{ problem }` when it is not this account's alone (another account made it first, it is a link, others
 * may read or write it, or the temporary directory itself is unsafe): callers then do without.
 */
function privateDirectory() {
    const account = currentAccount();
    const name = `exo-cba-${account === undefined ? os.userInfo().username : account.uid}`;
    // Absolute: a relative TMPDIR would name another directory for a process started elsewhere.
    const dir = path.resolve(os.tmpdir(), name);
    try {
        fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
        if (!e || e.code !== "EEXIST") return { problem: `cannot make ${dir} (${e && e.code ? e.code : String(e)})` };
    }
    const problem = pathProblem(dir, "the private temporary directory");
    if (problem) return { problem };
    if (account !== undefined) {
        const stat = fs.lstatSync(dir);
        if (!stat.isDirectory()) return { problem: `the private temporary directory: ${dir} is not a directory` };
        if (stat.uid !== account.uid)
            return { problem: `the private temporary directory: ${dir} is owned by another account (uid ${stat.uid})` };
        if ((stat.mode & 0o077) !== 0)
            return { problem: `the private temporary directory: ${dir} can be read or entered by other accounts` };
    }
    return { dir };
}

/** A subdirectory of privateDirectory() (made when missing), or `{ problem }`. */
function privateSubdirectory(name) {
    const base = privateDirectory();
    if (base.problem) return base;
    const dir = path.join(base.dir, name);
    try {
        fs.mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
        if (!e || e.code !== "EEXIST") return { problem: `cannot make ${dir} (${e && e.code ? e.code : String(e)})` };
    }
    const problem = pathProblem(dir, "the private temporary directory");
    return problem ? { problem } : { dir };
}

/**
 * A new, empty directory of its own under privateDirectory() (mkdtemp: a name nobody could guess or
 * take first), for files that live as long as one run. Throws with the problem when there is no safe place.
 */
function makeTemporaryDirectory(prefix) {
    const base = privateDirectory();
    if (base.problem) throw new Error(`no private place for temporary files: ${base.problem}`);
    return fs.mkdtempSync(path.join(base.dir, prefix));
}

module.exports = { entryProblem, pathProblem, openedFileProblem, privateDirectory, privateSubdirectory, makeTemporaryDirectory };
