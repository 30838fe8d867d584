/**
 * Writing several files all or none: each new file beside its target first (mode 600, created exclusively),
 * every previous file kept under a second name until all new ones are in place, and everything put back
 * when one step fails. export-cert writes its certificate files through it.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { UserError, describeFsError } from "./cli.mts";

/** The calls replaceFiles makes to move files; tests substitute them to fail at a chosen step. */
export interface ReplaceOperations {
    readonly rename: (from: string, to: string) => void;
    readonly link: (existing: string, newPath: string) => void;
}

export const FILE_SYSTEM: ReplaceOperations = { rename: fs.renameSync, link: fs.linkSync };

interface Target {
    readonly target: string;
    /** The new content's temporary name, beside the target. */
    readonly temporary: string;
    /** Whether this process created the temporary file (and so may remove it). */
    created: boolean;
    /** A second name for the previous file, while the new files are moved in. */
    backup: string | undefined;
    /** The previous file was renamed away (not linked): the target name is free until the new file arrives. */
    moved: boolean;
    /** The new file is in place. */
    replaced: boolean;
}

/**
 * Writes every file or none. Each new file goes to a temporary name beside its target first, created
 * exclusively with mode 600 (so it is never readable by others, and a link planted at that name is not
 * followed). Then each existing target gets a second name (a hard link, or a rename where links are not
 * possible), which also finds a target that cannot be replaced (an immutable file) before anything
 * changed. Only then are the new files renamed into place, each rename atomic. When one fails, the
 * files already replaced get their previous content back and the temporary files are removed; the
 * error says whether that worked, and where a previous file is if it could not be put back. Without
 * `force`, a target that appeared since checkTargets stops it like any other failure.
 */
export function replaceFiles(
    files: ReadonlyMap<string, Buffer>,
    force: boolean,
    operations: ReplaceOperations = FILE_SYSTEM,
): { warnings: string[] } {
    const targets: Target[] = [...files.keys()].map((target) => ({
        target,
        temporary: sibling(target, "new"),
        created: false,
        backup: undefined,
        moved: false,
        replaced: false,
    }));

    for (const t of targets) {
        try {
            writeNew(t, files.get(t.target)!);
        } catch (e) {
            throw failure(`cannot write ${t.target}: ${describeFsError(e)}`, undo(targets, operations));
        }
    }
    for (const t of targets) {
        try {
            const found = fs.lstatSync(t.target, { throwIfNoEntry: false });
            if (found === undefined) continue;
            // checkTargets ran before the password prompt; a file may have appeared since.
            if (!force) throw Object.assign(new Error("it exists now"), { code: "EEXIST" });
            if (found.isDirectory()) throw Object.assign(new Error("a directory now"), { code: "EISDIR" });
            const backup = sibling(t.target, "old");
            if (found.isFile()) {
                try {
                    operations.link(t.target, backup);
                } catch {
                    operations.rename(t.target, backup);
                    t.moved = true;
                }
            } else if (found.isSymbolicLink()) {
                // A symbolic link is renamed, never linked: some systems' link() would follow it.
                operations.rename(t.target, backup);
                t.moved = true;
            } else {
                throw new Error("it is not a regular file");
            }
            t.backup = backup;
        } catch (e) {
            throw failure(`cannot replace ${t.target}: ${describeFsError(e)}`, undo(targets, operations));
        }
    }
    for (const t of targets) {
        try {
            operations.rename(t.temporary, t.target);
            t.replaced = true;
        } catch (e) {
            throw failure(`cannot replace ${t.target}: ${describeFsError(e)}`, undo(targets, operations));
        }
    }

    const warnings: string[] = [];
    for (const t of targets) {
        if (t.backup !== undefined && !remove(t.backup)) {
            warnings.push(`the previous content of ${t.target} is still in ${t.backup}; delete it (it may hold the previous private key)`);
        }
    }
    syncDirectories(targets.map((t) => path.dirname(t.target)));
    return { warnings };
}

/** A hidden name beside `file`, unique to this attempt. */
function sibling(file: string, kind: "new" | "old"): string {
    return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.${kind}`);
}

function writeNew(t: Target, data: Buffer): void {
    // "wx": O_CREAT | O_EXCL, so an existing file or link at this name is an error, never overwritten or followed.
    const fd = fs.openSync(t.temporary, "wx", 0o600);
    t.created = true;
    try {
        // The umask can only take bits away from 600; this makes it exactly 600 whatever the umask.
        fs.fchmodSync(fd, 0o600);
        fs.writeFileSync(fd, data);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
}

interface Undone {
    /** Targets that are not as they were, each with where its previous content is. */
    readonly changed: string[];
    /** Files of ours that could not be removed. */
    readonly leftovers: string[];
}

/** Puts every target back as it was and removes the temporary files; reports what it could not do. */
function undo(targets: Target[], operations: ReplaceOperations): Undone {
    const changed: string[] = [];
    const leftovers: string[] = [];
    for (const t of targets) {
        if (t.replaced) {
            if (t.backup !== undefined) {
                try {
                    operations.rename(t.backup, t.target);
                } catch (e) {
                    changed.push(
                        `${t.target} is the new file (${describeFsError(e)} putting the previous one back, which is in ${t.backup})`,
                    );
                }
            } else if (!remove(t.target)) {
                changed.push(`${t.target} was written and could not be removed`);
            }
            continue;
        }
        if (t.backup !== undefined) {
            if (t.moved) {
                try {
                    operations.rename(t.backup, t.target);
                } catch (e) {
                    changed.push(`${t.target} is missing (${describeFsError(e)} putting it back; it is in ${t.backup})`);
                }
            } else if (!remove(t.backup)) {
                // The target is still the previous file; this is a second name for it.
                leftovers.push(t.backup);
            }
        }
        if (t.created && !remove(t.temporary)) leftovers.push(t.temporary);
    }
    return { changed, leftovers };
}

function failure(what: string, undone: Undone): UserError {
    if (undone.changed.length === 0 && undone.leftovers.length === 0) {
        return new UserError(`${what}; nothing was changed (the files that were there are as they were)`);
    }
    const parts = [what];
    if (undone.changed.length > 0) parts.push(`not everything could be put back: ${undone.changed.join("; ")}`);
    else parts.push("the files that were there are as they were");
    if (undone.leftovers.length > 0) parts.push(`left behind, delete: ${undone.leftovers.join(", ")}`);
    return new UserError(parts.join(". "), EXIT_INCOMPLETE);
}

function remove(file: string): boolean {
    try {
        fs.rmSync(file, { force: true });
        return true;
    } catch {
        return false;
    }
}

/** Makes the renames durable; a file system that cannot sync a directory (Windows) is left to itself. */
function syncDirectories(dirs: string[]): void {
    for (const dir of new Set(dirs)) {
        try {
            const fd = fs.openSync(dir, "r");
            try {
                fs.fsyncSync(fd);
            } finally {
                fs.closeSync(fd);
            }
        } catch {
            // Best effort: the files are complete either way.
        }
    }
}

/**
 * Exit code when a write failed and not everything could be put back as it was: the message names
 * each file that differs and where its previous content is. Exit 2 (invalid input) means nothing changed.
 */
export const EXIT_INCOMPLETE = 1;
