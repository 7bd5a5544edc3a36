// dockerfile-lint.mjs DOCKERFILE: lints a Dockerfile with dockerfile-utils
// (the validator behind the Docker language server), every rule an error:
// bad arguments, wrong casing, MAINTAINER, relative WORKDIR, several
// ENTRYPOINT/CMD, JSON in single quotes, empty continuation lines.
import { readFileSync } from "node:fs";
import { validate, ValidationSeverity } from "dockerfile-utils";

const file = process.argv[2];
const error = ValidationSeverity.ERROR;
const diagnostics = validate(readFileSync(file, "utf8"), {
  deprecatedMaintainer: error,
  directiveCasing: error,
  emptyContinuationLine: error,
  instructionCasing: error,
  instructionCmdMultiple: error,
  instructionEntrypointMultiple: error,
  instructionHealthcheckMultiple: error,
  instructionJSONInSingleQuotes: error,
  instructionWorkdirRelative: error,
});
for (const d of diagnostics) {
  console.error(`${file}:${d.range.start.line + 1}: ${d.message}`);
}
console.log(`dockerfile-lint: ${file}: ${diagnostics.length} problem(s)`);
process.exitCode = diagnostics.length ? 1 : 0;
