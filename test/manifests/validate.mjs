// validate.mjs FILE... : validates every object in the YAML files ("-" is
// stdin) against the Kubernetes OpenAPI schemas shipped by the npm package
// kubernetes-models (and @kubernetes-models/prometheus-operator for the
// monitoring.coreos.com CRDs). The model class is picked by apiVersion and
// kind; an object whose apiVersion/kind has no model is an error, never
// skipped. The schemas tolerate unknown fields, so every object is also
// checked against the models' TypeScript interfaces (strict.mjs), which
// reject unknown fields and values outside an enum. Prints one line per
// object; exits 1 if anything failed.
import { describe, loadObjects } from "./load.mjs";
import { strictCheck } from "./strict.mjs";

// apiVersion group -> package that models it.
const PACKAGES = {
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

function modulePath(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const pkg = PACKAGES[group] ?? "kubernetes-models";
  return `${pkg}/${apiVersion}/${kind}`;
}

async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" ||
      !/^[A-Za-z0-9./-]+$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    throw new Error(`bad apiVersion/kind ${JSON.stringify(apiVersion)}/${JSON.stringify(kind)}`);
  }
  const path = modulePath(apiVersion, kind);
  let mod;
  try {
    mod = await import(path);
  } catch {
    throw new Error(`no schema model for ${apiVersion} ${kind} (looked for ${path})`);
  }
  const Model = mod[kind] ?? mod.default;
  if (typeof Model !== "function") throw new Error(`${path} exports no ${kind} class`);
  return Model;
}

// Schema-validates one object; returns the model's import path.
async function validateObject(obj) {
  const Model = await modelFor(obj.apiVersion, obj.kind);
  if (!obj.metadata?.name) throw new Error("metadata.name is missing");
  new Model(obj).validate();
  return modulePath(obj.apiVersion, obj.kind);
}

async function main(files) {
  if (!files.length) {
    console.error("usage: node validate.mjs FILE... ('-' for stdin)");
    return 2;
  }
  let failed = 0;
  const valid = [];
  for (const file of files) {
    const { objects, errors } = loadObjects(file);
    for (const e of errors) console.error(`FAIL ${e}`);
    failed += errors.length;
    if (!objects.length && !errors.length) {
      console.error(`FAIL ${file}: no objects`);
      failed++;
    }
    for (const { value, where } of objects) {
      try {
        valid.push({ value, where, module: await validateObject(value) });
      } catch (e) {
        failed++;
        console.error(`FAIL ${where} ${describe(value)}: ${e.message}`);
      }
    }
  }
  const strictErrors = strictCheck(valid);
  let passed = 0;
  valid.forEach(({ value, where }, i) => {
    if (strictErrors[i].length) {
      failed++;
      for (const e of strictErrors[i]) console.error(`FAIL ${where} ${describe(value)}: ${e}`);
    } else {
      passed++;
      console.log(`ok   ${where} ${value.apiVersion} ${describe(value)}`);
    }
  });
  console.log(`validate: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
