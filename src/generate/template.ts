/**
 * The smallest safe templating: `{{name}}` is replaced by the JSON text of `vars[name]` (a quoted,
 * escaped string, a number, an array or an object). JSON is valid in both JSON and YAML (flow style),
 * so a value can never break out of its place in either kind of file. Whitespace inside the braces is
 * allowed; an unknown name, or a variable the template never uses, is a programming error and throws.
 */
export type TemplateValue = string | number | boolean | null | TemplateValue[] | { [key: string]: TemplateValue };

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

export function renderTemplate(template: string, vars: Record<string, TemplateValue>): string {
  const used = new Set<string>();
  const out = template.replace(PLACEHOLDER, (_m, name: string) => {
    if (!Object.hasOwn(vars, name)) throw new Error(`template variable {{${name}}} has no value`);
    used.add(name);
    return JSON.stringify(vars[name]);
  });
  const unused = Object.keys(vars).filter((k) => !used.has(k));
  if (unused.length) throw new Error(`template does not use ${unused.map((u) => `{{${u}}}`).join(', ')}`);
  return out;
}

/** The placeholder names a template uses, in first-use order. */
export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}
