/**
 * Committed snapshots, updated only deliberately: UPDATE_SNAPSHOTS=1 npm test.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../engine/engine.mts";

const DIR = path.join(PROJECT_DIR, "tests", "snapshots");

export function matchSnapshot(name: string, actual: string): void {
    const file = path.join(DIR, name);
    if (process.env["UPDATE_SNAPSHOTS"] === "1") {
        fs.mkdirSync(DIR, { recursive: true });
        fs.writeFileSync(file, actual);
        return;
    }
    assert.ok(
        fs.existsSync(file),
        `no snapshot ${path.relative(PROJECT_DIR, file)}; create it with UPDATE_SNAPSHOTS=1 npm test and review it`,
    );
    assert.equal(
        actual,
        fs.readFileSync(file, "utf8"),
        `${name} differs from its snapshot; if the change is intended, run UPDATE_SNAPSHOTS=1 npm test and commit the diff`,
    );
}
