/**
 * JSON from outside is parsed with a limit on nesting (components/json.ts): the depth is counted on the
 * text, brackets in strings left out, so a value nested 200,000 deep is refused before anything walks it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_JSON_DEPTH, jsonDepth, parseJson } from "../components/json.ts";
import { show } from "../components/redaction.ts";
import { federatedClaims } from "../tools/verify/federatedToken.mts";

const nested = (n: number, inner = "") => `${"[".repeat(n)}${inner}${"]".repeat(n)}`;

describe("the depth of JSON text", () => {
    it("counts arrays and objects, not brackets inside strings or escaped quotes", () => {
        assert.equal(jsonDepth('{"a":[1,{"b":[]}]}'), 4);
        assert.equal(jsonDepth('["[[[[", "\\"[[[["]'), 1);
        assert.equal(jsonDepth('"\\\\"'), 0, "an escaped backslash ends before the quote");
        assert.equal(jsonDepth("42"), 0);
    });

    it("stops counting once past the limit, so a huge text is not read to its end for nothing", () => {
        assert.equal(jsonDepth(nested(200_000)), MAX_JSON_DEPTH + 1);
    });
});

describe("parseJson", () => {
    it("parses what is within the limit, and refuses what is deeper or not JSON, saying which", () => {
        assert.deepEqual(parseJson(nested(MAX_JSON_DEPTH)), { value: JSON.parse(nested(MAX_JSON_DEPTH)) as unknown });
        assert.deepEqual(parseJson(nested(MAX_JSON_DEPTH + 1)), { problem: "nested deeper than 64 levels" });
        assert.deepEqual(parseJson(nested(200_000)), { problem: "nested deeper than 64 levels" });
        assert.deepEqual(parseJson("{"), { problem: "not JSON" });
    });
});

describe("a value nested too deep to write out", () => {
    it("is shown as such in a message, instead of ending the run", () => {
        const deep = JSON.parse(nested(100_000)) as unknown;
        assert.equal(show(deep), "(a value nested too deep to show)");
    });
});

describe("a federated token nested deep", () => {
    it("is no JWT of a workload's", () => {
        const part = (text: string) => Buffer.from(text).toString("base64url");
        const token = `${part('{"alg":"RS256"}')}.${part(`{"iss":"https://issuer.example","x":${nested(20_000)}}`)}.c2ln`;
        assert.equal(federatedClaims(token), "is not a JWT: its payload is JSON nested deeper than 64 levels");
    });
});
