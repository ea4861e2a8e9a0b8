// Building ResourceLists and plain values for tests.
import { parse, stringify } from 'yaml';

/** Items as YAML texts (each one resource) → a ResourceList the way kpt writes one. */
export function resourceList(items: string[], functionConfig?: string): string {
  const body = items.length === 0 ? 'items: []\n' : `items:\n${items.map((t) => indentItem(t)).join('')}`;
  const fc = functionConfig ? `functionConfig:\n${functionConfig.trimEnd().replace(/^/gm, '  ')}\n` : '';
  return `apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n${body}${fc}`;
}

export function indentItem(text: string): string {
  return `${text
    .trimEnd()
    .split('\n')
    .map((line, i) => (i === 0 ? `- ${line}` : line === '' ? '' : `  ${line}`))
    .join('\n')}\n`;
}

export interface ListValue {
  items: Array<Record<string, any>>;
  results?: Array<Record<string, any>>;
}

export function parseList(text: string): ListValue {
  return parse(text) as ListValue;
}

export function yaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

export function decodeData(secret: Record<string, any>): Record<string, string> {
  return Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}
