/**
 * The benchmark's floor: loads the three packages every program here loads, as the program loads them
 * (@pulumi/pulumi as an ES module import, the providers through require), and registers nothing. What a
 * native evaluation costs before any resource: neither the program nor bench/minimal can go below it.
 */
import * as pulumi from "@pulumi/pulumi";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
require("@pulumi/azuread");
require("@pulumi/tls");

export default { project: pulumi.getProject() };
