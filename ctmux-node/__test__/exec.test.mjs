import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ctmux, isolated, withSession, waitJob, waitRunning, TIMEOUT } from './helpers.mjs'

for (const code of [0, 1, 3, 42, 255]) {
  test(`exit code ${code} is real`, async (t) => {
    const { pane } = await withSession(t)
    const result = await pane.run(`sh -c 'exit ${code}'`, TIMEOUT)
    assert.equal(result.exitCode, code)
    assert.equal(result.output, '')
  })
}

test('output is the command\'s own', async (t) => {
  const { pane } = await withSession(t)
  const result = await pane.run('echo hello; echo world', TIMEOUT)
  assert.deepEqual([result.exitCode, result.output], [0, 'hello\nworld\n'])
  assert.equal(typeof result.duration, 'number')
  assert.ok(result.duration >= 0)
  assert.equal(result.truncated, false)
  assert.ok(result.execId.length > 0)
})

test('awkward text arrives intact', async (t) => {
  const { pane } = await withSession(t)
  const text = 'quotes \' " $HOME `x` \\ unicode \u00e9\u2603'
  const result = await pane.run(`cat <<'EOF'\n${text}\nEOF`, TIMEOUT)
  assert.deepEqual([result.exitCode, result.output], [0, text + '\n'])
})

test('exec handle, then wait; pane.wait reports the last exec', async (t) => {
  const { pane } = await withSession(t)
  assert.equal(await pane.wait(TIMEOUT), null) // nothing started yet
  const handle = await pane.exec('sleep 0.2; echo done; (exit 4)')
  assert.ok(handle instanceof ctmux.ExecHandle)
  assert.equal(handle.pane.id, pane.id)
  const result = await handle.wait(TIMEOUT)
  assert.deepEqual([result.exitCode, result.output, result.execId], [4, 'done\n', handle.id])
  const again = await pane.wait(TIMEOUT)
  assert.equal(again.execId, handle.id)
})

test('a busy pane refuses a second exec', async (t) => {
  const { pane } = await withSession(t)
  const handle = await pane.exec('sleep 30')
  await waitJob(pane, 'sleep')
  await assert.rejects(pane.exec('echo never'), { code: 'Busy' })
  assert.equal(typeof await handle.partialOutput(), 'string')
  await pane.signal('SIGINT')
  assert.equal((await handle.wait(TIMEOUT)).exitCode, 130)
})

test('timeouts keep the output so far; runOrInterrupt stops the job', async (t) => {
  const { pane } = await withSession(t)
  await assert.rejects(pane.run('echo started; sleep 30', 0.5), (err) => {
    assert.equal(err.code, 'Timeout')
    assert.ok(err.partialOutput.includes('started'), err.partialOutput)
    return true
  })
  assert.equal(await pane.isRunning(), true)
  await pane.signal('INT')
  await pane.wait(TIMEOUT)
  await assert.rejects(pane.runOrInterrupt('echo begun; sleep 30', 0.5), (err) => {
    assert.equal(err.code, 'Timeout')
    assert.ok(err.partialOutput.includes('begun'), err.partialOutput)
    return true
  })
  await waitRunning(pane, false)
  assert.equal((await pane.runOrInterrupt('echo quick', TIMEOUT)).output, 'quick\n')
})

test('an empty command is InvalidInput', async (t) => {
  const { pane } = await withSession(t)
  await assert.rejects(pane.exec('   '), { code: 'InvalidInput' })
  assert.equal((await pane.run('echo still fine', TIMEOUT)).output, 'still fine\n')
})

test('the event loop keeps running during a 2 s run', async (t) => {
  const { pane } = await withSession(t)
  let ticks = 0
  const timer = setInterval(() => { ticks += 1 }, 20)
  try {
    const result = await pane.run('sleep 2', TIMEOUT)
    assert.equal(result.exitCode, 0)
  } finally {
    clearInterval(timer)
  }
  assert.ok(ticks > 10, `only ${ticks} ticks: the event loop was blocked`)
})

test('concurrent runs in different sessions', async (t) => {
  const { client } = await isolated(t)
  const sessions = await Promise.all(['a', 'b', 'c'].map((n) => client.sessionCreate(n)))
  const results = await Promise.all(
    sessions.map(async (s) => (await s.pane(0)).run(`echo ${s.name}`, TIMEOUT))
  )
  assert.deepEqual(results.map((r) => r.output), ['a\n', 'b\n', 'c\n'])
})
