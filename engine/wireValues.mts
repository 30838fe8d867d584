/**
 * Values as the recording engine keeps them: plain JSON, with secrets, unknowns and resource
 * references turned into small marker objects so they survive JSON and can be checked or shown.
 */

// The Pulumi wire protocol's markers (sdk/nodejs/runtime/rpc.ts).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

/** Shown for a value the engine would only know after creating a resource. */
export const COMPUTED = "[computed]";
/** Shown for a secret. */
export const SECRET = "[secret]";

export function isSecret(v: Value): v is { $secret: Value } {
    return typeof v === "object" && v !== null && !Array.isArray(v) && "$secret" in v;
}

/** Whether a secret is anywhere inside `v` (the engine's PropertyValue.HasSecrets). */
export function holdsSecret(v: Value): boolean {
    if (isSecret(v)) return true;
    if (Array.isArray(v)) return v.some(holdsSecret);
    if (typeof v === "object" && v !== null) return Object.values(v).some(holdsSecret);
    return false;
}

export function isUnknown(v: Value): boolean {
    return typeof v === "object" && v !== null && !Array.isArray(v) && v["$unknown"] === true;
}

/** Converts a value in wire form (a google.protobuf.Struct as JavaScript) into a marked Value. */
export function fromWire(v: unknown): Value {
    if (v === UNKNOWN) return { $unknown: true };
    if (v === null || v === undefined) return null;
    if (Array.isArray(v)) return v.map(fromWire);
    if (typeof v === "object") {
        const o = v as Record<string, unknown>;
        const sig = o[SIG_KEY];
        if (sig === SECRET_SIG) return { $secret: fromWire(o["value"]) };
        if (sig === RESOURCE_SIG) return { $resource: String(o["urn"]) };
        if (sig === OUTPUT_SIG) {
            const inner: Value = "value" in o ? fromWire(o["value"]) : { $unknown: true };
            return o["secret"] === true ? { $secret: inner } : inner;
        }
        const out: { [key: string]: Value } = {};
        for (const [k, item] of Object.entries(o)) out[k] = fromWire(item);
        return out;
    }
    return v as Value;
}

/** Converts a marked Value back to wire form. */
export function toWire(v: unknown): unknown {
    if (v === undefined) return null;
    if (Array.isArray(v)) return v.map(toWire);
    if (v !== null && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if ("$secret" in o) return { [SIG_KEY]: SECRET_SIG, value: toWire(o["$secret"]) };
        if (o["$unknown"] === true) return UNKNOWN;
        if (typeof o["$resource"] === "string") return { [SIG_KEY]: RESOURCE_SIG, urn: o["$resource"] };
        return Object.fromEntries(
            Object.entries(o)
                .filter(([, item]) => item !== undefined)
                .map(([k, item]) => [k, toWire(item)]),
        );
    }
    return v;
}

/** What a provider sees: secrets unwrapped, unknown values absent. */
export function unwrapForProvider(v: Record<string, Value>): Record<string, unknown> {
    const plain = (x: Value): unknown => {
        if (isSecret(x)) return plain(x.$secret);
        if (isUnknown(x)) return undefined;
        if (Array.isArray(x)) return x.map(plain);
        if (x !== null && typeof x === "object") {
            return Object.fromEntries(
                Object.entries(x)
                    .map(([k, item]) => [k, plain(item)])
                    .filter(([, item]) => item !== undefined),
            );
        }
        return x;
    };
    return plain(v) as Record<string, unknown>;
}

/** The same value with object keys in sorted order, so JSON of it is stable (Go's encoding/json sorts too). */
export function sortKeys<T>(v: T): T {
    if (Array.isArray(v)) return v.map(sortKeys) as T;
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
        ) as T;
    }
    return v;
}

/** Strips the secret markers (for assertions on the underlying value). Unknowns stay marked. */
export function reveal(v: Value): Value {
    if (isSecret(v)) return reveal(v.$secret);
    if (Array.isArray(v)) return v.map(reveal);
    if (v !== null && typeof v === "object") {
        const out: { [key: string]: Value } = {};
        for (const [k, item] of Object.entries(v)) out[k] = reveal(item);
        return out;
    }
    return v;
}

/** Replaces secrets by "[secret]" and unknowns by "[computed]": the form that may be printed. */
export function redact(v: Value): Value {
    if (isSecret(v)) return SECRET;
    if (isUnknown(v)) return COMPUTED;
    if (Array.isArray(v)) return v.map(redact);
    if (v !== null && typeof v === "object") {
        if (typeof v["$resource"] === "string") return v["$resource"];
        const out: { [key: string]: Value } = {};
        for (const k of Object.keys(v).sort()) out[k] = redact(v[k]);
        return out;
    }
    return v;
}
