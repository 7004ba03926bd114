// Exec options: raw bytes, a cap on kept output, the memory cap; and pane.reset().
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { withSession, waitJob, waitRunning, TIMEOUT } from './helpers.mjs'

test('raw bytes are exact', async (t) => {
  const { pane } = await withSession(t)
  const result = await pane.run("printf 'a\\tb\\n'", TIMEOUT, { raw: true })
  assert.equal(result.exitCode, 0)
  assert.equal(result.output, 'a\tb\n')
  assert.ok(Buffer.isBuffer(result.outputRaw), `${result.outputRaw}`)
  assert.deepEqual(result.outputRaw, Buffer.from('a\tb\r\n'))
  assert.equal(result.outputFile, undefined)
  assert.equal(result.rawFile, undefined)
  assert.equal(result.truncated, false)
})

test('without raw there are no bytes; old call forms still work', async (t) => {
  const { pane } = await withSession(t)
  const result = await pane.run('echo plain', TIMEOUT)
  assert.equal(result.output, 'plain\n')
  assert.equal(result.outputRaw, undefined)
  assert.equal((await pane.run('echo two')).output, 'two\n')
  assert.equal((await pane.run('echo three', null, {})).output, 'three\n')
  const handle = await pane.exec('echo four')
  assert.equal((await handle.wait(TIMEOUT)).output, 'four\n')
})

test('exec handle keeps raw bytes', async (t) => {
  const { pane } = await withSession(t)
  const handle = await pane.exec("printf 'x\\ty\\n'", { raw: true })
  const result = await handle.wait(TIMEOUT)
  assert.equal(result.output, 'x\ty\n')
  assert.deepEqual(result.outputRaw, Buffer.from('x\ty\r\n'))
})

test('maxOutput truncates', async (t) => {
  const { pane } = await withSession(t)
  const result = await pane.run('seq 1 1000', TIMEOUT, { maxOutput: 5 })
  assert.equal(result.exitCode, 0)
  assert.equal(result.truncated, true)
  assert.ok(result.output.length <= 5, result.output)
  const handle = await pane.exec('seq 1 1000', { maxOutput: 5 })
  const again = await handle.wait(TIMEOUT)
  assert.equal(again.truncated, true)
  assert.ok(again.output.length <= 5, again.output)
})

test('a small memoryCap spills to a file', async (t) => {
  const { pane } = await withSession(t)
  const result = await pane.run('seq 1 1000', TIMEOUT, { raw: true, memoryCap: 64 })
  assert.equal(result.exitCode, 0)
  assert.equal(typeof result.outputFile, 'string')
  assert.equal(typeof result.rawFile, 'string')
  const whole = readFileSync(result.outputFile, 'utf8')
  assert.deepEqual(whole.trimEnd().split('\n'), Array.from({ length: 1000 }, (_, i) => `${i + 1}`))
  assert.ok(result.output.length <= 64)
  assert.ok(result.outputRaw.length <= 64)
})

test('bad options are InvalidInput, nothing left pending', async (t) => {
  const { pane } = await withSession(t)
  await assert.rejects(pane.run('true', TIMEOUT, { memoryCap: 0 }), { code: 'InvalidInput' })
  await assert.rejects(pane.exec('true', { memoryCap: 0 }), { code: 'InvalidInput' })
  for (const maxOutput of [-1, 1.5, NaN, Infinity]) {
    await assert.rejects(pane.run('true', TIMEOUT, { maxOutput }), { code: 'InvalidInput' },
      `maxOutput ${maxOutput}`)
  }
  await assert.rejects(pane.exec('true', { memoryCap: -5 }), { code: 'InvalidInput' })
  await assert.rejects(async () => pane.run('true', TIMEOUT, { maxOutput: '5' }))
  assert.equal((await pane.run('echo ok', TIMEOUT)).output, 'ok\n')
})

test('reset clears a stuck exec and leaves the job alone', async (t) => {
  const { pane, session } = await withSession(t)
  const handle = await pane.exec('sleep 100')
  await waitJob(pane, 'sleep')
  let status = await pane.status()
  assert.deepEqual([status.execId, status.execFinished], [handle.id, false])
  await pane.reset()
  status = await pane.status()
  assert.equal(status.execId, handle.id)
  assert.equal(status.execFinished, true)
  assert.equal(status.info.running, true)
  assert.ok((status.foregroundCommand ?? '').startsWith('sleep'), status.foregroundCommand)
  await pane.reset() // nothing pending: fine too
  await pane.signal('SIGTERM')
  await waitRunning(pane, false)
  assert.equal((await pane.run('echo after', TIMEOUT)).output, 'after\n')

  const extra = await session.paneCreate()
  await extra.kill()
  await assert.rejects(extra.reset(), { code: 'NotFound' })
})

test('ifPending: fail names text typed at the prompt and leaves it', async (t) => {
  const { pane } = await withSession(t)
  assert.equal((await pane.run('true', TIMEOUT)).exitCode, 0)
  assert.equal((await pane.run('echo a', TIMEOUT, { ifPending: 'fail' })).output, 'a\n')
  await pane.sendText('git sta')
  await new Promise((r) => setTimeout(r, 300))
  await assert.rejects(pane.run('echo never', TIMEOUT, { ifPending: 'fail' }), (e) => {
    assert.equal(e.code, 'Busy')
    assert.match(e.message, /git sta/)
    return true
  })
  assert.equal((await pane.run('echo ok', TIMEOUT)).output, 'ok\n')
  await assert.rejects(pane.run('true', TIMEOUT, { ifPending: 'maybe' }), (e) => e.code === 'InvalidInput')
})
