// Loads Kubernetes objects from multi-document YAML files ("-" is stdin).
// Every document is parsed strictly (duplicate keys and YAML errors are
// reported with file:line:col); empty documents are dropped. Each object
// carries where it came from, for messages.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

export function loadObjects(file) {
  const text = readFileSync(file === "-" ? 0 : file, "utf8");
  const errors = [];
  const objects = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true })) {
    for (const e of [...doc.errors, ...doc.warnings]) {
      errors.push(`${file}: ${e.message}`);
    }
    if (doc.errors.length) continue;
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    const line = text.slice(0, doc.range[0]).split("\n").length;
    objects.push({ value, where: `${file}:${line}` });
  }
  return { objects, errors };
}

// "Kind/name" for messages.
export function describe(obj) {
  return `${obj?.kind ?? "<no kind>"}/${obj?.metadata?.name ?? "<no name>"}`;
}
