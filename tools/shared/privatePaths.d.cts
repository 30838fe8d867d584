/** Types of privatePaths.cjs, which stays plain CommonJS for tools/shared/preload.cjs. */
import type { Stats } from "node:fs";

/** The stat fields the rule reads. */
export interface OwnershipStat {
    readonly uid: number;
    readonly gid: number;
    readonly mode: number;
}

/** Why an entry is unsafe for `account`, or undefined. */
export function entryProblem(
    stat: OwnershipStat,
    entry: "directory" | "file" | "link" | "device",
    account: { readonly uid: number; readonly gid: number },
): string | undefined;

/** Why `target` or a directory on the way to it is not safe from other accounts, or undefined; `what` starts the message. */
export function pathProblem(target: string, what: string): string | undefined;

/** Why an opened file (its fstat) is not safe from other accounts, or undefined; `what` starts the message. */
export function openedFileProblem(stat: Stats, what: string): string | undefined;

/** This account's own directory in the OS's temporary directory, or why there is none. */
export function privateDirectory():
    { readonly dir: string; readonly problem?: undefined } | { readonly dir?: undefined; readonly problem: string };

/** A subdirectory of privateDirectory(), or why there is none. */
export function privateSubdirectory(
    name: string,
): { readonly dir: string; readonly problem?: undefined } | { readonly dir?: undefined; readonly problem: string };

/** A new empty directory under privateDirectory(); throws when there is no safe place. */
export function makeTemporaryDirectory(prefix: string): string;
