import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseHostSpec } from '../../src/config/host-spec.js';
import { HostSpecError } from '../../src/errors.js';
import { assertMentions, catchError } from '../helpers/errors.js';

function specError(spec: string): HostSpecError {
  const error = catchError(() => parseHostSpec(spec), HostSpecError);
  assert.equal(error.code, 'LXDAPI_HOST_SPEC');
  assert.equal(error.spec, spec);
  return error;
}

describe('parseHostSpec', () => {
  describe('accepts', () => {
    const cases: [string, ReturnType<typeof parseHostSpec>][] = [
      ['web1', { spec: 'web1', family: undefined, remote: undefined, instance: 'web1' }],
      [
        'prod:web1',
        { spec: 'prod:web1', family: undefined, remote: 'prod', instance: 'web1' },
      ],
      [
        '@lxd_api/web1',
        { spec: '@lxd_api/web1', family: 'lxd', remote: undefined, instance: 'web1' },
      ],
      [
        '@lxd_api/prod:web1',
        { spec: '@lxd_api/prod:web1', family: 'lxd', remote: 'prod', instance: 'web1' },
      ],
      [
        '@incus_api/web1',
        { spec: '@incus_api/web1', family: 'incus', remote: undefined, instance: 'web1' },
      ],
      [
        '@incus_api/dev:db-2',
        { spec: '@incus_api/dev:db-2', family: 'incus', remote: 'dev', instance: 'db-2' },
      ],
    ];
    for (const [spec, expected] of cases) {
      it(`parses \`${spec}\` into its family, remote and instance`, () => {
        assert.deepEqual(parseHostSpec(spec), expected);
      });
    }

    it('keeps instance names with upper-case letters, as LXD allows them', () => {
      assert.equal(parseHostSpec('Web-01').instance, 'Web-01');
    });

    it('keeps an instance name of 63 characters, the longest hostname label', () => {
      const name = `a${'b'.repeat(62)}`;
      assert.equal(parseHostSpec(name).instance, name);
    });

    it('keeps a name with a leading digit, which LXD 5.18+ and Incus allow', () => {
      assert.equal(parseHostSpec('1web').instance, '1web');
    });

    it('keeps remote names with dots, hyphens and non-ASCII letters', () => {
      assert.equal(parseHostSpec('prod.eu-1:web').remote, 'prod.eu-1');
      assert.equal(parseHostSpec('zürich:web').remote, 'zürich');
    });

    it('reads the remote after a family prefix', () => {
      assert.equal(parseHostSpec('@lxd_api/local:c1').remote, 'local');
    });
  });

  describe('refuses', () => {
    it('an empty spec, and says what to write', () => {
      const error = specError('');
      assertMentions(error.message, [
        'is empty',
        '`<instance>`',
        '`<remote>:<instance>`',
      ]);
    });

    it('a lone colon, which names neither a remote nor an instance', () => {
      const error = specError(':');
      assertMentions(error.message, ['`:`', 'neither a remote nor an instance']);
    });

    it('a remote with no instance (`a:`), and shows where the instance goes', () => {
      const error = specError('a:');
      assertMentions(error.message, [
        '`a:`',
        'remote `a` but no instance',
        '`a:<instance>`',
      ]);
    });

    it('an empty remote (`:b`), and offers both ways to write it', () => {
      const error = specError(':b');
      assertMentions(error.message, ['`:b`', 'empty remote name', '`b`', '`<remote>:b`']);
    });

    it('two colons (`a:b:c`), counting them', () => {
      const error = specError('a:b:c');
      assertMentions(error.message, ['`a:b:c`', 'has 2 colons', '`<remote>:<instance>`']);
    });

    it('a family prefix with nothing after it (`@lxd_api/`)', () => {
      const error = specError('@lxd_api/');
      assertMentions(error.message, [
        '`@lxd_api/`',
        'no instance',
        '`@lxd_api/<instance>`',
      ]);
    });

    it('a prefixed remote with no instance (`@lxd_api/a:`), keeping the prefix', () => {
      const error = specError('@lxd_api/a:');
      assertMentions(error.message, [
        'remote `a` but no instance',
        '`@lxd_api/a:<instance>`',
      ]);
    });

    it('a prefixed empty remote (`@incus_api/:b`), keeping the prefix in the fix', () => {
      const error = specError('@incus_api/:b');
      assertMentions(error.message, ['`@incus_api/b`', '`@incus_api/<remote>:b`']);
    });

    it('an unknown family prefix (`@foo_api/x`), offering the two known ones', () => {
      const error = specError('@foo_api/x');
      assertMentions(error.message, ['`@foo_api/`', 'not a family prefix']);
      assertMentions(error.message, [
        '`@lxd_api/x`',
        '`@incus_api/x`',
        'drop the prefix',
      ]);
    });

    it('a family prefix written in capitals, since prefixes are lower-case', () => {
      assertMentions(specError('@LXD_API/x').message, [
        '`@LXD_API/`',
        'not a family prefix',
      ]);
    });

    it('an `@` with no `/` after the family', () => {
      const error = specError('@lxd_api');
      assertMentions(error.message, ['no `/` after the family', '`@lxd_api/<remote>:']);
    });

    it('non-ASCII letters in an instance name, naming the letter', () => {
      const error = specError('prod:wéb');
      assertMentions(error.message, ['`wéb`', '`prod:wéb`', 'contains `é`', 'ASCII']);
      assertMentions(error.message, ['`lxc list` or `incus list`']);
    });

    it('an emoji in an instance name, naming the whole character', () => {
      assertMentions(specError('web🚀').message, ['contains `🚀`']);
    });

    it('an instance name of 64 characters, giving the length and the limit', () => {
      const name = 'a'.repeat(64);
      const error = specError(name);
      assertMentions(error.message, [name, 'is 64 characters long', 'at most 63']);
    });

    it('an instance name made of digits only, as the servers do', () => {
      assertMentions(specError('1234').message, ['`1234`', 'is a number']);
    });

    it('an instance name starting with a hyphen', () => {
      assertMentions(specError('-web').message, ['`-web`', 'starts with `-`']);
    });

    it('an instance name ending with a hyphen', () => {
      assertMentions(specError('web-').message, ['`web-`', 'ends with `-`']);
    });

    it('a dot or an underscore in an instance name', () => {
      assertMentions(specError('web.example').message, ['contains `.`']);
      assertMentions(specError('web_1').message, ['contains `_`']);
    });

    it('a snapshot name, since a host spec names an instance', () => {
      assertMentions(specError('c1/snap0').message, ['contains `/`']);
    });

    it('whitespace around or inside an instance name, naming it', () => {
      assertMentions(specError(' web').message, ['a space']);
      assertMentions(specError('web\t').message, ['U+0009']);
      assertMentions(specError('prod:we b').message, ['a space']);
    });

    it('whitespace in a remote name, with the family-specific fix', () => {
      const error = specError('@incus_api/my remote:web');
      assertMentions(error.message, ['Remote name `my remote`', 'a space']);
      assertMentions(error.message, ['`incus remote rename`']);
    });

    it('a slash in a remote name', () => {
      const error = specError('@lxd_api/a/b:web');
      assertMentions(error.message, [
        'Remote name `a/b`',
        'contains `/`',
        '`lxc remote rename`',
      ]);
    });

    it('a control character in a remote name, by code point', () => {
      assertMentions(specError('a\u0000b:web').message, ['U+0000']);
    });

    it('with the instance named in the message for a prefixed spec', () => {
      const error = specError('@lxd_api/prod:-web');
      assertMentions(error.message, ['`-web`', '`@lxd_api/prod:-web`', '`lxc list`']);
      assert.ok(!error.message.includes('incus list'));
    });
  });
});
