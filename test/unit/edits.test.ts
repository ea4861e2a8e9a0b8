// Splicing an item's text and editing its AST must mean the same; the splice
// must leave every byte it does not touch.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { SourceItem } from '../../functions/krm/resource-list.js';
import { type Edit, editedText } from '../../functions/render/edits.js';

const token =
  'kmsecret:v2:aws:eyJrZXlJZCI6ImFybjphd3M6a21zOnVzLWVhc3QtMToxMTEx:QVFJQ0FIaEVYQU1QTEV3cmFwcGVkRGF0YUtleUZyb21LTVM:8PHy8_T19vf4-fr7EX85OMQdLMzTE77RdUDlAqPDMQ';
const styles = fc.record({
  indentSeq: fc.boolean(),
  flowEnv: fc.boolean(),
  annotations: fc.constantFrom('none', 'some', 'empty-flow'),
  quote: fc.constantFrom('PLAIN', 'QUOTE_SINGLE', 'QUOTE_DOUBLE') as fc.Arbitrary<'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE'>,
});
const text = fc.oneof(fc.string(), fc.constantFrom('0755', 'true', 'multi\nline', ' lead', '"q"', "it's", '- x', 'a: b', '#', ''));

function workload(
  style: { indentSeq: boolean; flowEnv: boolean; annotations: string; quote: 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE' },
  vars: number,
): string {
  const env = Array.from({ length: vars }, (_, i) => ({ name: `V${i}`, value: token.replace(/.$/, String(i)) }));
  const metadata: Record<string, unknown> = { name: 'web', namespace: 'team-a' };
  if (style.annotations === 'some') metadata.annotations = { owner: 'team-a' };
  const doc = { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx', env }] } } } };
  let out = stringify([doc], { indentSeq: style.indentSeq, defaultStringType: style.quote, defaultKeyType: 'PLAIN', lineWidth: 0 });
  if (style.flowEnv) out = out.replace(/- name: (\S+)\n(\s+)value: (\S+)/g, '- {name: $1, value: $3} # flow');
  if (style.annotations === 'empty-flow') out = out.replace('namespace: team-a', 'namespace: team-a\n    annotations: {}');
  return `# leading comment\n${out.replace(/^(- apiVersion: .*)$/m, '$1 # keep me')}`;
}

describe('edits', () => {
  it('splice and AST give the same resource, and the splice keeps the untouched lines', () => {
    fc.assert(
      fc.property(
        styles,
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.tuple(fc.constantFrom('secretRef', 'inline', 'rename'), text), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (style, vars, ops, annotate) => {
          const source = workload(style, vars);
          const envPath = (i: number) => ['spec', 'template', 'spec', 'containers', 0, 'env', i];
          const edits: Edit[] = ops
            .slice(0, vars)
            .flatMap(([op, value], i): Edit[] =>
              op === 'secretRef'
                ? [{ op: 'secretRef', entry: envPath(i), name: `web-env-${i}`, key: `app.V${i}` }]
                : op === 'inline'
                  ? [{ op: 'set', path: [...envPath(i), 'value'], value, quote: true }]
                  : [{ op: 'set', path: [...envPath(i), 'name'], value: `RENAMED_${i}`, quote: false }],
            );
          if (annotate) edits.push({ op: 'annotate', key: 'kmsecret.dev/placeholder', value: 'true' });
          const viaAst = editedText(new SourceItem(source, 0, true), edits, 'ast');
          let spliced: string;
          try {
            spliced = editedText(new SourceItem(source, 0, true), edits, 'splice');
          } catch {
            // Some layouts (an empty flow-style annotations map) are the AST's to do.
            return style.annotations === 'empty-flow' && annotate;
          }
          expect(parse(spliced)).toEqual(parse(viaAst));
          const kept = /^- apiVersion: .* # keep me$/m.exec(source)?.[0] as string;
          expect(spliced).toContain(kept);
          expect(spliced.startsWith('# leading comment\n')).toBe(true);
          return true;
        },
      ),
      { numRuns: 400 },
    );
  });
});
