import { test } from 'node:test'
import assert from 'node:assert/strict'
import { withSession } from './helpers.mjs'

const ODD_VALUES = ['', 'plain', 'team "blue"', "it's $HOME `x` \\ ; end", 'ends with;', 'ünï ☃', 'a\nb\tc', 'x'.repeat(5000)]

test('set, get, list, delete', async (t) => {
  const { pane } = await withSession(t)
  assert.deepEqual(await pane.metadataList(), {})
  await pane.metadataSet('owner', 'alice')
  await pane.metadataSet('role', 'web')
  assert.equal(await pane.metadataGet('owner'), 'alice')
  assert.deepEqual(await pane.metadataList(), { owner: 'alice', role: 'web' })
  await pane.metadataDelete('owner')
  assert.deepEqual(await pane.metadataList(), { role: 'web' })
})

test('values round-trip exactly, per pane', async (t) => {
  const { session, pane } = await withSession(t)
  for (const value of ODD_VALUES) {
    await pane.metadataSet('k', value)
    assert.equal(await pane.metadataGet('k'), value, JSON.stringify(value))
  }
  const other = await session.paneCreate('other')
  await other.metadataSet('k', 'other')
  assert.equal(await other.metadataGet('k'), 'other')
  assert.equal(await pane.metadataGet('k'), ODD_VALUES.at(-1))
})

test('a bad key is InvalidInput; a missing one NotFound', async (t) => {
  const { pane } = await withSession(t)
  for (const key of ['', 'a b', 'dot.key', 'x'.repeat(65), 'nl\n']) {
    await assert.rejects(pane.metadataSet(key, 'v'), { code: 'InvalidInput' }, JSON.stringify(key))
  }
  assert.deepEqual(await pane.metadataList(), {})
  await assert.rejects(pane.metadataGet('absent'), { code: 'NotFound' })
  await assert.rejects(pane.metadataDelete('absent'), { code: 'NotFound' })
})
