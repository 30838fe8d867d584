/**
 * Entry point the Pulumi CLI loads for `--policy-pack policy`: serves the exo-cba policies to the engine.
 */
import { PolicyPack } from "@pulumi/policy";
import { createPolicies } from "./policies.ts";

new PolicyPack("exo-cba", {
    description:
        "Guards the promises of exo-cba: no Global Administrator unless allowed, RSA of at least 2048 bits, credentials within their certificate, only Exchange.ManageAsApp on Exchange Online, bounded self-signed validity, and an expiry warning.",
    policies: createPolicies(),
});
