// Enough of IAM's policy evaluation to apply examples/iam/*.json in the test
// KMS server: Allow/Deny statements, Principal, Action (with *), and the
// StringEquals and Null conditions on kms:EncryptionContext:*. An explicit Deny
// wins; otherwise some Allow must match.
import type { PolicyRequest } from '../kms-server/server.js';

interface Statement {
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | { AWS?: string | string[] };
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(value);

function conditionHolds(condition: Statement['Condition'], context: Record<string, string>): boolean {
  for (const [operator, tests] of Object.entries(condition ?? {})) {
    for (const [key, expected] of Object.entries(tests)) {
      const contextKey = key.replace(/^kms:EncryptionContext:/, '');
      const actual = context[contextKey];
      if (operator === 'StringEquals' && !(actual !== undefined && list(expected).includes(actual))) return false;
      if (operator === 'Null' && String(actual === undefined) !== String(list(expected)[0])) return false;
      if (operator !== 'StringEquals' && operator !== 'Null') throw new Error(`condition operator ${operator} is not modelled`);
    }
  }
  return true;
}

export function policyAllows(statements: Statement[], request: { principal: string; action: string; context: Record<string, string> }): boolean {
  const matching = statements.filter((s) => {
    const principals = s.Principal === '*' || s.Principal === undefined ? ['*'] : list(s.Principal.AWS);
    return (
      principals.some((p) => p === '*' || p === request.principal) &&
      list(s.Action).some((a) => glob(a, request.action)) &&
      conditionHolds(s.Condition, request.context)
    );
  });
  if (matching.some((s) => s.Effect === 'Deny')) return false;
  return matching.some((s) => s.Effect === 'Allow');
}

/** The test server's policy hook for a key policy; access key ids stand for role names. */
export function keyPolicyHook(policy: { Statement: Statement[] }, account = '111122223333'): (req: PolicyRequest) => boolean {
  return (req) =>
    policyAllows(policy.Statement, {
      principal: `arn:aws:iam::${account}:role/${req.principal}`,
      action: `kms:${req.op}`,
      context: req.encryptionContext,
    });
}
