/** The rules of exo-cba:managedIdentities: names, object and client ids, each identity once. Loaded on first use (loadRules.ts). */
import { NAME, forEachNamed } from "./items.ts";
import { type ManagedIdentity, type Report } from "../settings.ts";
import { isGuid } from "../microsoft.ts";
import { show } from "../redaction.ts";

export function checkManagedIdentities(list: readonly ManagedIdentity[], err: Report): void {
    const key = "managedIdentities";
    const ids = new Map<string, string>();
    forEachNamed(list, key, NAME, "identity", err, (mi, _, label) => {
        if (!isGuid(mi.objectId)) {
            err(
                key,
                `${label} objectId must be the object id (a GUID) of the identity's service principal: Entra admin centre → Enterprise applications → the identity → Object ID (got ${show(mi.objectId)}).`,
            );
        }
        if (mi.clientId !== undefined && !isGuid(mi.clientId)) {
            err(key, `${label} clientId must be the user-assigned identity's client id, a GUID (got ${show(mi.clientId)}).`);
        }
        if (mi.clientId !== undefined && mi.clientId.toLowerCase() === mi.objectId.toLowerCase()) {
            err(
                key,
                `${label} has the same GUID as objectId and clientId: objectId is the service principal's object id, clientId the identity's client (application) id; they differ.`,
            );
        }
        for (const id of [mi.objectId, mi.clientId]) {
            if (id === undefined || !isGuid(id)) continue;
            const seen = ids.get(id.toLowerCase());
            if (seen !== undefined && seen !== label) err(key, `${label} is the same identity as ${seen}; list each identity once.`);
            ids.set(id.toLowerCase(), label);
        }
    });
}
