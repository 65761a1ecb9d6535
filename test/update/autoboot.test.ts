import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bootPartitions, withBootPartitions } from '../../firmware/update/autoboot.js';
import { compareVersions } from '../../firmware/update/version-compare.js';

describe('autoboot.txt and versions', { timeout: 10_000 }, () => {
  it('reads [all] and [tryboot] boot_partition and rewrites only those two lines', () => {
    const text = '# written by build-image\n[all]\ntryboot_a_b=1\nboot_partition=2\n\n[tryboot]\nboot_partition=3\n[none]\nboot_partition=9\n';
    assert.deepEqual(bootPartitions(text), { all: 2, tryboot: 3 });
    const committed = withBootPartitions(text, 3, 2);
    assert.equal(committed, '# written by build-image\n[all]\ntryboot_a_b=1\nboot_partition=3\n\n[tryboot]\nboot_partition=2\n[none]\nboot_partition=9\n');
    assert.deepEqual(bootPartitions(committed), { all: 3, tryboot: 2 });
    assert.deepEqual(bootPartitions('boot_partition=3\r\n'), { all: 3 }, 'lines before any section are [all]');
    assert.throws(() => withBootPartitions('[all]\nboot_partition=2\n', 3, 2), /lacks boot_partition in \[all\] or \[tryboot\]/);
  });

  it('orders versions by semver precedence', () => {
    const sorted = ['0.1.0', '0.1.1', '0.2.0-rc.1', '0.2.0-rc.2', '0.2.0-rc.10', '0.2.0', '0.10.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-beta', '1.0.0'];
    for (let i = 1; i < sorted.length; i++) assert.ok(compareVersions(sorted[i - 1]!, sorted[i]!) < 0, `${sorted[i - 1]} < ${sorted[i]}`);
    assert.equal(compareVersions('1.2.3+build.5', '1.2.3'), 0, 'build metadata does not count');
    assert.throws(() => compareVersions('1.2', '1.2.0'), /'1\.2' is not a version/);
  });
});
