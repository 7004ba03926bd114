import { test } from 'node:test'
import assert from 'node:assert/strict'
import { withSession, waitJob, TIMEOUT } from './helpers.mjs'

test('sendText then Enter', async (t) => {
  const { pane } = await withSession(t)
  await pane.sendText('echo typed-$((6*7))')
  await pane.sendKeys('Enter')
  assert.equal((await pane.waitFor('^typed-42$', TIMEOUT)).line, 'typed-42')
})

test('long text arrives whole', async (t) => {
  const { pane } = await withSession(t)
  await pane.sendText('echo ' + 'y'.repeat(3000))
  await pane.sendKeys(['Enter'])
  assert.equal((await pane.waitFor('^y{3000}$', TIMEOUT, 200)).line, 'y'.repeat(3000))
})

test('C-c interrupts the job', async (t) => {
  const { pane } = await withSession(t)
  const handle = await pane.exec('sleep 30')
  await waitJob(pane, 'sleep')
  await pane.sendKeys(['C-c'])
  assert.equal((await handle.wait(TIMEOUT)).exitCode, 130)
})

for (const sig of ['SIGINT', 'INT', 'int', 2]) {
  test(`signal ${sig} reaches the job, not the shell`, async (t) => {
    const { pane } = await withSession(t)
    const handle = await pane.exec('sleep 30')
    await waitJob(pane, 'sleep')
    const groups = await pane.signal(sig)
    assert.equal(groups.length, 1)
    assert.ok(groups[0] > 0)
    assert.equal((await handle.wait(TIMEOUT)).exitCode, 130)
    assert.equal((await pane.run('echo shell-alive', TIMEOUT)).output, 'shell-alive\n')
  })
}

test('errors: no job, bad signals, bad keys, bad text', async (t) => {
  const { pane } = await withSession(t)
  await assert.rejects(pane.signal('SIGINT'), { code: 'NotFound' })
  for (const sig of ['', 'SIGFOO', 0, 99, -1, 1.5]) {
    await assert.rejects(pane.signal(sig), { code: 'InvalidInput' }, String(sig))
  }
  for (const keys of [[], [''], ['a\u0000b'], '']) {
    await assert.rejects(pane.sendKeys(keys), { code: 'InvalidInput' }, JSON.stringify(keys))
  }
  for (const text of ['', 'a\u0000b']) {
    await assert.rejects(pane.sendText(text), { code: 'InvalidInput' }, JSON.stringify(text))
  }
  assert.equal((await pane.run('echo fine', TIMEOUT)).output, 'fine\n')
})
