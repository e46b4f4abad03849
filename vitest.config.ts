import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/*/test/**/*.test.ts", "docs/test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // CI also writes a JSON report so .ci/run can print "N passed, M failed".
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".vitest-report.json" },
  },
});
