// values-comments.mjs VALUES: every key of the chart's values.yaml must
// have a comment right above it (or be the first key of a commented map).
// Free-form maps and lists (labels, annotations, selectors, tolerations,
// affinity, resource quantities) are data, not settings: their entries are
// not checked.
import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, parseDocument } from "yaml";

const FREE_FORM = new Set([
  "nodeSelector", "tolerations", "affinity", "labels", "annotations", "podLabels",
  "podAnnotations", "overhead", "requests", "limits", "rules",
]);

const file = process.argv[2];
const text = readFileSync(file, "utf8");
const doc = parseDocument(text);
const missing = [];

function lineOf(node) {
  return text.slice(0, node.range[0]).split("\n").length;
}

function walk(map, path, parentCommented) {
  map.items.forEach((pair, i) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : "?";
    const commented = Boolean(pair.key.commentBefore) || (i === 0 && parentCommented);
    if (!commented) missing.push(`${file}:${lineOf(pair.key)}: ${[...path, key].join(".")}`);
    if (FREE_FORM.has(key)) return;
    if (isMap(pair.value)) walk(pair.value, [...path, key], Boolean(pair.value.commentBefore));
    if (isSeq(pair.value) && pair.value.items.some(isMap)) {
      missing.push(`${file}:${lineOf(pair.key)}: ${[...path, key].join(".")} holds maps; add it to FREE_FORM or document each`);
    }
  });
}

walk(doc.contents, [], Boolean(doc.commentBefore));
for (const m of missing) console.error(`uncommented key ${m}`);
console.log(`values-comments: ${file}: ${missing.length} uncommented key(s)`);
process.exitCode = missing.length ? 1 : 0;
