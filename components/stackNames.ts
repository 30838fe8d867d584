/**
 * Pulumi's rule for a stack's name, one place for the program (a customer stack's home), the engine and the
 * tools: 1 to 100 letters, digits, hyphens, underscores or periods (pkg/backend's stack name check,
 * ^[A-Za-z0-9_.-]{1,100}$), and here
 * not dots alone, so that Pulumi.<stack>.yaml is always a file in the project directory. A qualified
 * name is org/project/stack, each part a name.
 */
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** What a stack name may be, for messages. */
export const STACK_NAME_RULE = "1 to 100 letters, digits, hyphens, underscores or periods, not periods alone";

export function isStackName(name: string): boolean {
    return NAME.test(name) && !/^\.+$/.test(name);
}

/** org/project/stack, each part a name: how a stack is named from another (a stack reference). */
export function isFullStackName(name: string): boolean {
    const parts = name.split("/");
    return parts.length === 3 && parts.every(isStackName);
}

/** A name, or org/project/stack or project/stack with each part a name. */
export function isQualifiedStackName(name: string): boolean {
    const parts = name.split("/");
    return parts.length <= 3 && parts.every(isStackName);
}
