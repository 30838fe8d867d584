import { loadSettings } from "./components/config.ts";
import { ExchangeAppOnlyAccess } from "./components/exchangeAppOnlyAccess.ts";
import type { CloudName } from "./components/clouds.ts";
import type { HomeModule } from "./components/outputs.ts";
import { createRequire } from "node:module";

const settings = loadSettings(new Date());
// A customer stack reads its home stack first, so that a home it cannot use stops the run before anything else
// is registered. components/home.ts is required by customer stacks only, and typed by its signature, so that
// neither loading nor type-checking any other stack reads it.
const homeApplication =
    settings.home === undefined
        ? undefined
        : await (createRequire(import.meta.url)("./components/home.ts") as HomeModule).readHome(settings.home, settings.cloud as CloudName);
const access = new ExchangeAppOnlyAccess("exo", { ...settings, homeApplication });

// Every output the component has (components/outputs.ts), as the module's one default export: Pulumi reads
// a sole default export of an ES module as the stack's outputs (@pulumi/pulumi cmd/run/run.ts). Outputs
// that exist in some configurations only are left out when absent: exporting undefined would make Pulumi
// warn on every run.
export default Object.fromEntries(Object.entries(access.outputs).filter(([, value]) => value !== undefined));
