import { test } from 'node:test'
import assert from 'node:assert/strict'
import { withSession, TIMEOUT } from './helpers.mjs'

test('capture shows output', async (t) => {
  const { pane } = await withSession(t)
  await pane.run('echo captured-marker', TIMEOUT)
  assert.ok((await pane.capture()).includes('captured-marker'))
  assert.ok((await pane.capture(50)).includes('captured-marker'))
})

test('hasPattern', async (t) => {
  const { pane } = await withSession(t)
  await pane.run("echo 'port 8123 ready'", TIMEOUT)
  const found = await pane.hasPattern(String.raw`port (\d+) ready`)
  assert.deepEqual(found, { line: 'port 8123 ready', matchedText: 'port 8123 ready' })
  assert.equal(await pane.hasPattern('^nothing like this$'), null)
})

test('waitFor a line that appears later, or is already there', async (t) => {
  const { pane } = await withSession(t)
  await pane.exec('sleep 0.3; echo READY')
  assert.equal((await pane.waitFor('^READY$', TIMEOUT)).line, 'READY')
  assert.equal((await pane.waitFor('^READY$', 1, 100)).matchedText, 'READY')
})

test('waitFor times out with the screen as partial output', async (t) => {
  const { pane } = await withSession(t)
  await pane.run('echo visible-text', TIMEOUT)
  await assert.rejects(pane.waitFor('^never$', 0.3), (err) => {
    assert.equal(err.code, 'Timeout')
    assert.ok(err.partialOutput.includes('visible-text'))
    return true
  })
})

test('a bad regex is InvalidInput', async (t) => {
  const { pane } = await withSession(t)
  for (const pattern of ['(', '', 'a{99999999}']) {
    await assert.rejects(pane.hasPattern(pattern), { code: 'InvalidInput' }, pattern)
    await assert.rejects(pane.waitFor(pattern, 5), { code: 'InvalidInput' }, pattern)
  }
})
