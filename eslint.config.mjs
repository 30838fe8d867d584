// ESLint for the whole repository: typescript-eslint's type-aware rules (the program, tools, tests,
// policy pack and benchmark share the root tsconfig) plus Pulumi's rules. Formatting is Prettier's job.
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
    globalIgnores(["node_modules/", ".node/", ".tmp/", "tests/fixtures/", "tests/snapshots/"]),
    {
        files: ["**/*.{ts,mts,cts}"],
        extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        plugins: { "@pulumi": pulumi },
        rules: {
            // An Output in a template literal prints "Calling [toString] on an Output<T> is not supported".
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
            // Node's type stripping erases `import type` and `type` specifiers only: a type imported as a
            // value makes the ESM loader look for an export that does not exist.
            "@typescript-eslint/consistent-type-imports": ["error", { prefer: "type-imports", fixStyle: "inline-type-imports" }],
            "@typescript-eslint/no-unused-vars": [
                "error",
                {
                    argsIgnorePattern: "^_",
                    varsIgnorePattern: "^_",
                    caughtErrorsIgnorePattern: "^_",
                    destructuredArrayIgnorePattern: "^_",
                    ignoreRestSiblings: true,
                },
            ],
            // node:test's describe/it return promises the runner itself awaits.
            "@typescript-eslint/no-floating-promises": [
                "error",
                { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite"] }] },
            ],
            // A new union member (a role, an expiry state) must not fall through a switch unnoticed.
            "@typescript-eslint/switch-exhaustiveness-check": "error",
            // `return promise` inside try skips the catch when the promise rejects.
            "@typescript-eslint/return-await": ["error", "in-try-catch"],
            eqeqeq: ["error", "smart"],
        },
    },
    {
        files: ["**/*.{js,mjs,cjs}"],
        extends: [js.configs.recommended],
        languageOptions: {
            globals: { process: "readonly", console: "readonly", require: "readonly", module: "writable", __dirname: "readonly" },
        },
    },
);
