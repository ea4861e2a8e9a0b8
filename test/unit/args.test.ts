// The CLI's flag parser (functions/cli/args.ts): kubectl's conventions.
import { describe, expect, it } from 'vitest';
import { KmsecretError } from '../../functions/errors.js';
import { all, flag, one, parseArgs } from '../../functions/cli/args.js';

const specs = { namespace: { type: 'string', short: 'n' }, key: { type: 'string', repeat: true }, force: { type: 'boolean' } } as const;

describe('parseArgs', () => {
  it('takes --flag value, --flag=value, -n value, repeated flags, booleans and -- ', () => {
    const args = parseArgs(['NAME', '-n', 'team-a', '--key=a', '--key', 'b', '--force', '--', '--not-a-flag'], specs, 'create');
    expect(args.positional).toEqual(['NAME', '--not-a-flag']);
    expect(one(args, 'namespace')).toBe('team-a');
    expect(all(args, 'key')).toEqual(['a', 'b']);
    expect(flag(args, 'force')).toBe(true);
    expect(parseArgs(['-'], specs, 'x').positional).toEqual(['-']);
  });

  it.each([
    [['--nope'], /unknown flag --nope/],
    [['-n'], /-n needs a value/],
    [['-n', 'a', '-n', 'b'], /-n given twice/],
    [['--force=yes'], /--force takes no value/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv, specs, 'create')).toThrow(KmsecretError);
    expect(() => parseArgs(argv, specs, 'create')).toThrow(message);
  });
});
