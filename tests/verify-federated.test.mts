/**
 * npm run verify with a federated token: from a file (--federated-token-file) and from GitHub Actions
 * (--federated).
 * The stand-ins, and the checks made after every run: tests/support/verifyHarness.mts.
 */
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { describe, it } from "node:test";
import { tempDir } from "./support/harness.mts";
import { type FederatedRegistration, JWT_BEARER, type RawAnswer, signJwt } from "./support/tokenEndpoint.mts";
import { type VerifyRun, scratchFile } from "./support/verifyStack.mts";
import {
    EXCHANGE_ONLINE,
    EXCHANGE_ONLINE_GCC_HIGH,
    TOKEN_EXCHANGE_AUDIENCE,
    TOKEN_EXCHANGE_AUDIENCE_US_GOV,
    GITHUB_SUBJECT,
    TENANT,
    endpoint,
    issuer,
    identity,
    planted,
    requestToken,
    withToken,
    sharedCertificate,
    deploy,
    run,
    row,
    requestsOf,
    assertOneLineError,
    passedOnThirdAttempt,
    deployFederated,
    gitHubRequests,
    gitHubEnv,
    payloadOf,
    describeNothingSecretPrinted,
} from "./support/verifyHarness.mts";

describe("the stand-in token endpoint checks federated tokens as Entra does", () => {
    const credential = () => ({ issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE });

    function registered(federatedCredentials: FederatedRegistration[], skew?: number): string {
        const clientId = crypto.randomUUID();
        endpoint.register({
            tenantId: TENANT,
            clientId,
            certificates: [],
            federatedCredentials,
            ...(skew !== undefined ? { federatedSkewSeconds: skew } : {}),
        });
        return clientId;
    }

    const post = requestToken;

    it("issues a token for one signed with a key the issuer publishes, found through its OpenID configuration", async () => {
        const clientId = registered([credential()]);
        const fetchedBefore = issuer.received.filter((r) => r.byTokenEndpoint).length;
        const answer = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE }));
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        assert.equal(payloadOf(String(answer.body["access_token"]))["appid"], clientId);
        assert.deepEqual(
            issuer.received
                .filter((r) => r.byTokenEndpoint)
                .slice(fetchedBefore)
                .map((r) => r.path),
            ["/.well-known/openid-configuration", "/.well-known/jwks"],
        );
    });
    it("refuses a key the issuer does not publish, a forged signature, and a token outside its time range", async () => {
        const clientId = registered([credential()]);
        const unpublished = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, unpublishedKey: true }));
        assert.deepEqual(unpublished.body["error_codes"], [7000272]);
        const genuine = issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE }).split(".");
        const forgedPayload = Buffer.from(
            JSON.stringify({ ...payloadOf(genuine.join(".")), sub: "repo:contoso/other:environment:production" }),
        );
        const forged = await post(clientId, `${genuine[0]}.${forgedPayload.toString("base64url")}.${genuine[2]}`);
        assert.deepEqual(forged.body["error_codes"], [50013]);
        const expired = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, expiresIn: -600 }));
        assert.deepEqual(expired.body["error_codes"], [700024]);
        assert.match(String(expired.body["error_description"]), /^AADSTS700024: Client assertion is not within its valid time range/);
    });
    it("refuses an issuer, subject or audience no credential has; a subject differing in letter case has its own code", async () => {
        const other = registered([{ ...credential(), issuer: "https://token.actions.githubusercontent.com" }]);
        const good = () => issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE });
        assert.deepEqual((await post(other, good())).body["error_codes"], [700211]);
        const clientId = registered([credential()]);
        const subject = await post(
            clientId,
            issuer.sign({ sub: "repo:contoso/exchange-reports:ref:refs/heads/main", aud: TOKEN_EXCHANGE_AUDIENCE }),
        );
        assert.deepEqual(subject.body["error_codes"], [700213]);
        const upper = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT.toUpperCase(), aud: TOKEN_EXCHANGE_AUDIENCE }));
        assert.deepEqual(upper.body["error_codes"], [7002138]);
        const audience = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT, aud: "https://github.com/contoso" }));
        assert.deepEqual(audience.body["error_codes"], [700212]);
    });
    it("answers AADSTS70021 while a new credential replicates, then issues the token", async () => {
        const clientId = registered([{ ...credential(), replicatedAfter: 2 }]);
        const codes: unknown[] = [];
        for (let i = 0; i < 3; i++) {
            const answer = await post(clientId, issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE }));
            codes.push(answer.status === 200 ? 200 : (answer.body["error_codes"] as number[])[0]);
        }
        assert.deepEqual(codes, [70021, 70021, 200]);
    });
});

describe("a federated token from a file (--federated-token-file)", () => {
    it("signs in as the application of a stack without a certificate; the token goes as the client assertion and is never printed", async () => {
        const stack = deployFederated();
        const token = issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE });
        const r = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", scratchFile("token.jwt", `${token}\n`)]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(
            r.stdout,
            new RegExp(
                `^Checking app-only access for application ${stack.appId} .*signing in with federated credential github-reports$`,
                "m",
            ),
        );
        assert.match(
            row(r.stdout, "PASS", "federated token")[1],
            new RegExp(`^issuer ${issuer.url.replace(/[.]/g, "\\.")}, subject ${GITHUB_SUBJECT}, valid until \\d{4}-`),
        );
        assert.equal(
            row(r.stdout, "PASS", "federated credential")[1],
            `github-reports trusts this issuer and subject, audience ${TOKEN_EXCHANGE_AUDIENCE}`,
        );
        row(r.stdout, "PASS", "sign-in");
        row(r.stdout, "PASS", "Exchange.ManageAsApp");
        row(r.stdout, "PASS", "role Exchange Administrator");
        assert.match(r.stdout, /^VERIFIED: the federated token signs in as the application/m);
        assert.match(
            r.stdout,
            /^Exchange Online ran Get-OrganizationConfig for contoso\.onmicrosoft\.com: Connect-ExchangeOnline -AccessToken with a token obtained this way \(module 3\.1\.0 or later\) works now\.$/m,
        );
        assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token));

        const requests = requestsOf(stack.appId);
        assert.equal(requests.length, 1);
        assert.equal(requests[0].status, 200, "the endpoint accepted the token's signature, issuer, subject and audience");
        assert.equal(requests[0].form["grant_type"], "client_credentials");
        assert.equal(requests[0].form["client_assertion_type"], JWT_BEARER);
        assert.equal(requests[0].form["client_assertion"], token);
        assert.equal(requests[0].form["scope"], `${EXCHANGE_ONLINE}/.default`);

        const json = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", "-", "--json"], { input: `${token}\n` });
        assert.equal(json.code, 0, json.stdout + json.stderr);
        const report = JSON.parse(json.stdout) as Record<string, unknown>;
        assert.equal(report["mode"], "federated");
        assert.equal(report["thumbprint"], null);
        assert.deepEqual(report["federatedCredential"], {
            name: "github-reports",
            issuer: issuer.url,
            subject: GITHUB_SUBJECT,
            audience: TOKEN_EXCHANGE_AUDIENCE,
        });
    });
    it("a token no credential of the stack trusts: exit code 1 before Entra is asked, naming the token's issuer and subject", async () => {
        const stack = deployFederated();
        const sub = "repo:contoso/exchange-reports:ref:refs/heads/main";
        const r = await withToken(stack.outputsFile, { sub, aud: TOKEN_EXCHANGE_AUDIENCE });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        row(r.stdout, "PASS", "federated token");
        row(r.stdout, "FAIL", "federated credential");
        row(r.stdout, "SKIP", "sign-in");
        assert.match(
            r.stdout,
            new RegExp(
                `^MISCONFIGURED: No federated credential of the stack trusts issuer ${issuer.url.replace(/[.]/g, "\\.")} with subject ${sub}\\.`,
                "m",
            ),
        );
        assert.match(r.stdout, new RegExp(`Why: .*The stack has: github-reports \\(issuer .*, subject ${GITHUB_SUBJECT}\\)`));
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a token for another audience, and an expired token: exit code 1, nothing sent", async () => {
        const stack = deployFederated();
        const audience = await withToken(stack.outputsFile, { sub: GITHUB_SUBJECT, aud: "https://github.com/contoso" });
        assert.equal(audience.code, 1, audience.stdout);
        assert.match(
            row(audience.stdout, "FAIL", "federated credential")[1],
            /github-reports expects audience api:\/\/AzureADTokenExchange, the token has https:\/\/github\.com\/contoso/,
        );
        assert.match(audience.stdout, /^MISCONFIGURED: The federated token is for audience https:\/\/github\.com\/contoso/m);
        const expired = await withToken(stack.outputsFile, { sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, expiresIn: -60 });
        assert.equal(expired.code, 1, expired.stdout);
        assert.match(row(expired.stdout, "FAIL", "federated token")[1], /expired \d{4}-/);
        assert.match(expired.stdout, /^MISCONFIGURED: The federated token expired /m);
        assert.match(expired.stdout, /Fix: .*--federated/);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a credential Entra does not have yet (AADSTS70021) is tried again until it replicates", async () => {
        const credentials = [{ name: "github-reports", issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE }];
        const stack = deployFederated({ credentials, registered: [{ ...credentials[0], replicatedAfter: 2 }] });
        const token = issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE });
        const r = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", scratchFile("t", token)], { maxWait: "20s" });
        const progress = passedOnThirdAttempt(r, stack.appId, 70021);
        assert.match(
            progress[0],
            new RegExp(
                `^attempt 1: Entra has no federated credential on application ${stack.appId} matching the token's issuer, subject and audience \\(issuer .*, subject ${GITHUB_SUBJECT}\\) \\(AADSTS70021\\)\\. Trying again in 20ms`,
            ),
        );
        // The file's one token, sent on every attempt.
        assert.deepEqual(new Set(requestsOf(stack.appId).map((q) => q.form["client_assertion"])), new Set([token]));
    });
    it("a credential Entra never gets: not yet propagated when --max-wait runs out, and what else it could be", async () => {
        const stack = deployFederated({ registered: [] });
        const r = await run(
            [
                "--outputs-file",
                stack.outputsFile,
                "--federated-token-file",
                scratchFile("t", issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE })),
            ],
            { maxWait: "300ms" },
        );
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.ok(requestsOf(stack.appId).every((q) => q.aadsts === 700211));
        assert.match(
            r.stdout,
            /^NOT YET PROPAGATED: Entra has no federated credential .* matching the token's issuer .*\(AADSTS700211\)\. Waited/m,
        );
        assert.match(
            r.stdout,
            /Why: The stack's credential github-reports matches the token, so Entra has not caught up: .*changed or removed outside Pulumi/,
        );
        assert.match(r.stdout, /Fix: .*Federated credentials/);
    });
    it("a token that expires while verify waits: Entra's AADSTS700024, explained as an expired federated token", async () => {
        const credentials = [{ name: "github-reports", issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE }];
        // Entra already knows another credential of this issuer, so it checks the token's time range before the subject.
        const stack = deployFederated({
            credentials,
            registered: [
                { ...credentials[0], subject: "repo:contoso/exchange-reports:environment:staging" },
                { ...credentials[0], replicatedAfter: 1_000 },
            ],
            skewSeconds: 0,
        });
        // Valid for one to two seconds (whole seconds): the first requests are made while it is.
        const token = issuer.sign({ sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, expiresIn: 2 });
        const r = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", scratchFile("t", token)], { maxWait: "20s" });
        assert.equal(r.code, 1, r.stdout + r.stderr);
        const codes = requestsOf(stack.appId).map((q) => q.aadsts);
        assert.equal(codes.at(-1), 700024);
        assert.ok(codes.length >= 2 && codes.slice(0, -1).every((c) => c === 70021), String(codes));
        assert.match(r.stdout, /^MISCONFIGURED: Entra says the federated token is outside its valid time range \(AADSTS700024\)\./m);
        assert.match(r.stdout, /Fix: .*pass --federated instead of a file/);
    });
    it("a file verify cannot use: one line naming it, exit code 2, nothing sent and nothing of it printed", async () => {
        const stack = deployFederated();
        const flag = (file: string) => ["--outputs-file", stack.outputsFile, "--federated-token-file", file];
        assertOneLineError(
            await run(flag(scratchFile("empty.jwt", "\n"))),
            /--federated-token-file \S+empty\.jwt is empty; expected the workload's token \(a JWT\)/,
        );
        assertOneLineError(
            await run(flag("/dev/zero")),
            /--federated-token-file \/dev\/zero: --federated-token-file is larger than 64 KiB/,
        );
        assertOneLineError(await run(flag(tempDir("token-dir-"))), /--federated-token-file \S+ is a directory, not a file/);
        const notJwt = `client_secret=Zk9~${crypto.randomBytes(12).toString("hex")}`;
        const text = await run(flag(scratchFile("secret.txt", notJwt)));
        assertOneLineError(text, /--federated-token-file \S+secret\.txt is not a JWT \(three base64url parts separated by dots\)/);
        assert.ok(!text.stderr.includes(notJwt.slice(14)), "the file's content was printed");
        const noSubject = signJwt(
            { alg: "RS256" },
            { iss: issuer.url, aud: TOKEN_EXCHANGE_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 },
            crypto.createPrivateKey(sharedCertificate().keyPem),
            "RS256",
        );
        planted.push(noSubject);
        assertOneLineError(await run(flag(scratchFile("t", noSubject))), /has no sub \(subject\) claim/);
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a refusal echoing the token's header and payload alone, in a shape no pattern knows: neither is printed", async () => {
        // JSON written with spaces, as some issuers' libraries do: its segments start "eyAi" and "ewog", not "eyJ".
        const header = Buffer.from('{ "alg": "RS256", "typ": "JWT" }').toString("base64url");
        const claims = { iss: issuer.url, sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 };
        const payload = Buffer.from(JSON.stringify(claims, null, 1)).toString("base64url");
        const signature = crypto.sign("sha256", Buffer.from(`${header}.${payload}`), crypto.createPrivateKey(sharedCertificate().keyPem));
        const token = `${header}.${payload}.${signature.toString("base64url")}`;
        planted.push(token);
        const echo = (_n: number, form: Readonly<Record<string, string>>): RawAnswer => {
            const [h, p] = (form["client_assertion"] ?? "").split(".");
            return {
                status: 401,
                body: {
                    error: `invalid_client ${p}`,
                    error_description: `AADSTS7000215: header ${h} payload=${p}`,
                    error_codes: [7000215],
                },
            };
        };
        const stack = deployFederated({ answer: echo });
        const file = scratchFile("t", token);
        const text = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", file]);
        assert.equal(text.code, 1, text.stdout + text.stderr);
        assert.equal(
            row(text.stdout, "FAIL", "sign-in")[1],
            "AADSTS7000215: header [client assertion redacted] payload=[client assertion redacted]",
        );
        const json = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", file, "--json"]);
        assert.equal(json.code, 1, json.stdout + json.stderr);
        for (const out of [text.stdout, json.stdout]) {
            assert.ok(!out.includes(header) && !out.includes(payload), "a segment of the token was printed");
        }
        assert.equal(requestsOf(stack.appId).filter((q) => q.form["client_assertion"] === token).length, 2, "the answers did echo it");
    });
    it("a token whose expiry is not a time (exp 1e300, negative, past year 9999): one line, exit code 2, nothing sent", async () => {
        const stack = deployFederated();
        const key = crypto.createPrivateKey(sharedCertificate().keyPem);
        for (const exp of [1e300, -1, 253_402_300_800]) {
            const token = signJwt(
                { alg: "RS256" },
                { iss: issuer.url, sub: GITHUB_SUBJECT, aud: TOKEN_EXCHANGE_AUDIENCE, exp },
                key,
                "RS256",
            );
            planted.push(token);
            const r = await run(["--outputs-file", stack.outputsFile, "--federated-token-file", scratchFile("t", token)]);
            assertOneLineError(
                r,
                /--federated-token-file \S+ has an exp \(expiry\) claim that is not a time: it must be seconds since 1970-01-01T00:00:00Z, at most 253402300799 \(9999-12-31T23:59:59Z\); expected the workload's token \(a JWT\)$/,
            );
            assert.doesNotMatch(r.stderr, /e\+300|253402300800|-1\b/, "the raw value is not printed");
        }
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a hostile subject in the token is shown escaped", async () => {
        const stack = deployFederated();
        const r = await withToken(stack.outputsFile, { sub: "repo:x\u001b[2J\u202e:VERIFIED", aud: TOKEN_EXCHANGE_AUDIENCE });
        assert.equal(r.code, 1, r.stdout);
        assert.match(row(r.stdout, "PASS", "federated token")[1], /subject repo:x\\u\{1b\}\[2J\\u\{202e\}:VERIFIED/);
    });
});

describe("a federated token from GitHub Actions (--federated)", () => {
    it("asks GitHub's endpoint with the credential's audience, then signs in with that token, in the stack's cloud", async () => {
        const stack = deployFederated({
            cloud: "gcc-high",
            credentials: [
                { name: "github-reports", issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE_US_GOV },
            ],
        });
        const before = gitHubRequests().length;
        const r = await run(["--outputs-file", stack.outputsFile, "--federated"], { env: gitHubEnv() });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, /^Checking app-only access .*, GCC High cloud, signing in with federated credential github-reports$/m);
        const asked = gitHubRequests().slice(before);
        assert.equal(asked.length, 1);
        assert.equal(asked[0].query["audience"], TOKEN_EXCHANGE_AUDIENCE_US_GOV);
        assert.equal(asked[0].query["api-version"], "2.0", "the request URL's own query is kept");
        assert.equal(asked[0].authorization, `Bearer ${issuer.gitHub.requestToken}`);
        const posted = requestsOf(stack.appId);
        assert.equal(posted.length, 1);
        assert.equal(posted[0].form["client_assertion"], issuer.issued.at(-1));
        assert.equal(posted[0].form["scope"], `${EXCHANGE_ONLINE_GCC_HIGH}/.default`);
        assert.equal(row(r.stdout, "PASS", "audience")[1], EXCHANGE_ONLINE_GCC_HIGH);
    });
    it("asks for a fresh token on every attempt", async () => {
        const credentials = [{ name: "github-reports", issuer: issuer.url, subject: GITHUB_SUBJECT, audience: TOKEN_EXCHANGE_AUDIENCE }];
        const stack = deployFederated({ credentials, registered: [{ ...credentials[0], replicatedAfter: 2 }] });
        const before = gitHubRequests().length;
        const r = await run(["--outputs-file", stack.outputsFile, "--federated"], { env: gitHubEnv(), maxWait: "20s" });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.equal(gitHubRequests().length - before, 3);
        const assertions = requestsOf(stack.appId).map((q) => q.form["client_assertion"]);
        assert.equal(new Set(assertions).size, 3);
    });
    it("a certificate stack in a GitHub Actions job still signs in with its certificate", async () => {
        const stack = deploy();
        const before = gitHubRequests().length;
        const r = await run(["--outputs-file", stack.outputsFile], { env: gitHubEnv() });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        row(r.stdout, "PASS", "certificate");
        assert.equal(gitHubRequests().length, before, "GitHub was asked for a token");
        assert.equal(payloadOf(requestsOf(stack.appId)[0].form["client_assertion"])["iss"], stack.appId);
    });
    it("outside GitHub Actions, or with a request URL that is not https: one line, exit code 2, nothing sent", async () => {
        const stack = deployFederated();
        assertOneLineError(
            await run(["--outputs-file", stack.outputsFile, "--federated"]),
            /--federated asks GitHub Actions for the workload's token, but ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not both set: give the job `permissions: id-token: write`/,
        );
        const from = identity.received.length;
        const http = await run(["--outputs-file", stack.outputsFile, "--federated"], {
            env: { ...gitHubEnv(), ACTIONS_ID_TOKEN_REQUEST_URL: `${identity.imdsHost}/idtoken?api-version=2.0` },
        });
        assertOneLineError(http, /ACTIONS_ID_TOKEN_REQUEST_URL must be an https URL/);
        assert.equal(identity.received.length, from, "the request token went over http");
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a redirect from GitHub's endpoint is not followed: the request token goes nowhere else (exit code 4)", async () => {
        const stack = deployFederated();
        issuer.gitHubAnswer = () => ({ status: 307, headers: { location: `${endpoint.elsewhere.origin}/idtoken` }, body: "" });
        let r: VerifyRun;
        try {
            r = await run(["--outputs-file", stack.outputsFile, "--federated"], { env: gitHubEnv(), maxWait: "20s" });
        } finally {
            issuer.gitHubAnswer = undefined;
        }
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.equal(endpoint.elsewhere.received.length, 0);
        assert.match(
            r.stdout,
            new RegExp(
                `^COULD NOT CHECK: Could not reach GitHub's OIDC endpoint at ${issuer.url.replace(/[.]/g, "\\.")}: unexpected answer: a redirect \\(HTTP 307`,
                "m",
            ),
        );
        row(r.stdout, "FAIL", "federated token");
        assert.equal(requestsOf(stack.appId).length, 0);
    });
    it("a refusal that echoes the request token shows it redacted and its escapes escaped", async () => {
        const stack = deployFederated();
        issuer.gitHubAnswer = () => ({
            status: 403,
            body: { message: `Token ${issuer.gitHub.requestToken} may not \u001b[2Jrequest id tokens` },
        });
        let r: VerifyRun;
        try {
            r = await run(["--outputs-file", stack.outputsFile, "--federated"], { env: gitHubEnv() });
        } finally {
            issuer.gitHubAnswer = undefined;
        }
        assert.equal(r.code, 4, r.stdout + r.stderr);
        assert.match(
            r.stdout,
            /GitHub's OIDC endpoint answered HTTP 403: Token \[secret redacted\] may not \\u\{1b\}\[2Jrequest id tokens/,
        );
    });
});

describeNothingSecretPrinted({ runs: 26, tokens: 24, assertions: 18 });
