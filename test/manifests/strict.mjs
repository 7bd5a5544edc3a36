// Strict field check: the JSON schemas in kubernetes-models allow unknown
// properties (as the API server's pruning would silently drop them), so a
// typo like `readonly: true` for `readOnly` passes schema validation. The
// same package ships TypeScript interfaces for every model; an object
// literal assigned to its interface gets TypeScript's excess-property and
// literal-type checks, recursively. strictCheck() writes each object as such
// an assignment and type-checks them all in one compiler run.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));

// objects: [{ value, module }] where module is the model's import path.
// Returns one array of messages per object (empty when it passed).
export function strictCheck(objects) {
  const dir = mkdtempSync(join(tmpdir(), "vgpu-strict-"));
  try {
    symlinkSync(join(here, "node_modules"), join(dir, "node_modules"));
    const lines = [];
    objects.forEach(({ value, module }, i) => {
      lines.push(`import type { I${value.kind} as T${i} } from ${JSON.stringify(module)};`);
    });
    const first = lines.length;
    objects.forEach(({ value }, i) => {
      lines.push(`export const o${i}: T${i} = ${JSON.stringify(value)};`);
    });
    const file = join(dir, "objects.ts");
    writeFileSync(file, lines.join("\n") + "\n");
    const program = ts.createProgram([file], {
      noEmit: true, strict: true, skipLibCheck: true, types: [],
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
    });
    const errors = objects.map(() => []);
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
      if (!d.file || d.file.fileName !== file) {
        errors.forEach((e) => e.push(`typescript: ${text}`));
        continue;
      }
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const index = line < first ? line : line - first;
      const where = line < first ? "import" : pathAt(d.file.text, d.start);
      errors[index].push(`${where}: ${text.replace(/\.\.\. \d+ more \.\.\.;? ?/g, "")}`);
    }
    return errors;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The JSON path of the object holding the property at `pos` in its
// generated line, e.g. spec.template.spec.containers[0].volumeMounts[1].
function pathAt(text, pos) {
  const start = text.lastIndexOf("\n", pos) + 1;
  const json = text.slice(text.indexOf("= ", start) + 2, pos);
  const stack = [];
  let key = null;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === "\\" ? 2 : 1;
      const s = JSON.parse(json.slice(i, j + 1));
      if (json[j + 1] === ":") key = s;
      i = j;
    } else if (c === "{") {
      stack.push({ key, index: null });
      key = null;
    } else if (c === "[") {
      stack.push({ key, index: 0 });
      key = null;
    } else if (c === ",") {
      key = null;
      if (stack.length && stack.at(-1).index !== null) stack.at(-1).index++;
    } else if (c === "}" || c === "]") {
      stack.pop();
    }
  }
  let path = "";
  for (const { key: k, index } of stack.slice(1)) {
    if (k !== null) path += (path ? "." : "") + k;
    if (index !== null) path += `[${index}]`;
  }
  return path || "<top level>";
}
