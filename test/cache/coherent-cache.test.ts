import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoherentCache } from '../../src/cache/coherent-cache.ts';
import { createInvalidationBus } from '../../src/cache/invalidation-bus.ts';

const quiet = { warn: () => undefined };

test('a load that overlaps an eviction does not put the old value back (fill after invalidate)', async () => {
  const bus = await createInvalidationBus(null, quiet);
  const cache = new CoherentCache<string>(bus, 10, 60_000);
  let loads = 0;
  let release: () => void = () => undefined;
  const slow = cache.load('session-1', async () => {
    loads += 1;
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    return 'signed-in';
  });
  cache.evict('session-1'); // a logout lands while the read is in flight
  release();
  assert.equal(await slow, 'signed-in', 'the in-flight read still answers its own request');
  const reload = async () => {
    loads += 1;
    return 'signed-out';
  };
  assert.equal(await cache.load('session-1', reload), 'signed-out');
  assert.equal(loads, 2, 'the stale value was not cached');
});

test('values are kept and served while nothing is evicted, and only when `keep` allows', async () => {
  const bus = await createInvalidationBus(null, quiet);
  const cache = new CoherentCache<string>(bus, 10, 60_000);
  let loads = 0;
  const loader = async () => `value-${++loads}`;
  assert.equal(await cache.load('a', loader), 'value-1');
  assert.equal(await cache.load('a', loader), 'value-1');
  assert.equal(await cache.load('b', loader, () => false), 'value-2');
  assert.equal(await cache.load('b', loader, () => false), 'value-3');
  cache.evictWhere((_value, key) => key === 'a');
  assert.equal(await cache.load('a', loader), 'value-4');
});

test('concurrent misses share one load; a request after an eviction does not join the older load', async () => {
  const bus = await createInvalidationBus(null, quiet);
  const cache = new CoherentCache<string>(bus, 10, 60_000);
  const releases: Array<() => void> = [];
  const slow = async () => {
    const version = releases.length + 1;
    await new Promise<void>((resolve) => releases.push(resolve));
    return `value-${version}`;
  };
  const together = Array.from({ length: 20 }, () => cache.load('lookup', slow));
  assert.equal(releases.length, 1, 'twenty misses, one load');
  cache.evict('lookup'); // a refresh lands while the load is in flight
  const after = cache.load('lookup', slow);
  assert.equal(releases.length, 2, 'a request after the eviction loads again');
  for (const release of releases) release();
  assert.deepEqual(new Set(await Promise.all(together)), new Set(['value-1']), 'the twenty share the first load');
  assert.equal(await after, 'value-2');
  assert.equal(await cache.load('lookup', slow), 'value-2', 'the later load is the one kept');
  assert.equal(releases.length, 2);
});
